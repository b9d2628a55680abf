// The WSGI host as a library, through the package's own entry point: mounted in a
// node:http server, streaming both ways, spread over its processes, restarted without a
// failed request, and closed with no Python process left behind.

import { test, after, before } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import express from 'express';
import Fastify from 'fastify';
import { Hono } from 'hono';
import { APPS, childrenOf, DEBIAN_PYTHON, ROOT } from './helpers/tswsgi';

// By the package's name, as a user's code does (self-reference through package.json's exports).
const { WsgiHost } = require('tswsgi') as typeof import('../src/index');

let host: InstanceType<typeof WsgiHost>;
let server: http.Server;
let port = 0;

interface Answer {
  status: number;
  body: Buffer;
}

function request(method: string, urlPath: string, body?: Buffer | (() => AsyncIterable<Buffer>), to = port): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request({ port: to, method, path: urlPath, agent: false }, (res) => {
      const pieces: Buffer[] = [];
      res.on('data', (piece: Buffer) => pieces.push(piece));
      res.on('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(pieces) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (typeof body === 'function') {
      void (async () => {
        for await (const piece of body()) if (!req.write(piece)) await new Promise((r) => req.once('drain', r));
        req.end();
      })();
    } else {
      req.end(body);
    }
  });
}

const json = (answer: Answer) => JSON.parse(answer.body.toString()) as { environ: Record<string, string>; pid: number };

