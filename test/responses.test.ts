// Responses as PEP 3333 and mod_wsgi say: validation, streaming, lengths, errors.

import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { APPS, rawRequest, request, startServer, statusOf, tempDir, waitFor, type RunningServer } from './helpers/tswsgi';

const SCRIPT = path.join(APPS, 'responses.wsgi');

describe('responses', () => {
  let server: RunningServer;
  before(async () => { server = await startServer(SCRIPT, ['--threads', '4']); });
  after(() => server.stop());

  const get = (testCase: string, headers: Record<string, string> = {}) =>
    request(server.url + '/', { headers: { 'X-Case': testCase, ...headers } });

  const invalid: Array<[string, RegExp]> = [
    ['bad-status', /no space following status code/],
    ['crlf-header', /carriage return\/line feed character present in header value/],
    ['str-body', /sequence of byte string values expected, value of type str found/],
    ['raise-before', /ValueError: raised before start_response/],
    ['no-start-response', /response has not been started/],
  ];
  for (const [testCase, logged] of invalid) {
    test(`${testCase}: 500, and the error log says why`, async () => {
      const reply = await get(testCase);
      assert.equal(reply.status, 500);
      assert.match(reply.body.toString(), /Internal Server Error/);
      assert.doesNotMatch(reply.body.toString(), /never|Injected/);
      await server.waitForLog(logged);
    });
  }

  test('an exception after the first chunk closes the connection, and the log says so', async () => {
    const raw = await rawRequest(server.port, 'GET / HTTP/1.1\r\nHost: x\r\nX-Case: raise-after\r\n\r\n', 3000);
    assert.equal(statusOf(raw), 200);
    assert.match(raw.text, /first part/);
    assert.ok(raw.closed, 'connection closed');
    assert.doesNotMatch(raw.text, /\r\n0\r\n\r\n$/, 'no final chunk: the client can tell the body is cut short');
    await server.waitForLog(/RuntimeError: raised after the first chunk/);
  });

  test('a body shorter than its Content-Length closes the connection rather than hanging it', async () => {
    const started = Date.now();
    const raw = await rawRequest(server.port, 'GET / HTTP/1.1\r\nHost: x\r\nX-Case: short-body\r\n\r\n', 4000);
    assert.equal(statusOf(raw), 200);
    assert.ok(raw.closed);
    assert.ok(Date.now() - started < 2000, 'closed promptly');
    assert.ok(raw.text.endsWith('\r\n\r\nabc'));
  });

  test('output beyond Content-Length is not sent', async () => {
    const reply = await get('long-body');
    assert.equal(reply.body.toString(), 'abc');
  });

  test('write() callable output comes before the returned iterable', async () => {
    assert.equal((await get('write-callable')).body.toString(), 'written, then returned');
  });

  test('a response without Content-Length is chunked', async () => {
    const raw = await rawRequest(server.port, 'GET / HTTP/1.1\r\nHost: x\r\nX-Case: write-callable\r\nConnection: close\r\n\r\n');
    assert.match(raw.text, /Transfer-Encoding: chunked/i);
  });

  test('each chunk reaches the client as soon as the app yields it', async () => {
    const arrivals: number[] = [];
    await new Promise<void>((resolve, reject) => {
      http.get(server.url + '/', { headers: { 'X-Case': 'streaming' } }, (res) => {
        res.on('data', () => arrivals.push(Date.now()));
        res.on('end', resolve);
      }).on('error', reject);
    });
    assert.ok(arrivals.length >= 3, `three separate arrivals, got ${arrivals}`);
    // The app sleeps 0.4 s after each chunk: chunks held back until it finished would arrive
    // together; a busy machine may delay the first, but hardly by a whole sleep.
    const spread = arrivals[arrivals.length - 1]! - arrivals[0]!;
    assert.ok(spread >= 400, `the first chunk came ${spread} ms before the last`);
  });

  test('close() of the iterable is called exactly once', async () => {
    const marker = path.join(tempDir(), 'closed');
    assert.equal((await get('close-tracking', { 'X-Marker': marker })).body.toString(), 'tracked');
    // close() runs after the response went out, so the client may be first.
    await waitFor(() => fs.existsSync(marker), 'close() to be called');
    assert.equal(fs.readFileSync(marker, 'utf8'), 'closed\n');
  });

  test('start_response with exc_info before output replaces the status', async () => {
    const reply = await get('exc-info');
    assert.equal(reply.status, 500);
    assert.equal(reply.body.toString(), 'error page');
  });

  test('an unusual status line passes through with its reason', async () => {
    const raw = await rawRequest(server.port, 'GET / HTTP/1.1\r\nHost: x\r\nX-Case: odd-status\r\nConnection: close\r\n\r\n');
    assert.match(raw.text, /^HTTP\/1\.1 599 Weird Thing\r\n/);
  });

  test('a 304 goes out without Content-Type and Content-Length, as Apache\'s header filter drops them; other headers stay', async () => {
    const raw = await rawRequest(server.port, 'GET / HTTP/1.1\r\nHost: x\r\nX-Case: not-modified\r\nConnection: close\r\n\r\n');
    assert.match(raw.text, /^HTTP\/1\.1 304 Not Modified\r\n/);
    assert.doesNotMatch(raw.text, /^Content-(Type|Length):/im);
    assert.match(raw.text, /^ETag: "v1"\r$/m);
  });

  test('repeated response headers stay separate', async () => {
    const raw = await rawRequest(server.port, 'GET / HTTP/1.1\r\nHost: x\r\nX-Case: duplicate-headers\r\nConnection: close\r\n\r\n');
    assert.equal([...raw.text.matchAll(/^Set-Cookie: /gm)].length, 2);
    assert.equal([...raw.text.matchAll(/^X-Dup: /gm)].length, 2);
  });

  test('wsgi.file_wrapper sends the file whole, with a Content-Length', async () => {
    const file = path.join(tempDir(), 'blob.bin');
    const data = crypto.randomBytes(3 * 1024 * 1024 + 17);
    fs.writeFileSync(file, data);
    const reply = await get('file-wrapper', { 'X-File': file });
    assert.equal(reply.status, 200);
    assert.equal(reply.headers['content-length'], String(data.length));
    assert.ok(reply.body.equals(data));
  });

  test('print() and wsgi.errors go to the error log, not the response', async () => {
    const reply = await get('print');
    assert.equal(reply.body.toString(), 'logged');
    await server.waitForLog(/\[wsgi:error\].*printed to stdout by the app/);
    await server.waitForLog(/\[wsgi:error\].*written to wsgi\.errors/);
  });
});

describe('script loading errors', () => {
  test('a missing callable is a 404 in the server\'s own pool (mod_wsgi\'s embedded mode), with its message', async () => {
    const server = await startServer(SCRIPT, ['--callable-object', 'nothing_here']);
    try {
      const reply = await request(server.url + '/');
      assert.equal(reply.status, 404);
      await server.waitForLog(/does not contain WSGI application 'nothing_here'/);
    } finally {
      await server.stop();
    }
  });

  test('start-server refuses a script that does not exist, naming it', async () => {
    await assert.rejects(startServer(path.join(APPS, 'missing.wsgi')), /WSGI script '.*missing\.wsgi' does not exist/);
  });
});
