// Bounded generative test of the request path: thousands of HTTP byte streams made from
// valid requests (pipelined, with bodies of every framing) and then broken (header lines
// mangled, bad chunked encodings, lengths that lie, bytes flipped, streams cut short, sent
// in pieces) go to one running server. Its application counts the requests that reach it by
// the id in their path. The server must not crash, every stream must get an answer or a
// clean close within STREAM_BOUND_MS, no id may reach Python twice, the access log must stay
// one line per request, and the server must still serve and stop promptly afterwards.
// Each stream comes from FUZZ_SEED and its index (test/helpers/prng.ts).

import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { FUZZ_SEED, fuzzIndexes, inputPrng, reproduce, type Prng } from './helpers/prng';
import { request, startServe, tempDir, writeScript, type RunningServer } from './helpers/tswsgi';

const COUNT = 2500;
/** Streams in flight at once. */
const PARALLEL = 64;
/** Timeout 1 and KeepAliveTimeout 1 (checked every second) close any connection within 3 s; the rest is for a busy machine. */
const STREAM_BOUND_MS = 6000;
/** A SIGTERM waits up to 30 s for requests in flight: one counted but never finished would show here. */
const STOP_BOUND_MS = 10_000;

const APP = `
import json, os, re, threading, time
lock = threading.Lock()
seen = {}

def application(environ, start_response):
    path = environ.get('PATH_INFO', '')
    if path == '/stats':
        with lock:
            body = json.dumps({'pid': os.getpid(), 'ids': len(seen), 'twice': {k: v for k, v in seen.items() if v > 1}}).encode()
        start_response('200 OK', [('Content-Type', 'application/json'), ('Content-Length', str(len(body)))])
        return [body]
    m = re.search('/count/([^/?]+)', path)
    if m:
        with lock:
            seen[m.group(1)] = seen.get(m.group(1), 0) + 1
    try:
        size = len(environ['wsgi.input'].read())
    except Exception:
        size = -1
    if path.endswith('/slow'):
        time.sleep(0.05)
    if path.endswith('/stream'):
        start_response('200 OK', [('Content-Type', 'text/plain')])
        return (b'part %d\\n' % i for i in range(3))
    body = b'x' * 70000 if path.endswith('/big') else b'read %d\\n' % size
    start_response('200 OK', [('Content-Type', 'text/plain'), ('Content-Length', str(len(body)))])
    return [body]
`;

/** What a stream carries, and how it is sent. */
interface Stream {
  pieces: Buffer[];
  /** Milliseconds before each piece. */
  delays: number[];
  /** Shut down the sending side after the last piece (as `nc -N`); otherwise the server's timeouts close it. */
  halfClose: boolean;
  description: string[];
}

const SPECIAL = ['\r', '\n', '\r\n', ' ', '\t', ':', '\0', '\x7f', '\xff', '"', '%', '/', '?', '#', ';', ',', '0', 'f', '-', 'é'];

function body(rng: Prng): string {
  return 'b'.repeat(rng.pick([0, 1, 5, 100, 4000, 70000]));
}

/** A request as lines of head (request line first) and the body bytes after it, to be mangled before joining. */
interface Draft {
  line: string;
  headers: string[];
  body: string;
  eol: string;
}

