// A connection's requests as Apache serves them: one at a time and in order, nothing run after
// an answer that closes the connection, a parse error answered after the answers before it;
// slow clients that hold a connection but never a Python thread; and a front end that keeps
// file descriptors for its workers when clients take all it may have.

import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { BIN, rawRequest, request, startServe, startServer, startServerUnder, statusOf, tempDir, waitFor, writeConf, writeScript, type RunningServer } from './helpers/tswsgi';

/** Every request the app runs is logged to `marker` as "start|end ID milliseconds". */
function recordingApp(marker: string): string {
  return writeScript(`
import time, os
def log(what, ident):
    with open(${JSON.stringify(marker)}, 'a') as f:
        f.write('%s %s %.3f\\n' % (what, ident, time.time() * 1000))
def application(environ, start_response):
    query = dict(p.split('=', 1) for p in environ.get('QUERY_STRING', '').split('&') if '=' in p)
    ident = query.get('id', environ['PATH_INFO'])
    log('start', ident)
    body = environ['wsgi.input'].read()
    if 'sleep' in query:
        time.sleep(float(query['sleep']))
    case = environ['PATH_INFO']
    headers = [('Content-Type', 'text/plain')]
    if case == '/host':
        body = environ.get('HTTP_HOST', '').encode()
    elif case == '/two-lengths':
        headers += [('Content-Length', '2'), ('Content-Length', '3')]
        body = b'abc'
    elif case == '/same-lengths':
        headers += [('Content-Length', '3'), ('Content-Length', '3')]
        body = b'abc'
    elif case == '/control-char':
        headers += [('X-Bad', 'a\\x01b')]
    if not any(name == 'Content-Length' for name, _ in headers):
        headers.append(('Content-Length', str(len(body))))
    start_response('200 OK', headers)
    log('end', ident)
    return [body]
`);
}

function ran(marker: string): Array<{ what: string; id: string; at: number }> {
  if (!fs.existsSync(marker)) return [];
  return fs.readFileSync(marker, 'utf8').trim().split('\n').filter(Boolean).map((line) => {
    const [what, id, at] = line.split(' ');
    return { what: what!, id: id!, at: Number(at) };
  });
}

interface Answer {
  status: number;
  headers: string[];
  body: string;
}

/** Splits what a connection received into its responses (each framed by Content-Length). */
function answers(text: string): Answer[] {
  const out: Answer[] = [];
  let at = 0;
  while (at < text.length) {
    const end = text.indexOf('\r\n\r\n', at);
    if (end < 0) break;
    const lines = text.slice(at, end).split('\r\n');
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0]!)?.[1] ?? 0);
    const length = Number(lines.find((l) => /^content-length:/i.test(l))?.split(':')[1] ?? 0);
    out.push({ status, headers: lines.slice(1), body: text.slice(end + 4, end + 4 + length) });
    at = end + 4 + length;
  }
  return out;
}