before(async () => {
  host = await WsgiHost.start({
    script: path.join(APPS, 'library.wsgi'),
    processes: 2,
    threads: 4,
    mountPoint: '/py',
    python: DEBIAN_PYTHON,
    logLevel: 'warn',
  });
  server = http.createServer(host.handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

after(async () => {
  server?.close();
  await host?.close();
});

test('a node:http server serves the application at the mount point', async () => {
  const answer = await request('GET', '/py/a%20b/c?x=1');
  assert.equal(answer.status, 200);
  const { environ } = json(answer);
  assert.equal(environ.SCRIPT_NAME, '/py');
  assert.equal(environ.PATH_INFO, '/a b/c');
  assert.equal(environ.QUERY_STRING, 'x=1');
  assert.equal(environ.REQUEST_URI, '/py/a%20b/c?x=1');
  assert.equal((await request('GET', '/elsewhere')).status, 404);
});

test('a 5 MiB request body streams in and back out unchanged', async () => {
  const sent = crypto.randomBytes(5 * 1024 * 1024);
  const answer = await request('POST', '/py/echo', async function* () {
    for (let at = 0; at < sent.length; at += 100_000) yield sent.subarray(at, at + 100_000);
  });
  assert.equal(answer.status, 200);
  assert.equal(answer.body.length, sent.length);
  assert.ok(answer.body.equals(sent));
});

test('32 concurrent requests over 2 processes are all answered 200', async () => {
  const answers = await Promise.all(Array.from({ length: 32 }, () => request('GET', '/py/slow')));
  assert.deepEqual(answers.map((a) => a.status), Array(32).fill(200));
  assert.equal(new Set(answers.map((a) => json(a).pid)).size, 2);
});

test('graceful() replaces every process while requests keep being answered', async () => {
  const before = new Set((await Promise.all(Array.from({ length: 8 }, () => request('GET', '/py/slow')))).map((a) => json(a).pid));
  let restarting = true;
  const statuses: number[] = [];
  const clients = Array.from({ length: 4 }, async () => {
    while (restarting) statuses.push((await request('GET', '/py/slow')).status);
  });
  const outcome = await host.graceful();
  restarting = false;
  await Promise.all(clients);
  assert.ok(outcome.ok, outcome.message);
  assert.ok(statuses.length > 0);
  assert.deepEqual(statuses.filter((status) => status !== 200), []);
  const afterwards = (await Promise.all(Array.from({ length: 8 }, () => request('GET', '/py/slow')))).map((a) => json(a).pid);
  assert.ok(afterwards.every((pid) => !before.has(pid)), 'new processes answer');
});

test('mounted by Express, SCRIPT_NAME is the prefix it was mounted under', async () => {
  const app = express();
  app.get('/node', (_req, res) => { res.send('from node'); });
  app.use('/app/v1', host.handler);
  const mounted = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => mounted.once('listening', resolve));
  const at = (mounted.address() as AddressInfo).port;
  try {
    const { environ } = json(await request('GET', '/app/v1/a/b?x=1', undefined, at));
    assert.deepEqual([environ.SCRIPT_NAME, environ.PATH_INFO, environ.QUERY_STRING, environ.REQUEST_URI], ['/app/v1', '/a/b', 'x=1', '/app/v1/a/b?x=1']);
    assert.equal(json(await request('GET', '/app/v1', undefined, at)).environ.PATH_INFO, '');
    assert.equal((await request('GET', '/node', undefined, at)).body.toString(), 'from node');
  } finally {
    mounted.close();
  }
});

test('mounted in Fastify (the route hijacks the reply and hands the raw pair on), bodies stream through', async () => {
  const app = Fastify();
  // Fastify would read a body for its own parsers; left unread, it streams to Python.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_req, _payload, done) => done(null));
  app.get('/node', async () => 'from node');
  app.all('/py/*', (req, reply) => {
    reply.hijack();
    host.handler(req.raw, reply.raw);
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const at = (app.server.address() as AddressInfo).port;
  try {
    const { environ } = json(await request('GET', '/py/a/b?x=1', undefined, at));
    assert.deepEqual([environ.SCRIPT_NAME, environ.PATH_INFO, environ.QUERY_STRING], ['/py', '/a/b', 'x=1']);
    const sent = crypto.randomBytes(1024 * 1024);
    const echoed = await request('POST', '/py/echo', sent, at);
    assert.equal(echoed.status, 200);
    assert.ok(echoed.body.equals(sent));
    assert.equal((await request('GET', '/node', undefined, at)).body.toString(), 'from node');
  } finally {
    await app.close();
  }
});

test('mounted in Hono through fetch(), beside Hono routes of its own', async () => {
  const app = new Hono();
  app.get('/node', (c) => c.text('from node'));
  app.all('/py/*', (c) => host.fetch(c.req.raw));
  const answer = await app.request('http://example.test/py/a/b?x=1');
  assert.equal(answer.status, 200);
  const { environ } = await answer.json() as { environ: Record<string, string> };
  assert.deepEqual([environ.SCRIPT_NAME, environ.PATH_INFO, environ.QUERY_STRING], ['/py', '/a/b', 'x=1']);
  assert.equal(await (await app.request('/node')).text(), 'from node');
});

test('fetch() answers a WHATWG Request with a Response, streaming the body both ways', async () => {
  const answer = await host.fetch(new Request('http://example.test:8080/py/a/b?x=1'));
  assert.equal(answer.status, 200);
  const { environ } = await answer.json() as { environ: Record<string, string> };
  assert.deepEqual([environ.SCRIPT_NAME, environ.PATH_INFO, environ.QUERY_STRING, environ.SERVER_NAME, environ.SERVER_PORT],
    ['/py', '/a/b', 'x=1', 'example.test', '8080']);
  const sent = crypto.randomBytes(5 * 1024 * 1024);
  const echoed = await host.fetch(new Request('http://example.test/py/echo', {
    method: 'POST',
    body: new Blob([sent]).stream(),
    duplex: 'half',
  } as RequestInit));
  assert.ok(Buffer.from(await echoed.arrayBuffer()).equals(sent));
  assert.equal((await host.fetch(new Request('http://example.test/elsewhere'))).status, 404);
});

test('two hosts in one Node process are independent: closing one leaves the other serving', async () => {
  const other = await WsgiHost.start({ script: path.join(APPS, 'library.wsgi'), mountPoint: '/other', python: DEBIAN_PYTHON, logLevel: 'warn' });
  const answer = await other.fetch(new Request('http://example.test/other/x'));
  assert.equal((await answer.json() as { environ: Record<string, string> }).environ.SCRIPT_NAME, '/other');
  await other.close();
  assert.equal((await request('GET', '/py/after-other')).status, 200);
});

test('callable: \'module:app\' serves a module imported by name from pythonPath, with no SCRIPT_FILENAME', async () => {
  const other = await WsgiHost.start({ callable: 'entry_module:app', pythonPath: [path.join(APPS, 'modules')], python: DEBIAN_PYTHON, logLevel: 'warn' });
  try {
    const answer = await other.fetch(new Request('http://example.test/some/where'));
    assert.equal(answer.status, 200);
    const seen = await answer.json() as { name: string; in_sys_modules: boolean; environ: Record<string, string> };
    assert.equal(seen.name, 'entry_module');
    assert.equal(seen.in_sys_modules, true);
    assert.equal(seen.environ['tswsgi.entry_module'], 'entry_module');
    assert.equal(seen.environ['mod_wsgi.callable_object'], 'app');
    assert.equal(seen.environ.PATH_INFO, '/some/where');
    assert.equal(seen.environ.SCRIPT_FILENAME, undefined);
  } finally {
    await other.close();
  }
  await assert.rejects(WsgiHost.start({ callable: 'entry-module:app', python: DEBIAN_PYTHON }), /MODULE\[:CALLABLE\]/);
  await assert.rejects(WsgiHost.start({ script: 'a.wsgi', callable: 'a:b', python: DEBIAN_PYTHON } as never), /give one of script/);
});

test('the package imports as an ES module too', () => {
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', "import { WsgiHost } from 'tswsgi'; console.log(typeof WsgiHost.start);"], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(out.trim(), 'function');
});

test('close() stops every worker: no Python process is left', async () => {
  assert.ok(childrenOf(process.pid).length > 0);
  await host.close();
  assert.deepEqual(childrenOf(process.pid), []);
  assert.equal((await request('GET', '/py/')).status, 503);
});