function draft(rng: Prng, id: string, last: boolean): Draft {
  const method = rng.pick(['GET', 'GET', 'POST', 'POST', 'PUT', 'HEAD', 'OPTIONS', 'DELETE']);
  const target = rng.pick([`/count/${id}`, `/count/${id}/stream`, `/count/${id}/big`, `/count/${id}/slow`, `/count/${id}?q=1&r=%41`,
    `/nochunk/count/${id}`, '/static/a.txt', `/count/${id}/a/../b`, `/count/${id}%2Fx`]);
  const headers = [`Host: ${rng.pick(['fuzz.test', 'fuzz.test:80', 'other.test'])}`, `User-Agent: fuzz/${id}`];
  if (rng.chance(0.3)) headers.push(rng.pick(['Accept: */*', 'Cookie: a=b; c=d', 'Referer: http://x/', 'X-Many: 1', `X-Long: ${'l'.repeat(rng.pick([10, 3000, 9000]))}`]));
  let payload = '';
  switch (method === 'GET' || method === 'HEAD' ? rng.pick(['none', 'none', 'length']) : rng.pick(['none', 'length', 'length', 'chunked', 'chunked'])) {
    case 'length':
      payload = body(rng);
      headers.push(`Content-Length: ${payload.length}`);
      if (rng.chance(0.2)) headers.push('Expect: 100-continue');
      break;
    case 'chunked': {
      const chunks = Array.from({ length: rng.between(0, 3) }, () => body(rng)).filter(Boolean);
      payload = chunks.map((c) => `${c.length.toString(16)}\r\n${c}\r\n`).join('') + '0\r\n' + (rng.chance(0.2) ? 'X-Trailer: t\r\n' : '') + '\r\n';
      headers.push('Transfer-Encoding: chunked');
      break;
    }
  }
  if (last && rng.chance(0.5)) headers.push('Connection: close');
  return { line: `${method} ${target} ${rng.chance(0.9) ? 'HTTP/1.1' : 'HTTP/1.0'}`, headers, body: payload, eol: '\r\n' };
}

type Mangle = (d: Draft, rng: Prng) => void;

const header = (d: Draft, rng: Prng) => rng.int(d.headers.length);

const MANGLES: ReadonlyArray<[string, Mangle]> = [
  ['no colon', (d, rng) => { const i = header(d, rng); d.headers[i] = d.headers[i]!.replace(':', ''); }],
  ['space before colon', (d, rng) => { const i = header(d, rng); d.headers[i] = d.headers[i]!.replace(':', ' :'); }],
  ['header twice', (d, rng) => d.headers.push(rng.pick(['Content-Length: 3', 'Content-Length: 0', 'Host: second.test', 'Transfer-Encoding: chunked', d.headers[header(d, rng)]!]))],
  ['obs-fold', (d, rng) => { const i = header(d, rng); d.headers[i] += '\r\n  folded'; }],
  ['bare LF', (d) => { d.eol = '\n'; }],
  ['control byte', (d, rng) => { const i = header(d, rng); const h = d.headers[i]!; const at = rng.int(h.length + 1); d.headers[i] = h.slice(0, at) + rng.pick(['\0', '\x01', '\x7f', '\r']) + h.slice(at); }],
  ['bad chunk size', (d, rng) => { d.body = d.body.replace(/^[0-9a-f]+/, rng.pick(['zz', '-1', 'ffffffffffffffffff', '0x10', ' 5', '5;ext=1', ''])); }],
  ['chunk without CRLF', (d) => { d.body = d.body.replace(/\r\n(?=[0-9a-f]+\r\n)/, ''); }],
  ['no last chunk', (d) => { d.body = d.body.replace(/0\r\n(X-Trailer: t\r\n)?\r\n$/, ''); }],
  ['bytes after the last chunk', (d) => { d.body += 'garbage\r\n'; }],
  ['transfer coding', (d, rng) => d.headers.push(`Transfer-Encoding: ${rng.pick(['gzip, chunked', 'chunked, chunked', 'Chunked', 'identity', 'chunked;q=1', ''])}`)],
  ['content length', (d, rng) => d.headers.push(`Content-Length: ${rng.pick(['-1', '1e3', ' 5', '5,5', '99999999999999999999', String(d.body.length + 10), '0', 'x'])}`)],
  ['request line', (d, rng) => {
    const [method, target, version] = d.line.split(' ') as [string, string, string];
    d.line = rng.pick([`${method} ${target} HTTP/1.2`, `${method} ${target} HTTP/2.0`, `${method} ${target}`, `${method.toLowerCase()} ${target} ${version}`,
      `${method}  ${target}  ${version}`, `${method} http://fuzz.test${target} ${version}`, `${method} * ${version}`, `${method} /${'a'.repeat(9000)} ${version}`,
      `${method} ${target}\t${version}`, `${target} ${version}`, `GET ${target} HTTP/1.1 extra`]);
  }],
  ['drop Host', (d) => { d.headers = d.headers.filter((h) => !/^host:/i.test(h)); }],
];