describe('pipelined requests', () => {
  let server: RunningServer;
  let marker: string;
  before(async () => {
    marker = path.join(tempDir(), 'ran.log');
    server = await startServer(recordingApp(marker), ['--threads', '2']);
  });
  after(() => server.stop());

  const after400 = 'GET /after?id=after HTTP/1.1\r\nHost: x\r\n\r\n';
  const refusals: Array<[string, string, number]> = [
    ['malformed Host', 'GET /echo HTTP/1.1\r\nHost: a b\r\n\r\n', 400],
    ['HTTP/1.1 without Host', 'GET /echo HTTP/1.1\r\nUser-Agent: x\r\n\r\n', 400],
    ['request line too long', `GET /${'a'.repeat(9000)} HTTP/1.1\r\nHost: x\r\n\r\n`, 414],
    ['header field too long', `GET /echo HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(9000)}\r\n\r\n`, 431],
    ['bad percent escape', 'GET /%zz HTTP/1.1\r\nHost: x\r\n\r\n', 400],
    ['path above the root', 'GET /../etc HTTP/1.1\r\nHost: x\r\n\r\n', 400],
    ['unsupported transfer coding', 'POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n', 400],
  ];
  for (const [name, refused, status] of refusals) {
    test(`nothing after a refusal runs: ${name} (${status})`, async () => {
      fs.rmSync(marker, { force: true });
      const raw = await rawRequest(server.port, refused + after400);
      const got = answers(raw.text);
      assert.deepEqual(got.map((a) => a.status), [status], raw.text.slice(0, 300));
      assert.ok(raw.closed);
      // The app would have logged /after by the time the refusal's connection closed and more.
      const check = await request(`${server.url}/check?id=check`);
      assert.equal(check.status, 200);
      assert.deepEqual(ran(marker).filter((r) => r.what === 'start').map((r) => r.id), ['check']);
    });
  }

  test('a POST and the GET behind it run one after the other, not together', async () => {
    fs.rmSync(marker, { force: true });
    const raw = await rawRequest(server.port,
      'POST /slow?id=post&sleep=0.5 HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi' +
      'GET /next?id=get HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', 5000);
    assert.deepEqual(answers(raw.text).map((a) => [a.status, a.body]), [[200, 'hi'], [200, '']]);
    const log = ran(marker);
    const postEnd = log.find((r) => r.what === 'end' && r.id === 'post')!.at;
    const getStart = log.find((r) => r.what === 'start' && r.id === 'get')!.at;
    assert.ok(getStart >= postEnd, `the GET started ${postEnd - getStart} ms before the POST ended`);
  });

  test('many slow requests pipelined on one connection take one thread, not all of them', async () => {
    const slow = Array.from({ length: 4 }, (_, i) => `GET /slow?id=p${i}&sleep=2 HTTP/1.1\r\nHost: x\r\n\r\n`).join('');
    const pipelined = rawRequest(server.port, slow, 3000);
    await waitFor(() => ran(marker).some((r) => r.id === 'p0'), 'the first pipelined request to run');
    const started = Date.now();
    const other = await request(`${server.url}/other?id=other`);
    // Were the four spread over both threads, it would wait behind two of them: 4 s.
    assert.equal(other.status, 200);
    assert.ok(Date.now() - started < 2000, `another client waited ${Date.now() - started} ms`);
    await pipelined;
    // The client closed during p1. As Apache, the front end takes that for a half-close until a
    // write fails: p2 may start as p1's answer goes out. Later tests must not see it start.
    await waitFor(() => ran(marker).some((r) => r.what === 'end' && r.id === 'p1'), 'p1 to end');
    await new Promise((r) => setTimeout(r, 300));
  });

  test('a connection that sends 40 requests ahead has the first 33 answered, then is closed', async () => {
    const many = Array.from({ length: 40 }, (_, i) => `GET /n?id=n${i} HTTP/1.1\r\nHost: x\r\n\r\n`).join('');
    const raw = await rawRequest(server.port, many, 5000);
    // One running and MAX_PIPELINED (32) waiting: the rest would each hold memory until their turn.
    assert.equal(answers(raw.text).length, 33);
    assert.ok(raw.closed);
  });

  test('a client that shuts down its sending side after its requests (nc -N) gets every answer, then the close, as from Apache', async () => {
    fs.rmSync(marker, { force: true });
    const socket = net.connect(server.port, '127.0.0.1');
    let received = '';
    socket.on('data', (d: Buffer) => { received += d.toString('latin1'); });
    socket.on('connect', () => socket.end('GET /one?id=one&sleep=0.2 HTTP/1.1\r\nHost: x\r\n\r\nPOST /two?id=two HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc'));
    await new Promise((resolve) => socket.on('close', resolve));
    assert.deepEqual(answers(received).map((a) => [a.status, a.body]), [[200, ''], [200, 'abc']], received);
    assert.deepEqual(ran(marker).filter((r) => r.what === 'start').map((r) => r.id), ['one', 'two']);
  });

  test('an expectation other than 100-continue gets 417 in its turn, and the requests around it run', async () => {
    fs.rmSync(marker, { force: true });
    const raw = await rawRequest(server.port, 'GET /one?id=one&sleep=0.2 HTTP/1.1\r\nHost: x\r\n\r\n' +
      'GET /two?id=two HTTP/1.1\r\nHost: x\r\nExpect: teapot\r\n\r\nGET /three?id=three HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', 3000);
    assert.deepEqual(answers(raw.text).map((a) => a.status), [200, 417, 200]);
    assert.deepEqual(ran(marker).filter((r) => r.what === 'start').map((r) => r.id), ['one', 'three']);
  });

  test('a request with Connection: close followed by bytes: its answer only', async () => {
    const raw = await rawRequest(server.port, 'GET /a?id=a HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\njunk\r\n\r\n');
    assert.deepEqual(answers(raw.text).map((a) => a.status), [200]);
    assert.ok(raw.closed);
  });

  test('an HTTP/1.0 request followed by bytes: its answer only', async () => {
    const raw = await rawRequest(server.port, 'GET /a?id=a10 HTTP/1.0\r\n\r\n\x01\x02\r\n\r\n');
    assert.deepEqual(answers(raw.text).map((a) => a.status), [200]);
  });

  test('a POST whose body is followed by garbage is answered, then the garbage refused', async () => {
    fs.rmSync(marker, { force: true });
    const raw = await rawRequest(server.port, 'POST /echo?id=post HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhellojunk\r\n\r\n');
    const got = answers(raw.text);
    assert.deepEqual(got.map((a) => a.status), [200, 501], raw.text);
    assert.equal(got[0]!.body, 'hello');
    assert.ok(raw.closed);
  });

  test('two valid requests with an unparseable one between: 200, then the refusal, and the third never runs', async () => {
    fs.rmSync(marker, { force: true });
    const raw = await rawRequest(server.port,
      'GET /one?id=one HTTP/1.1\r\nHost: x\r\n\r\nGET /two HTTP/1.1\r\nHost: x\r\nX-A: a\x00b\r\n\r\nGET /three?id=three HTTP/1.1\r\nHost: x\r\n\r\n');
    assert.deepEqual(answers(raw.text).map((a) => a.status), [200, 400]);
    assert.deepEqual(ran(marker).filter((r) => r.what === 'start').map((r) => r.id), ['one']);
  });

  test('two valid requests with a refused one between: 200, 400, and the third never runs', async () => {
    fs.rmSync(marker, { force: true });
    const raw = await rawRequest(server.port,
      'GET /one?id=one HTTP/1.1\r\nHost: x\r\n\r\nGET /two HTTP/1.1\r\nHost: a b\r\n\r\nGET /three?id=three HTTP/1.1\r\nHost: x\r\n\r\n');
    assert.deepEqual(answers(raw.text).map((a) => a.status), [200, 400]);
    assert.deepEqual(ran(marker).filter((r) => r.what === 'start').map((r) => r.id), ['one']);
  });

  test('a chunked body that turns malformed while queued behind another request is refused in turn', async () => {
    fs.rmSync(marker, { force: true });
    const raw = await rawRequest(server.port,
      'GET /one?id=one&sleep=0.3 HTTP/1.1\r\nHost: x\r\n\r\nPOST /two?id=two HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n', 3000);
    // start-server refuses chunked bodies (411) before reading them; the malformed chunk is the 400.
    assert.deepEqual(answers(raw.text).map((a) => a.status).slice(0, 1), [200]);
    assert.ok([400, 411].includes(answers(raw.text)[1]?.status ?? 0), raw.text);
    assert.deepEqual(ran(marker).filter((r) => r.what === 'start').map((r) => r.id), ['one']);
  });

  // A bounded fuzz over sequences of requests in one packet, against the model: answers come in
  // order, one per request up to the first that closes the connection; the app runs exactly the
  // valid requests before that point.
  test('fuzz: 40 random pipelined sequences match the model', async () => {
    let seed = 7;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    type Kind = { bytes: (id: string) => string; status: number[]; runs: boolean; closes: boolean; parses: boolean };
    const kinds: Kind[] = [
      { bytes: (id) => `GET /g?id=${id} HTTP/1.1\r\nHost: x\r\n\r\n`, status: [200], runs: true, closes: false, parses: true },
      { bytes: (id) => `POST /p?id=${id} HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc`, status: [200], runs: true, closes: false, parses: true },
      { bytes: (id) => `GET /c?id=${id} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`, status: [200], runs: true, closes: true, parses: true },
      { bytes: () => 'GET /h HTTP/1.1\r\nHost: a b\r\n\r\n', status: [400], runs: false, closes: true, parses: true },
      { bytes: () => 'GET /%zz HTTP/1.1\r\nHost: x\r\n\r\n', status: [400], runs: false, closes: true, parses: true },
      { bytes: () => 'POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n', status: [413], runs: false, closes: true, parses: true },
      { bytes: () => 'junk\r\n\r\n', status: [400, 501], runs: false, closes: true, parses: false },
      { bytes: () => 'GET /x HTTP/1.1\r\nHost: x\r\nX-A: a\x00b\r\n\r\n', status: [400], runs: false, closes: true, parses: false },
    ];
    for (let round = 0; round < 40; round++) {
      fs.rmSync(marker, { force: true });
      const sequence = Array.from({ length: 1 + random(5) }, (_, i) => ({ kind: kinds[random(kinds.length)]!, id: `r${round}-${i}` }));
      const raw = await rawRequest(server.port, sequence.map((s) => s.kind.bytes(s.id)).join(''), 800);
      const closing = sequence.findIndex((s) => s.kind.closes);
      const answered = closing < 0 ? sequence : sequence.slice(0, closing + 1);
      const got = answers(raw.text);
      const describe = `round ${round}: ${JSON.stringify(sequence.map((s) => s.kind.bytes(s.id).slice(0, 30)))}\n${raw.text.slice(0, 400)}`;
      assert.equal(got.length, answered.length, describe);
      answered.forEach((s, i) => assert.ok(s.kind.status.includes(got[i]!.status), describe));
      if (closing >= 0) assert.ok(raw.closed, describe);
      await request(`${server.url}/fence?id=fence`);
      const started = ran(marker).filter((r) => r.what === 'start' && r.id !== 'fence').map((r) => r.id);
      assert.deepEqual(started, answered.filter((s) => s.kind.runs).map((s) => s.id), describe);
    }
  });
});

