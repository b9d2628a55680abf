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
