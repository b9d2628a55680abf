// Malformed requests are refused by the front end with the right 4xx and never reach Python.

import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { APPS, rawRequest, startServer, statusOf, tempDir, waitFor, type RunningServer } from './helpers/tswsgi';

const PROBE = path.join(APPS, 'probe.wsgi');

const malformed: Array<[string, string, number]> = [
  ['HTTP/1.1 without Host', 'GET / HTTP/1.1\r\n\r\n', 400],
  ['two Host headers', 'GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n', 400],
  ['malformed Host', 'GET / HTTP/1.1\r\nHost: a b/c\r\n\r\n', 400],
  ['Content-Length with Transfer-Encoding', 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', 400],
  ['Content-Length with a sign', 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: +5\r\n\r\nhello', 400],
  ['Content-Length not a number', 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: five\r\n\r\n', 400],
  ['two different Content-Lengths', 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!', 400],
  ['invalid chunk size', 'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n', 400],
  ['NUL in a header value', 'GET / HTTP/1.1\r\nHost: x\r\nX-A: a\x00b\r\n\r\n', 400],
  ['bare CR in a header value', 'GET / HTTP/1.1\r\nHost: x\r\nX-A: a\rb\r\n\r\n', 400],
  ['space before the colon', 'GET / HTTP/1.1\r\nHost: x\r\nX-A : b\r\n\r\n', 400],
  ['unknown transfer coding', 'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n', 400],
  ['request line too long', `GET /${'a'.repeat(9000)} HTTP/1.1\r\nHost: x\r\n\r\n`, 414],
  ['header field too long', `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(9000)}\r\n\r\n`, 431],
  ['too many header fields', `GET / HTTP/1.1\r\nHost: x\r\n${Array.from({ length: 120 }, (_, i) => `X-H${i}: v\r\n`).join('')}\r\n`, 431],
  ['request head larger than the parser takes', `GET / HTTP/1.1\r\nHost: x\r\n${Array.from({ length: 130 }, (_, i) => `X-H${i}: ${'v'.repeat(8000)}\r\n`).join('')}\r\n`, 431],
  ['not an HTTP version', 'GET / FOO/1.1\r\nHost: x\r\n\r\n', 400],
  ['body over the limit, by Content-Length', 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2000\r\n\r\n', 413],
];

describe('malformed requests', () => {
  let server: RunningServer;
  let marker: string;
  before(async () => {
    // The import script proves Python never saw the refused requests: it counts every request.
    const dir = tempDir();
    marker = path.join(dir, 'requests.log');
    const counting = path.join(dir, 'counting.wsgi');
    fs.writeFileSync(counting, `
import os
exec(open(${JSON.stringify(PROBE)}).read())
_inner = application
def application(environ, start_response):
    with open(${JSON.stringify(marker)}, 'a') as f:
        f.write(environ['REQUEST_METHOD'] + ' ' + environ['REQUEST_URI'][:40] + '\\n')
    return _inner(environ, start_response)
`);
    server = await startServer(counting, ['--limit-request-body', '1000']);
  });
  after(() => server.stop());

  for (const [name, bytes, status] of malformed) {
    test(`${name}: ${status}`, async () => {
      const raw = await rawRequest(server.port, bytes);
      assert.equal(statusOf(raw), status, raw.text.slice(0, 200));
      assert.ok(raw.closed, 'the connection is closed after a refusal');
    });
  }

  test('none of the refused requests reached Python', async () => {
    const seen = fs.existsSync(marker) ? fs.readFileSync(marker, 'utf8') : '';
    assert.equal(seen, '');
  });

  test('a chunked body over the limit gets 413', async () => {
    const raw = await rawRequest(server.port,
      `POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nX-Probe: upload\r\n\r\n800\r\n${'a'.repeat(0x800)}\r\n0\r\n\r\n`, 3000);
    assert.equal(statusOf(raw), 413);
  });

  test('a good request still works after all that', async () => {
    const raw = await rawRequest(server.port, 'GET /fine HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    assert.equal(statusOf(raw), 200);
  });
});

describe('client that disconnects mid-upload', () => {
  test('wsgi.input raises in the app instead of returning a short body', async () => {
    const server = await startServer(PROBE);
    try {
      const marker = path.join(tempDir(), 'outcome');
      const socket = net.connect(server.port, '127.0.0.1');
      await new Promise((r) => socket.on('connect', r));
      socket.write(`POST / HTTP/1.1\r\nHost: x\r\nX-Probe: upload-until-error\r\nX-Marker: ${marker}\r\nContent-Length: 1000000\r\n\r\n`);
      socket.write(Buffer.alloc(300_000, 'u'));
      // Disconnects once the app is reading: sooner, the front end would drop the request before it ran.
      const read = () => (fs.existsSync(marker) ? fs.readFileSync(marker, 'utf8') : '');
      await waitFor(() => read() !== '', 'the app to begin reading the body');
      socket.destroy();
      await waitFor(() => /^(error|eof) /.test(read()), 'the app to record how its reading ended');
      const outcome = read();
      assert.match(outcome, /^error after \d+: /);
      assert.doesNotMatch(outcome, /eof/);
    } finally {
      await server.stop();
    }
  });
});
