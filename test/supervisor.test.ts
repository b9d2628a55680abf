// The supervisor with real worker processes: threads, crashes, respawns, shutdown.

import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { APPS, request, startServe, startServer, writeConf } from './helpers/tswsgi';

const SCRIPT = path.join(APPS, 'responses.wsgi');
const PROBE = path.join(APPS, 'probe.wsgi');

const sleepRequest = (url: string, seconds: number) =>
  request(url + '/', { headers: { 'X-Probe': 'slow', 'X-Sleep': String(seconds) } });

test('threads=5: five slow requests run together, not one after another', async () => {
  const server = await startServer(PROBE, ['--threads', '5']);
  try {
    const started = Date.now();
    const replies = await Promise.all(Array.from({ length: 5 }, () => sleepRequest(server.url, 1)));
    const elapsed = Date.now() - started;
    for (const reply of replies) assert.equal(reply.status, 200);
    assert.ok(elapsed < 1900, `five 1 s requests took ${elapsed} ms`);
    const spans = replies.map((r) => r.json<{ started: number; ended: number }>());
    const latestStart = Math.max(...spans.map((s) => s.started));
    const earliestEnd = Math.min(...spans.map((s) => s.ended));
    assert.ok(latestStart < earliestEnd, 'all five were running at the same moment');
  } finally {
    await server.stop();
  }
});

test('a sixth request waits for a free thread instead of failing', async () => {
  const server = await startServer(PROBE, ['--threads', '2']);
  try {
    const started = Date.now();
    const replies = await Promise.all(Array.from({ length: 3 }, () => sleepRequest(server.url, 0.6)));
    for (const reply of replies) assert.equal(reply.status, 200);
    assert.ok(Date.now() - started >= 1150, 'the third request waited for a thread');
  } finally {
    await server.stop();
  }
});

test('requests waiting for the only thread run in the order they came, across application groups too', async () => {
  const app = path.join(APPS, 'lifecycle.wsgi');
  const server = await startServe(writeConf(`Listen 127.0.0.1:0
WSGIDaemonProcess one processes=1 threads=1
WSGIScriptAlias /a ${app} process-group=one application-group=A
WSGIScriptAlias /b ${app} process-group=one application-group=B
`));
  try {
    assert.equal((await request(server.url + '/b/')).status, 200, "B's interpreter is up");
    const done: string[] = [];
    const tracked = (name: string, url: string) => request(url).then((reply) => {
      done.push(name);
      return reply.status;
    });
    const pause = () => new Promise((r) => setTimeout(r, 100));
    // The thread is a process's, shared by its interpreters, as in mod_wsgi.
    const replies = [tracked('busy A', server.url + '/a/sleep?1')];
    await pause();
    for (const [name, url] of [['A 1', '/a/'], ['B 1', '/b/'], ['A 2', '/a/'], ['B 2', '/b/']] as const) {
      replies.push(tracked(name, server.url + url));
      await pause();
    }
    assert.deepEqual(await Promise.all(replies), [200, 200, 200, 200, 200]);
    assert.deepEqual(done, ['busy A', 'A 1', 'B 1', 'A 2', 'B 2']);
  } finally {
    await server.stop();
  }
});

test('a worker that dies mid-request costs that request a 502, quickly; the next one succeeds', async () => {
  const server = await startServer(SCRIPT, ['--processes', '1']);
  try {
    const firstPid = (await request(server.url + '/', { headers: { 'X-Case': 'pid' } })).body.toString();
    const started = Date.now();
    const crashed = await request(server.url + '/', { headers: { 'X-Case': 'crash' } });
    assert.equal(crashed.status, 502);
    assert.ok(Date.now() - started < 1000, 'the 502 came at once');
    await server.waitForLog(new RegExp(`process ${firstPid} of process group '%\\{GLOBAL\\}' exited with code 3`));
    const after = await request(server.url + '/', { headers: { 'X-Case': 'pid' } });
    assert.equal(after.status, 200);
    assert.notEqual(after.body.toString(), firstPid, 'served by the replacement process');
  } finally {
    await server.stop();
  }
});

test('kill -9 during a request: 502 for it, the log names the signal, others are served', async () => {
  const server = await startServer(SCRIPT, ['--processes', '2', '--threads', '2']);
  try {
    const pids = new Set<string>();
    for (let i = 0; i < 6; i++) pids.add((await request(server.url + '/', { headers: { 'X-Case': 'pid' } })).body.toString());
    assert.equal(pids.size, 2, 'requests spread over both processes');
    const slow = request(server.url + '/', { headers: { 'X-Case': 'sleep', 'X-Sleep': '3' } });
    await new Promise((r) => setTimeout(r, 300));
    // The busy process is the one to kill: find it by asking which pid is free.
    const free = (await request(server.url + '/', { headers: { 'X-Case': 'pid' } })).body.toString();
    const victim = [...pids].find((p) => p !== free)!;
    process.kill(Number(victim), 'SIGKILL');
    const reply = await slow;
    assert.equal(reply.status, 502);
    await server.waitForLog(new RegExp(`process ${victim} of .* was killed by signal SIGKILL`));
    const replies = await Promise.all(Array.from({ length: 8 }, () => request(server.url + '/', { headers: { 'X-Case': 'pid' } })));
    for (const r of replies) assert.equal(r.status, 200);
  } finally {
    await server.stop();
  }
});

test('an idle worker killed between requests costs no request: each goes to a live process', async () => {
  const server = await startServer(SCRIPT, ['--processes', '2', '--threads', '4']);
  try {
    // Warm both processes' connection pools so that dead pooled connections would be tried.
    await Promise.all(Array.from({ length: 8 }, () => request(server.url + '/', { headers: { 'X-Case': 'pid' } })));
    const pid = Number((await request(server.url + '/', { headers: { 'X-Case': 'pid' } })).body.toString());
    process.kill(pid, 'SIGKILL');
    // Dead for sure (a zombie until the server reaps it), though the server may not know yet:
    // requests now meet pooled connections to a process that can no longer read them.
    const dead = () => {
      try {
        return /^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
      } catch {
        return true; // already reaped
      }
    };
    while (!dead()) await new Promise((r) => setImmediate(r));
    const replies = await Promise.all(Array.from({ length: 20 }, () => request(server.url + '/', { headers: { 'X-Case': 'pid' } })));
    assert.deepEqual(replies.map((r) => r.status), new Array(20).fill(200), server.errorLog().split('\n').filter((l) => !l.includes(':info]')).join('\n'));
  } finally {
    await server.stop();
  }
});

test('SIGTERM lets in-flight requests finish, then exits 0', async () => {
  const server = await startServer(PROBE, ['--threads', '5']);
  const inFlight = Array.from({ length: 5 }, () => sleepRequest(server.url, 1));
  await new Promise((r) => setTimeout(r, 300));
  const code = server.stop('SIGTERM');
  const replies = await Promise.all(inFlight);
  for (const reply of replies) assert.equal(reply.status, 200);
  assert.equal(await code, 0);
  await assert.rejects(request(server.url + '/'), /ECONNREFUSED/);
});
