// The environ an application sees, request by request, at mount points / and /app.

import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { APPS, rawRequest, request, startServe, startServer, statusOf, tempDir, writeConf, type RunningServer } from './helpers/tswsgi';

const PROBE = path.join(APPS, 'probe.wsgi');

interface Dump {
  environ: Record<string, string>;
  types: Record<string, string>;
  'wsgi.version': number[];
  'wsgi.multithread': boolean;
  'wsgi.multiprocess': boolean;
  'wsgi.run_once': boolean;
  'wsgi.input_terminated': boolean;
  'mod_wsgi.thread_id': number;
  body: string;
}

interface Case {
  name: string;
  target: string;
  headers?: Record<string, string | string[]>;
  expect: Record<string, string | undefined>;
}

const rootCases: Case[] = [
  { name: 'root', target: '/', expect: { SCRIPT_NAME: '', PATH_INFO: '/', QUERY_STRING: '', REQUEST_URI: '/' } },
  { name: 'path and query', target: '/a/b?x=1&y=%20', expect: { SCRIPT_NAME: '', PATH_INFO: '/a/b', QUERY_STRING: 'x=1&y=%20', REQUEST_URI: '/a/b?x=1&y=%20' } },
  { name: 'repeated slashes collapse', target: '/a//b///c', expect: { PATH_INFO: '/a/b/c', REQUEST_URI: '/a//b///c' } },
  { name: 'dot segments resolve', target: '/a/./b/../c', expect: { PATH_INFO: '/a/c' } },
  { name: 'UTF-8 in the path arrives as latin-1 bytes', target: '/caf%C3%A9', expect: { PATH_INFO: '/caf\u00c3\u00a9' } },
  { name: 'space escape decoded', target: '/a%20b', expect: { PATH_INFO: '/a b' } },
  { name: 'empty query after ?', target: '/q?', expect: { QUERY_STRING: '', PATH_INFO: '/q' } },
  { name: 'trailing slash kept', target: '/dir/', expect: { PATH_INFO: '/dir/' } },
  {
    name: 'repeated headers merge with comma', target: '/h',
    headers: { 'X-Multi': ['one', 'two'], Accept: 'text/plain' },
    expect: { HTTP_X_MULTI: 'one, two', HTTP_ACCEPT: 'text/plain' },
  },
  {
    name: 'underscore header names are dropped', target: '/h',
    headers: { 'X_Spoof': 'bad', 'X-Fine': 'good' },
    expect: { HTTP_X_SPOOF: undefined, HTTP_X_FINE: 'good' },
  },
  {
    name: 'Authorization is withheld by default', target: '/h',
    headers: { Authorization: 'Basic dTpw' },
    expect: { HTTP_AUTHORIZATION: undefined },
  },
  {
    name: 'content type and length without HTTP_ prefix', target: '/h',
    headers: { 'Content-Type': 'text/plain', 'Content-Length': '0' },
    expect: { CONTENT_TYPE: 'text/plain', CONTENT_LENGTH: '0', HTTP_CONTENT_TYPE: undefined, HTTP_CONTENT_LENGTH: undefined },
  },
];

const appCases: Case[] = [
  { name: 'mount point itself', target: '/app', expect: { SCRIPT_NAME: '/app', PATH_INFO: '' } },
  { name: 'mount point with slash', target: '/app/', expect: { SCRIPT_NAME: '/app', PATH_INFO: '/' } },
  { name: 'below the mount point', target: '/app/x/y?z', expect: { SCRIPT_NAME: '/app', PATH_INFO: '/x/y', QUERY_STRING: 'z' } },
  { name: 'slashes collapse under the mount', target: '//app//a//b', expect: { SCRIPT_NAME: '/app', PATH_INFO: '/a/b' } },
];

async function dump(server: RunningServer, target: string, headers: Record<string, string | string[]> = {}): Promise<Dump> {
  const reply = await request(server.url + target, { headers });
  assert.equal(reply.status, 200, reply.body.toString());
  return reply.json<Dump>();
}

