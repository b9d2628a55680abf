// Connection-level behaviour, differential: the same scenario runs against Debian's Apache 2.4 +
// mod_wsgi and against tswsgi on the same configuration, and must come out the same. What is
// compared here is timing (who waits for whom) and what a slow client gets, which the
// request-by-request corpus of differential.test.ts cannot observe. Time bounds separate
// orders of magnitude only.
//
// Needs root, /usr/sbin/apache2 and mod_wsgi, as differential.test.ts.

import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { makeTree, start, unavailable, type Instance, type ServerKind } from './harness';

const missing = unavailable();
if (missing && process.env.CI) throw new Error(`differential tests cannot run under CI: ${missing}`);

const KINDS: ServerKind[] = ['apache', 'tswsgi'];

interface Timed {
  status: number;
  body: string;
  /** Milliseconds from the start of the scenario to the end of the answer. */
  endedAt: number;
}

function get(port: number, target: string, t0: number, headers: Record<string, string> = {}): Promise<Timed> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: target, headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('latin1');
      res.on('data', (d: string) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode!, body, endedAt: Date.now() - t0 }));
    });
    req.setTimeout(30_000, () => req.destroy(new Error(`no answer to ${target} within 30 s`)));
    req.on('error', reject);
    req.end();
  });
}

async function waitForLines(file: string, count: number): Promise<void> {
  const until = Date.now() + 20_000;
  const lines = () => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).length : 0);
  while (lines() < count) {
    if (Date.now() > until) throw new Error(`${file}: ${lines()} of ${count} lines after 20 s`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** One instance of each server on `template`, for the tests of a describe block. */
function servers(template: string): { of(kind: ServerKind): Instance } {
  let root = '';
  const instances = new Map<ServerKind, Instance>();
  before(async () => {
    root = makeTree();
    for (const kind of KINDS) instances.set(kind, await start(kind, template, root));
  });
  after(async () => {
    await Promise.all([...instances.values()].map((i) => i.stop()));
    fs.rmSync(root, { recursive: true, force: true });
  });
  return { of: (kind) => instances.get(kind)! };
}

describe('MaxRequestWorkers, against Apache', { skip: missing ?? false, timeout: 120_000 }, () => {
  // Two worker threads in all; the daemon group has more, so only the connection limit can make a client wait.
  const running = servers(`StartServers 2
ServerLimit 2
ThreadsPerChild 1
MaxRequestWorkers 2
KeepAliveTimeout 20
WSGIDaemonProcess wide processes=1 threads=5
WSGIScriptAlias /app {{ROOT}}/slow.wsgi process-group=wide application-group=%{GLOBAL}
`);
  let markers = '';
  before(() => {
    markers = fs.mkdtempSync(path.join(os.tmpdir(), 'tswsgi-markers-'));
    fs.chmodSync(markers, 0o777);
  });
  after(() => fs.rmSync(markers, { recursive: true, force: true }));

  for (const kind of KINDS) {
    test(`${kind}: a third client is answered only after one of the first two ends, and none fails`, async () => {
      const { port } = running.of(kind);
      const marker = path.join(markers, `${kind}-limit`);
      const t0 = Date.now();
      const first = [get(port, '/app?3', t0, { 'X-Marker': marker }), get(port, '/app?3', t0, { 'X-Marker': marker })];
      await waitForLines(marker, 2);
      const sentAt = Date.now() - t0;
      const third = await get(port, '/app', t0);
      const answers = await Promise.all(first);
      assert.deepEqual([...answers, third].map((a) => a.status), [200, 200, 200]);
      const firstEnd = Math.min(...answers.map((a) => a.endedAt));
      assert.ok(third.endedAt >= firstEnd - 50, `the third answer (at ${third.endedAt} ms) came after the first of the others ended (${firstEnd} ms)`);
      // Without the limit it takes milliseconds; with it, the rest of a 3 s sleep.
      assert.ok(third.endedAt - sentAt > 1000, `the third client waited (${third.endedAt - sentAt} ms)`);
    });

    test(`${kind}: clients idle between keep-alive requests do not keep a new one waiting`, async () => {
      const { port } = running.of(kind);
      const agents = [new http.Agent({ keepAlive: true, maxSockets: 1 }), new http.Agent({ keepAlive: true, maxSockets: 1 })];
      try {
        const t0 = Date.now();
        for (const agent of agents) {
          await new Promise<void>((resolve, reject) => {
            http.get({ host: '127.0.0.1', port, path: '/app', agent }, (res) => { res.resume(); res.on('end', resolve); }).on('error', reject);
          });
        }
        // Both connections are open and idle now, for up to KeepAliveTimeout (20 s).
        const third = await get(port, '/app', t0);
        assert.equal(third.status, 200);
        assert.ok(third.endedAt < 5000, `answered at once, not after KeepAliveTimeout (${third.endedAt} ms)`);
      } finally {
        for (const agent of agents) agent.destroy();
      }
    });
  }
});

interface Trickled {
  /** The raw answer, as latin-1. */
  answer: string;
  /** Milliseconds from the first byte sent to the connection's close. */
  closedAfter: number;
}

/**
 * Sends `head` and then, every `everyMs`, the next of `pieces` (until they run out or the server
 * closes the connection); resolves when the server closes it, or after 30 s.
 */
function trickle(port: number, head: string, pieces: string[], everyMs: number): Promise<Trickled> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let answer = '';
    let t0 = 0;
    let next = 0;
    let timer: NodeJS.Timeout | undefined;
    const giveUp = setTimeout(() => socket.destroy(), 30_000);
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => { answer += d; });
    socket.on('error', () => {});
    socket.on('close', () => {
      clearInterval(timer);
      clearTimeout(giveUp);
      resolve({ answer, closedAfter: Date.now() - t0 });
    });
    socket.once('connect', () => {
      t0 = Date.now();
      socket.write(head);
      timer = setInterval(() => {
        if (next < pieces.length && socket.writable) socket.write(pieces[next++]!);
      }, everyMs);
    });
    socket.once('error', reject);
  });
}

