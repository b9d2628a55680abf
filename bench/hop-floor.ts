// The floor of tswsgi's architecture, for the hello scenarios: `node dist/bench/hop-floor.js PORT`.
// A node:http server that sends every request over a UNIX socket to a thread of one of
// PROCESSES Python processes (THREADS threads each, a connection per thread, as tswsgi's workers)
// and answers with hello's 14 bytes when the thread replies. No routing, no environ, no WSGI:
// what remains is node:http plus the hop, the part of a request no tswsgi change can remove.

import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HELLO_BODY } from './client';
import { PROCESSES, PYTHON, THREADS } from './servers';

const WORKER = join(__dirname, '..', '..', 'bench', 'apps', 'hop_floor.py');
const body = Buffer.from(HELLO_BODY);
const headers = { 'Content-Type': 'text/plain', 'Content-Length': String(body.length) };
// About the size of the R and E frames tswsgi sends for hello.
const request = Buffer.alloc(4 + 700, 'x');
request.writeUInt32BE(700, 0);

interface Hop {
  socket: Socket;
  pending: Buffer;
  res: ServerResponse | null;
}

const idle: Hop[] = [];
const waiting: ServerResponse[] = [];

function send(hop: Hop, res: ServerResponse): void {
  hop.res = res;
  hop.socket.write(request);
}

function release(hop: Hop): void {
  const next = waiting.shift();
  if (next) send(hop, next);
  else idle.push(hop);
}

function received(hop: Hop, data: Buffer): void {
  hop.pending = hop.pending.length ? Buffer.concat([hop.pending, data]) : data;
  if (hop.pending.length < 4 || hop.pending.length < 4 + hop.pending.readUInt32BE(0)) return;
  hop.pending = Buffer.alloc(0);
  const res = hop.res!;
  hop.res = null;
  res.writeHead(200, headers).end(body);
  release(hop);
}

function connectWhenListening(path: string, tries = 100): void {
  const socket = connect(path);
  socket.once('error', () => {
    if (tries > 0) setTimeout(() => connectWhenListening(path, tries - 1), 50);
  });
  socket.once('connect', () => {
    const hop: Hop = { socket, pending: Buffer.alloc(0), res: null };
    socket.on('data', (data) => received(hop, data));
    release(hop);
  });
}

const dir = mkdtempSync(join(tmpdir(), 'hop-floor-'));
const children = Array.from({ length: PROCESSES }, (_, n) => {
  const path = join(dir, `${n}.sock`);
  const child = spawn(PYTHON, [WORKER, path], { stdio: 'inherit' });
  for (let t = 0; t < THREADS; t++) connectWhenListening(path);
  return child;
});

process.on('SIGTERM', () => {
  for (const child of children) child.kill();
  process.exit(0);
});

createServer((req, res) => {
  req.resume();
  const hop = idle.pop();
  if (hop) send(hop, res);
  else waiting.push(res);
}).listen(Number(process.argv[2]), '127.0.0.1');