describe('answers the front end makes itself', () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer(recordingApp(path.join(tempDir(), 'ran.log')));
  });
  after(() => server.stop());

  test('conflicting Content-Length headers from the app: 500, not both', async () => {
    const reply = await request(`${server.url}/two-lengths`);
    assert.equal(reply.status, 500);
    await server.waitForLog('conflicting Content-Length headers');
  });

  test('the same Content-Length twice from the app goes out once', async () => {
    const raw = await rawRequest(server.port, 'GET /same-lengths HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    assert.equal(statusOf(raw), 200);
    assert.equal(raw.text.match(/^content-length:/gim)?.length, 1, raw.text);
  });

  test('an app header with a control character: 500 with its own reason phrase', async () => {
    const raw = await rawRequest(server.port, 'GET /control-char HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    assert.match(raw.text, /^HTTP\/1\.1 500 Internal Server Error\r\n/);
  });

  test('a 2 MB request line is a 414', async () => {
    const raw = await rawRequest(server.port, `GET /${'a'.repeat(2_000_000)} HTTP/1.1\r\nHost: x\r\n\r\n`, 5000);
    assert.equal(statusOf(raw), 414);
  });

  test('an HTTP/0.9 request gets a 400 and the connection closes', async () => {
    const raw = await rawRequest(server.port, 'GET /echo\r\n\r\n', 3000);
    assert.equal(statusOf(raw), 400, raw.text);
    assert.ok(raw.closed);
  });

  test('OPTIONS * is answered 200 with no body, as Apache does; another method with * is a 400', async () => {
    const raw = await rawRequest(server.port, 'OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\nGET * HTTP/1.1\r\nHost: x\r\n\r\n');
    assert.deepEqual(answers(raw.text).map((a) => [a.status, a.body]), [[200, ''], [400, answers(raw.text)[1]?.body]]);
  });

  test("an absolute-form target's host wins over the Host header (RFC 9112 §3.2.2, as Apache)", async () => {
    const raw = await rawRequest(server.port, 'GET http://target.test:81/host HTTP/1.1\r\nHost: header.test\r\nConnection: close\r\n\r\n');
    assert.equal(answers(raw.text)[0]?.body, 'target.test:81');
  });
});

