// 200 MB through each way with the front end's and the worker's memory staying bounded:
// neither side may hold a whole body.

import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { APPS, childrenOf, startServer, type RunningServer } from './helpers/tswsgi';

const PROBE = path.join(APPS, 'probe.wsgi');
const TOTAL = 200 * 1024 * 1024;
/** Ceilings well above an idle process and far below a buffered 200 MB body. */
const FRONT_END_CEILING = 160 * 1024 * 1024;
const WORKER_CEILING = 80 * 1024 * 1024;

function rss(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Samples the peak RSS of the front end and its workers while `work` runs. */
async function peakMemory(server: RunningServer, work: () => Promise<void>): Promise<{ frontEnd: number; worker: number }> {
  const front = server.child.pid!;
  const workers = childrenOf(front);
  assert.ok(workers.length > 0, 'found the worker processes');
  const peak = { frontEnd: 0, worker: 0 };
  const timer = setInterval(() => {
    peak.frontEnd = Math.max(peak.frontEnd, rss(front));
    for (const w of workers) peak.worker = Math.max(peak.worker, rss(w));
  }, 50);
  try {
    await work();
  } finally {
    clearInterval(timer);
  }
  return peak;
}

const MB = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;

/** POSTs `total` random bytes to the probe's upload in 1 MiB writes; rejects unless the app read exactly them. */
function upload(url: string, total: number): Promise<void> {
  const piece = crypto.randomBytes(1024 * 1024);
  const expected = crypto.createHash('sha256');
  return new Promise<void>((resolve, reject) => {
    const req = http.request(url + '/', {
      method: 'POST', agent: false,
      headers: { 'X-Probe': 'upload', 'Content-Length': String(total), 'Content-Type': 'application/octet-stream' },
    }, (res) => {
      let text = '';
      res.on('data', (d) => { text += d; });
      res.on('end', () => {
        try {
          assert.deepEqual(JSON.parse(text), { length: total, sha256: expected.digest('hex') });
          resolve();
        } catch (err) {
          reject(err);
        }
      });
    });
    req.on('error', reject);
    let sent = 0;
    const pump = () => {
      while (sent < total) {
        sent += piece.length;
        expected.update(piece);
        if (!req.write(piece)) return void req.once('drain', pump);
      }
      req.end();
    };
    pump();
  });
}

test('a 200 MB upload streams through with bounded memory', { timeout: 120_000 }, async (t) => {
  const server = await startServer(PROBE, ['--limit-request-body', String(TOTAL * 2)]);
  try {
    const peak = await peakMemory(server, () => upload(server.url, TOTAL));
    t.diagnostic(`peak RSS: front end ${MB(peak.frontEnd)}, worker ${MB(peak.worker)}`);
    assert.ok(peak.frontEnd < FRONT_END_CEILING, `front end peaked at ${MB(peak.frontEnd)}`);
    assert.ok(peak.worker < WORKER_CEILING, `worker peaked at ${MB(peak.worker)}`);
  } finally {
    await server.stop();
  }
});

// Eight threads reading bodies at once, 320 uploads of 1 MiB: the worker's reads must not leave a
// trail of body-sized allocations behind (a reader that built each 64 KiB read from fresh pieces
// grew by 15 MB here, against 2-3 MB for the buffered reader).
test('eight uploads at a time keep the worker near its idle size', { timeout: 120_000 }, async (t) => {
  const server = await startServer(PROBE, ['--processes', '1', '--threads', '8']);
  try {
    await upload(server.url, 1024 * 1024);
    const [worker] = childrenOf(server.child.pid!);
    const idle = rss(worker!);
    const peak = await peakMemory(server, async () => {
      await Promise.all(Array.from({ length: 8 }, async () => {
        for (let n = 0; n < 40; n++) await upload(server.url, 1024 * 1024);
      }));
    });
    t.diagnostic(`worker RSS: idle ${MB(idle)}, peak ${MB(peak.worker)}`);
    assert.ok(peak.worker - idle < 8 * 1024 * 1024, `worker grew from ${MB(idle)} to ${MB(peak.worker)}`);
  } finally {
    await server.stop();
  }
});

test('a 200 MB download streams through with bounded memory', { timeout: 120_000 }, async (t) => {
  const server = await startServer(PROBE);
  try {
    let received = 0;
    let correct = true;
    const peak = await peakMemory(server, () => new Promise<void>((resolve, reject) => {
      http.get(server.url + '/', { agent: false, headers: { 'X-Probe': 'download', 'X-Bytes': String(TOTAL) } }, (res) => {
        assert.equal(res.headers['content-length'], String(TOTAL));
        res.on('data', (d: Buffer) => {
          received += d.length;
          if (d[0] !== 0x78 || d[d.length - 1] !== 0x78) correct = false;
        });
        res.on('end', resolve);
        res.on('error', reject);
      }).on('error', reject);
    }));
    assert.equal(received, TOTAL);
    assert.ok(correct, 'the bytes are the ones the app sent');
    t.diagnostic(`peak RSS: front end ${MB(peak.frontEnd)}, worker ${MB(peak.worker)}`);
    assert.ok(peak.frontEnd < FRONT_END_CEILING, `front end peaked at ${MB(peak.frontEnd)}`);
    assert.ok(peak.worker < WORKER_CEILING, `worker peaked at ${MB(peak.worker)}`);
  } finally {
    await server.stop();
  }
});