const statusOf = (answer: string) => Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0);
const bodyOf = (answer: string) => answer.slice(answer.indexOf('\r\n\r\n') + 4);

describe('RequestReadTimeout, against Apache', { skip: missing ?? false, timeout: 120_000 }, () => {
  const running = servers(`LoadModule reqtimeout_module /usr/lib/apache2/modules/mod_reqtimeout.so
RequestReadTimeout header=2-8,MinRate=100 body=2,MinRate=100
WSGIScriptAlias /app {{ROOT}}/slow.wsgi
`);
  /** The scenario on both servers at once. */
  const both = (run: (port: number) => Promise<Trickled>) =>
    Promise.all(KINDS.map((kind) => run(running.of(kind).port))).then(([apache, tswsgi]) => ({ apache: apache!, tswsgi: tswsgi! }));

  test('a head sent slower than MinRate gets 408, with the same page, near the initial seconds (not Timeout)', async () => {
    const bytes = Array.from({ length: 100 }, () => 'a');
    const answers = await both((port) => trickle(port, 'GET /app HTTP/1.1\r\nHost: x\r\nX-Slow: ', bytes, 200));
    for (const [kind, got] of Object.entries(answers)) {
      assert.equal(statusOf(got.answer), 408, `${kind}: ${got.answer}`);
      assert.ok(got.closedAfter >= 1500 && got.closedAfter < 5000, `${kind}: cut after header=2 (${got.closedAfter} ms)`);
    }
    assert.equal(bodyOf(answers.tswsgi.answer), bodyOf(answers.apache.answer));
  });

  test('a head sent faster than MinRate earns time, up to the maximum, then gets 408', async () => {
    const lines = Array.from({ length: 200 }, (_, i) => `X-Line-${String(i).padStart(3, '0')}: ${'v'.repeat(44)}\r\n`);
    const answers = await both((port) => trickle(port, 'GET /app HTTP/1.1\r\nHost: x\r\n', lines, 200));
    for (const [kind, got] of Object.entries(answers)) {
      assert.equal(statusOf(got.answer), 408, `${kind}: ${got.answer}`);
      assert.ok(got.closedAfter >= 5000 && got.closedAfter < 20_000, `${kind}: cut at the maximum of 8 s, well past the initial 2 (${got.closedAfter} ms)`);
    }
  });

  test('a body that stops coming is cut near the initial seconds: Apache\'s application sees a read error (500), tswsgi answers 408', async () => {
    const answers = await both((port) => trickle(port, 'POST /app HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n0123456789', [], 1000));
    assert.equal(statusOf(answers.apache.answer), 500);
    assert.equal(statusOf(answers.tswsgi.answer), 408);
    for (const [kind, got] of Object.entries(answers)) {
      assert.ok(got.closedAfter >= 1500 && got.closedAfter < 8000, `${kind}: cut after body=2 (${got.closedAfter} ms)`);
    }
  });

  test('a body sent faster than MinRate is read whole, past the initial seconds (body= has no maximum here)', async () => {
    const pieces = Array.from({ length: 30 }, () => 'b'.repeat(300));
    const answers = await both((port) => trickle(port, 'POST /app HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 9000\r\n\r\n', pieces, 200));
    for (const [kind, got] of Object.entries(answers)) {
      assert.equal(statusOf(got.answer), 200, `${kind}: ${got.answer}`);
      assert.match(bodyOf(got.answer), /read 9000/, kind);
      assert.ok(got.closedAfter >= 5000, `${kind}: the upload took longer than body=2 (${got.closedAfter} ms)`);
    }
  });

  test('the head deadline runs from the first byte of a request: a keep-alive connection idle longer than header=2 is served', async () => {
    const request = 'GET /app HTTP/1.1\r\nHost: x\r\n\r\n';
    const last = 'GET /app HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n';
    // The second request comes 3 s after the first answer (KeepAliveTimeout is 5 s).
    const answers = await both((port) => trickle(port, request, ['', '', last], 1500));
    for (const [kind, got] of Object.entries(answers)) {
      assert.equal(got.answer.match(/^HTTP\/1\.1 200 /gm)?.length, 2, `${kind}: ${got.answer}`);
    }
  });
});