describe('slow clients (Timeout 2)', () => {
  let server: RunningServer;
  let marker: string;
  before(async () => {
    marker = path.join(tempDir(), 'ran.log');
    const script = recordingApp(marker);
    server = await startServe(writeConf(`
Listen 127.0.0.1:0
Timeout 2
LogLevel info
WSGIDaemonProcess one processes=1 threads=1
WSGIScriptAlias / ${script} process-group=one application-group=%{GLOBAL}
<Directory ${path.dirname(script)}>
  Require all granted
</Directory>
`));
  });
  after(() => server.stop());

  test('a connection that sends nothing is closed within Timeout and a second', async () => {
    const started = Date.now();
    const raw = await rawRequest(server.port, [], 20_000);
    assert.ok(raw.closed);
    assert.equal(raw.text, '', 'Apache closes a connection that sent nothing without an answer');
    // node:http alone would look every 30 s.
    assert.ok(Date.now() - started < 6000, `closed after ${Date.now() - started} ms`);
  });

  test('a head sent a byte every 300 ms is cut off within Timeout and a second', async () => {
    const started = Date.now();
    const head = 'GET /slowloris HTTP/1.1\r\nHost: x\r\nX-Pad: ' + 'p'.repeat(200);
    const slowloris = trickle(server.port, head, 300, 20_000);
    assert.ok(await slowloris.closed, 'still open after 20 s');
    assert.match(slowloris.received(), /^HTTP\/1\.1 408 /);
    assert.ok(Date.now() - started < 6000, `closed after ${Date.now() - started} ms`);
  });

  test('slow uploads hold their connections, not the only Python thread', async () => {
    fs.rmSync(marker, { force: true });
    const uploads = Array.from({ length: 3 }, () =>
      trickle(server.port, 'POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: 12\r\n\r\n', 0, 20_000, 'abcdefghijkl', 500));
    await Promise.all(uploads.map((u) => u.headSent));
    const started = Date.now();
    const reply = await request(`${server.url}/quick?id=quick`);
    assert.equal(reply.status, 200);
    // Each upload takes 6 s; a thread held by one would keep this waiting that long.
    assert.ok(Date.now() - started < 3000, `waited ${Date.now() - started} ms`);
    await Promise.all(uploads.map((u) => u.closed));
  });

  test('nothing after a 411 (a chunked body without WSGIChunkedRequest) runs', async () => {
    fs.rmSync(marker, { force: true });
    const raw = await rawRequest(server.port,
      'POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\nGET /after?id=after HTTP/1.1\r\nHost: x\r\n\r\n');
    assert.deepEqual(answers(raw.text).map((a) => a.status), [411]);
    assert.equal((await request(`${server.url}/check?id=check`)).status, 200);
    assert.deepEqual(ran(marker).filter((r) => r.what === 'start').map((r) => r.id), ['check']);
  });

  test('a request line without a version and no blank line (HTTP/0.9) is closed within Timeout', async () => {
    const started = Date.now();
    const raw = await rawRequest(server.port, 'GET /echo\r\n', 20_000);
    assert.ok(raw.closed);
    assert.ok(Date.now() - started < 6000, `closed after ${Date.now() - started} ms`);
  });

  test('a client that stalls mid-body gets 408 (its fault), not a gateway 504', async () => {
    const raw = await rawRequest(server.port, 'POST /stall HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n' + 'x'.repeat(70_000), 15_000);
    assert.equal(statusOf(raw), 408, raw.text.slice(0, 200));
    assert.ok(raw.closed);
    await server.waitForLog(/no part of the body arrived within Timeout \(2 s\)/);
  });
});