function join(d: Draft): string {
  return [d.line, ...d.headers].join(d.eol) + d.eol + d.eol + d.body;
}

function makeStream(index: number): Stream {
  const rng = inputPrng(index);
  const description: string[] = [];
  const count = rng.between(1, 4);
  let text = '';
  for (let k = 0; k < count; k++) {
    const d = draft(rng, `${index.toString(36)}-${k}-${rng.int(2 ** 30).toString(36)}`, k === count - 1);
    for (let n = rng.pick([0, 0, 1, 1, 2]); n > 0; n--) {
      const [name, mangle] = rng.pick(MANGLES);
      description.push(name);
      mangle(d, rng);
    }
    text += join(d);
  }
  for (let n = rng.pick([0, 0, 0, 1, 2]); n > 0; n--) {
    const at = rng.int(text.length);
    text = text.slice(0, at) + rng.pick(SPECIAL) + text.slice(at + 1);
    description.push('flip');
  }
  if (rng.chance(0.1)) {
    text = text.slice(0, rng.int(text.length));
    description.push('cut short');
  }
  const bytes = Buffer.from(text, 'latin1');
  const cuts = Array.from({ length: rng.between(0, 5) }, () => rng.int(bytes.length + 1)).sort((a, b) => a - b);
  const pieces = [0, ...cuts, bytes.length].slice(1).map((end, i, ends) => bytes.subarray(i === 0 ? 0 : ends[i - 1], end));
  const halfClose = !rng.chance(0.02);
  if (!halfClose) description.push('left open');
  return { pieces, delays: pieces.map(() => rng.pick([0, 0, 1, 3])), halfClose, description };
}

interface Outcome {
  /** Milliseconds from the last piece to the close; null when it did not close within the bound. */
  closedAfter: number | null;
  received: Buffer;
}

function send(port: number, stream: Stream): Promise<Outcome> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    const received: Buffer[] = [];
    let sentAt = Date.now();
    let bound: NodeJS.Timeout | null = null;
    const finish = (closed: boolean) => {
      if (bound) clearTimeout(bound);
      socket.destroy();
      resolve({ closedAfter: closed ? Date.now() - sentAt : null, received: Buffer.concat(received) });
    };
    socket.on('data', (d: Buffer) => received.push(d));
    // A reset is a close too: the server may close with bytes of ours unread.
    socket.on('error', () => {});
    socket.on('close', () => finish(true));
    socket.on('connect', async () => {
      for (let i = 0; i < stream.pieces.length; i++) {
        if (stream.delays[i]) await new Promise((r) => setTimeout(r, stream.delays[i]));
        if (socket.destroyed) return;
        socket.write(stream.pieces[i]!);
      }
      if (stream.halfClose) socket.end();
      sentAt = Date.now();
      bound = setTimeout(() => finish(false), STREAM_BOUND_MS);
    });
  });
}

let server: RunningServer;
let dir = '';
const logFile = () => path.join(dir, 'access.log');

before(async () => {
  dir = tempDir('tswsgi-request-fuzz-');
  fs.mkdirSync(path.join(dir, 'static'));
  fs.writeFileSync(path.join(dir, 'static', 'a.txt'), 'static\n');
  const conf = path.join(dir, 'httpd.conf');
  fs.writeFileSync(conf, `Listen 127.0.0.1:0
ServerName fuzz.test
Timeout 1
KeepAliveTimeout 1
LimitRequestBody 65536
LogLevel error
CustomLog ${logFile()} "%h %>s %b %I %O %k %X \\"%r\\" \\"%{User-Agent}i\\" %U%q %D"
WSGIRestrictEmbedded On
WSGIDaemonProcess fuzz processes=1 threads=8
WSGIProcessGroup fuzz
WSGIApplicationGroup %{GLOBAL}
WSGIChunkedRequest On
Alias /static ${dir}/static
WSGIScriptAlias / ${writeScript(APP, 'count.wsgi')}
<Location /nochunk>
    WSGIChunkedRequest Off
</Location>
`);
  server = await startServe(conf);
});
after(async () => {
  if (server.child.exitCode === null) await server.stop('SIGKILL');
  fs.rmSync(dir, { recursive: true, force: true });
});