describe('environ at mount point /', () => {
  let server: RunningServer;
  before(async () => { server = await startServer(PROBE, ['--processes', '1', '--threads', '3']); });
  after(() => server.stop());

  for (const c of rootCases) {
    test(c.name, async () => {
      const { environ } = await dump(server, c.target, c.headers);
      for (const [key, value] of Object.entries(c.expect)) assert.equal(environ[key], value, `${key} for ${c.target}`);
    });
  }

  test('CGI and mod_wsgi keys as mod_wsgi sets them', async () => {
    const d = await dump(server, '/keys', { Host: 'Example.COM:8123' });
    const e = d.environ;
    assert.equal(e.REQUEST_METHOD, 'GET');
    assert.equal(e.SERVER_PROTOCOL, 'HTTP/1.1');
    assert.equal(e.SERVER_NAME, 'example.com');
    assert.equal(e.SERVER_PORT, '8123');
    assert.equal(e.HTTP_HOST, 'Example.COM:8123');
    assert.equal(e.REMOTE_ADDR, '127.0.0.1');
    assert.match(e.REMOTE_PORT!, /^\d+$/);
    assert.equal(e.SERVER_ADDR, '127.0.0.1');
    assert.equal(e.GATEWAY_INTERFACE, 'CGI/1.1');
    assert.equal(e.REQUEST_SCHEME, 'http');
    assert.equal(e['wsgi.url_scheme'], 'http');
    assert.equal(e.SCRIPT_FILENAME, PROBE);
    assert.equal(e['mod_wsgi.process_group'], '');
    assert.equal(e['mod_wsgi.application_group'], '');
    assert.equal(e['mod_wsgi.callable_object'], 'application');
    assert.equal(e['mod_wsgi.request_handler'], 'wsgi-script');
    assert.equal(e['mod_wsgi.script_reloading'], '1');
    assert.match(e['mod_wsgi.request_start']!, /^\d{16}$/);
    assert.match(e['mod_wsgi.script_start']!, /^\d{16}$/);
    assert.ok(Number(e['mod_wsgi.script_start']) >= Number(e['mod_wsgi.request_start']));
    assert.ok(e['mod_wsgi.request_id']);
    assert.equal(e.PATH, undefined);
    assert.equal(e.HTTPS, undefined);
    assert.deepEqual(d['wsgi.version'], [1, 0]);
    assert.equal(d['wsgi.multithread'], true);
    assert.equal(d['wsgi.multiprocess'], false);
    assert.equal(d['wsgi.run_once'], false);
    assert.equal(d['wsgi.input_terminated'], true);
    assert.ok(d['mod_wsgi.thread_id'] >= 1 && d['mod_wsgi.thread_id'] <= 3);
    assert.equal(d.types['wsgi.input'] !== undefined, true);
    assert.equal(d.types['wsgi.errors'] !== undefined, true);
    assert.equal(d.types['wsgi.file_wrapper'], 'type');
  });

  test('HTTP/1.0 without Host falls back to the server name', async () => {
    const raw = await rawRequest(server.port, 'GET /old HTTP/1.0\r\n\r\n');
    assert.equal(statusOf(raw), 200);
    const body = JSON.parse(raw.text.slice(raw.text.indexOf('\r\n\r\n') + 4)) as Dump;
    assert.equal(body.environ.SERVER_NAME, '127.0.0.1');
    assert.equal(body.environ.SERVER_PROTOCOL, 'HTTP/1.0');
    assert.ok(raw.closed, 'HTTP/1.0 without keep-alive closes');
  });

  test('encoded slash is refused with 404 as Apache does by default', async () => {
    const reply = await request(server.url + '/a%2Fb');
    assert.equal(reply.status, 404);
  });

  test('a path above the root is a 400', async () => {
    const raw = await rawRequest(server.port, 'GET /../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n');
    assert.equal(statusOf(raw), 400);
  });

  test('HEAD runs the app but sends no body, keeping Content-Length', async () => {
    const reply = await request(server.url + '/head', { method: 'HEAD' });
    assert.equal(reply.status, 200);
    assert.equal(reply.body.length, 0);
    assert.ok(Number(reply.headers['content-length']) > 0);
  });

  test('POST body reaches wsgi.input', async () => {
    const reply = await request(server.url + '/post', { method: 'POST', body: 'a=1&b=2', headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
    const d = reply.json<Dump>();
    assert.equal(d.body, 'a=1&b=2');
    assert.equal(d.environ.CONTENT_LENGTH, '7');
  });

  test('chunked request body is read to the end, with no CONTENT_LENGTH', async () => {
    const raw = await rawRequest(server.port,
      'POST /chunked HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n');
    assert.equal(statusOf(raw), 200);
    const d = JSON.parse(raw.text.slice(raw.text.indexOf('\r\n\r\n') + 4)) as Dump;
    assert.equal(d.body, 'hello world');
    assert.equal(d.environ.CONTENT_LENGTH, undefined);
    assert.equal(d.environ.HTTP_TRANSFER_ENCODING, 'chunked');
  });

  test('keep-alive: three requests on one connection', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const ports: string[] = [];
    for (let i = 0; i < 3; i++) {
      const body = await new Promise<string>((resolve, reject) => {
        http.get(`${server.url}/k${i}`, { agent }, (res) => {
          let text = '';
          res.on('data', (d) => { text += d; });
          res.on('end', () => resolve(text));
        }).on('error', reject);
      });
      ports.push((JSON.parse(body) as Dump).environ.REMOTE_PORT!);
    }
    agent.destroy();
    assert.equal(new Set(ports).size, 1, `one client port for all three: ${ports}`);
  });

  test('pipelined requests are answered in order', async () => {
    const req = (p: string) => `GET ${p} HTTP/1.1\r\nHost: x\r\n\r\n`;
    const raw = await rawRequest(server.port, req('/first') + req('/second') + req('/third') + 'GET /last HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', 5000);
    const paths = [...raw.text.matchAll(/"PATH_INFO": "([^"]*)"/g)].map((m) => m[1]).filter((v) => v !== "str");
    assert.deepEqual(paths, ['/first', '/second', '/third', '/last']);
    assert.equal([...raw.text.matchAll(/HTTP\/1\.1 200 OK\r\n/g)].length, 4);
  });

  test('an unmatched method llhttp does not know gets 501, never reaching Python', async () => {
    const raw = await rawRequest(server.port, 'BREW /pot HTTP/1.1\r\nHost: x\r\n\r\n');
    assert.equal(statusOf(raw), 501);
  });
});

describe('environ at mount point /app', () => {
  let server: RunningServer;
  before(async () => { server = await startServer(PROBE, ['--mount-point', '/app/']); });
  after(() => server.stop());

  for (const c of appCases) {
    test(c.name, async () => {
      const { environ } = await dump(server, c.target, c.headers);
      for (const [key, value] of Object.entries(c.expect)) assert.equal(environ[key], value, `${key} for ${c.target}`);
    });
  }

  test('paths outside the mount point are 404 from the front end', async () => {
    for (const target of ['/', '/apple', '/other/app']) {
      const reply = await request(server.url + target);
      assert.equal(reply.status, 404, target);
      assert.match(reply.body.toString(), /<title>404 Not Found<\/title>/);
    }
  });
});

// The worker keeps a connection's last constant environ part (the C frame); the front end sends
// a new one only when the script or scope changes. One thread, so one connection, serves both.
describe('two scripts on one worker connection', () => {
  let server: RunningServer;
  let other: string;
  before(async () => {
    other = path.join(tempDir(), 'other.wsgi');
    fs.copyFileSync(PROBE, other);
    server = await startServe(writeConf(`Listen 127.0.0.1:0
WSGIDaemonProcess shared processes=1 threads=1
WSGIProcessGroup shared
WSGIApplicationGroup %{GLOBAL}
WSGIScriptAlias /one ${PROBE}
WSGIScriptAlias /two ${other}
<Location /two>
    WSGIScriptReloading Off
</Location>
`));
  });
  after(() => server.stop());

  test('each request gets its own script\'s constant keys, alternating', async () => {
    for (const target of ['/one', '/two', '/two', '/one', '/two']) {
      const { environ } = await dump(server, target);
      const one = target === '/one';
      assert.equal(environ.SCRIPT_FILENAME, one ? PROBE : other, target);
      assert.equal(environ['mod_wsgi.script_reloading'], one ? '1' : '0', target);
      assert.equal(environ.SCRIPT_NAME, target);
    }
  });
});