describe('out of file descriptors (prlimit --nofile=256)', () => {
  let server: RunningServer;
  before(async () => {
    server = await startServerUnder(['prlimit', '--nofile=256', '--'], recordingApp(path.join(tempDir(), 'ran.log')));
  });
  after(() => server.stop());

  test('300 idle connections: the front end stops accepting, and can still start a worker process', async () => {
    const idle: net.Socket[] = [];
    try {
      for (let i = 0; i < 300; i++) {
        const socket = net.connect(server.port, '127.0.0.1');
        socket.on('error', () => {});
        idle.push(socket);
      }
      await server.waitForLog('At the limit of');
      // A replacement process needs pipes and sockets of its own: the front end kept them.
      const { stdout } = await promisify(execFile)(process.execPath, [BIN, 'restart-group', '%{GLOBAL}', '--pid', String(server.child.pid)]);
      assert.match(stdout, /every process replaced/);
    } finally {
      for (const socket of idle) socket.destroy();
    }
    assert.equal(server.child.exitCode, null, 'the front end is up');
    // Until the front end has seen the closes it is still at its limit, and drops a new connection.
    await waitFor(() => fs.readdirSync(`/proc/${server.child.pid}/fd`).length < 100, 'the front end to close the idle connections');
    assert.equal((await request(`${server.url}/after?id=after`)).status, 200);
  });
});