interface Stats {
  pid: number;
  ids: number;
  twice: Record<string, number>;
}

const stats = async () => (await request(`${server.url}/stats`)).json<Stats>();

test(`${COUNT} mutated request streams: no crash, an answer or a close within ${STREAM_BOUND_MS} ms each, no request run twice (FUZZ_SEED=${FUZZ_SEED})`, async (t) => {
  const started = Date.now();
  const { pid } = await stats();
  const indexes = fuzzIndexes(COUNT);
  const failures: string[] = [];
  let slowest = 0;
  let next = 0;
  const worker = async () => {
    while (next < indexes.length && failures.length < 5) {
      const index = indexes[next++]!;
      const stream = makeStream(index);
      const outcome = await send(server.port, stream);
      const problems: string[] = [];
      if (outcome.closedAfter === null) problems.push(`neither answered and closed nor closed within ${STREAM_BOUND_MS} ms (got ${outcome.received.length} bytes)`);
      else slowest = Math.max(slowest, outcome.closedAfter);
      if (outcome.received.length > 0 && !outcome.received.subarray(0, 9).toString('latin1').startsWith('HTTP/1.1 ')) {
        problems.push(`an answer that is not HTTP: ${JSON.stringify(outcome.received.subarray(0, 80).toString('latin1'))}`);
      }
      if (server.child.exitCode !== null) problems.push(`the server exited with ${server.child.exitCode}`);
      if (problems.length > 0) {
        const sent = Buffer.concat(stream.pieces).toString('latin1');
        failures.push(`stream ${index} (${stream.description.join(', ') || 'unmangled'}): ${problems.join('; ')}\n  again: ${reproduce(index, 'request-fuzz.test.js')}\n` +
          `  sent: ${JSON.stringify(sent.slice(0, 1500))}\n  received: ${JSON.stringify(outcome.received.toString('latin1').slice(0, 600))}`);
      }
    }
  };
  await Promise.all(Array.from({ length: PARALLEL }, worker));
  t.diagnostic(`${indexes.length} streams in ${Date.now() - started} ms, slowest close ${slowest} ms after the last byte, seed ${FUZZ_SEED}`);
  assert.deepEqual(failures, [], `FUZZ_SEED=${FUZZ_SEED}:\n${failures.join('\n\n')}`);

  // The same Python process served throughout, and saw no id twice.
  const after = await stats();
  assert.equal(after.pid, pid, 'the worker process was replaced: it crashed');
  assert.deepEqual(after.twice, {}, 'requests that reached Python more than once');
  assert.ok(after.ids > COUNT / 4 || indexes.length < COUNT, `only ${after.ids} requests reached Python: the streams are mostly refused`);
  t.diagnostic(`${after.ids} requests reached Python`);
});

test('the access log has one well-formed line per request, whatever the request held', () => {
  const lines = fs.readFileSync(logFile(), 'latin1').split('\n').slice(0, -1);
  assert.ok(lines.length > COUNT / 4 || fuzzIndexes(COUNT).length < COUNT, `${lines.length} lines`);
  const line = /^127\.0\.0\.1 \d{3} (-|\d+) \d+ \d+ \d+ [X+-] "(?:[^"\\]|\\.)*" "(?:[^"\\]|\\.)*" \S*(?: \S+)* \d+$/;
  const bad = lines.filter((l) => !line.test(l));
  assert.deepEqual(bad.slice(0, 5), []);
});

test('the server still serves, logged no internal error, and stops promptly on SIGTERM', async () => {
  assert.equal((await request(`${server.url}/count/after-the-fuzz`)).status, 200);
  assert.doesNotMatch(server.errorLog(), /TypeError|RangeError|ReferenceError|Uncaught|ERR_INTERNAL|Lost the connection to/);
  const started = Date.now();
  const code = await server.stop('SIGTERM');
  assert.equal(code, 0);
  assert.ok(Date.now() - started < STOP_BOUND_MS, `SIGTERM took ${Date.now() - started} ms: a request was counted in flight and never finished`);
});
