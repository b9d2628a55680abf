// The ceiling for the hello scenarios: `node dist/bench/raw-node.js PORT` answers every request
// with examples/hello.wsgi's response from node:http itself, one process, no Python behind it.

import { createServer } from 'node:http';
import { HELLO_BODY } from './client';

const body = Buffer.from(HELLO_BODY);
const headers = { 'Content-Type': 'text/plain', 'Content-Length': String(body.length) };

createServer((req, res) => {
  req.resume(); // a body, if any, is read and dropped
  res.writeHead(200, headers).end(body);
}).listen(Number(process.argv[2]), '127.0.0.1');