/**
 * Writes `head` a byte every `everyMs` (all at once when 0), then `body` a byte every `bodyEveryMs`.
 * `closed` resolves true once the server closes the connection, false after `limitMs`; `received`
 * is what the server sent.
 */
function trickle(port: number, head: string, everyMs: number, limitMs: number, body = '', bodyEveryMs = 0): { headSent: Promise<void>; closed: Promise<boolean>; received(): string } {
  const socket = net.connect(port, '127.0.0.1');
  const pieces = [...(everyMs > 0 ? head.split('') : [head]), ...body.split('')];
  const headPieces = everyMs > 0 ? head.length : 1;
  let at = 0;
  let timer: NodeJS.Timeout | null = null;
  let headWritten: () => void = () => {};
  const headSent = new Promise<void>((resolve) => { headWritten = resolve; });
  const closed = new Promise<boolean>((resolve) => {
    const limit = setTimeout(() => done(false), limitMs);
    function done(wasClosed: boolean): void {
      clearTimeout(limit);
      if (timer) clearTimeout(timer);
      socket.destroy();
      resolve(wasClosed);
    }
    socket.on('close', () => done(true));
  });
  const next = () => {
    if (at >= pieces.length || socket.destroyed) return;
    socket.write(pieces[at++]!, () => { if (at === headPieces) headWritten(); });
    timer = setTimeout(next, at < headPieces ? everyMs : bodyEveryMs);
  };
  let received = '';
  socket.on('connect', next);
  socket.on('data', (chunk: Buffer) => { received += chunk.toString('latin1'); });
  socket.on('error', () => {});
  return { headSent, closed, received: () => received };
}
