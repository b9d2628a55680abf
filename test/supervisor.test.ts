// The supervisor with real worker processes: threads, crashes, respawns, shutdown.

import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import {
  APPS, BIN, childrenOf, hasExited, request, startedRequests, startServe, startServer, startServerAsJob, tempDir, waitFor, writeConf,
} from './helpers/tswsgi';

const SCRIPT = path.join(APPS, 'responses.wsgi');
const PROBE = path.join(APPS, 'probe.wsgi');
const LIFECYCLE = path.join(APPS, 'lifecycle.wsgi');

const sleepRequest = (url: string, seconds: number) =>
  request(url + '/', { headers: { 'X-Probe': 'slow', 'X-Sleep': String(seconds) } });

test('threads=5: five slow requests run together, not one after another', async () => {
  const server = await startServer(PROBE, ['--threads', '5']);
  try {
    const replies = await Promise.all(Array.from({ length: 5 }, () => sleepRequest(server.url, 1)));
    for (const reply of replies) assert.equal(reply.status, 200);
    // Measured where they ran, not by the client's clock, which a busy machine stretches.
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
  const server = await startServe(writeConf(`Listen 127.0.0.1:0
LogLevel debug
WSGIDaemonProcess one processes=1 threads=1
WSGIScriptAlias /a ${LIFECYCLE} process-group=one application-group=A
WSGIScriptAlias /b ${LIFECYCLE} process-group=one application-group=B
`));
  try {
    assert.equal((await request(server.url + '/b/')).status, 200, "B's interpreter is up");
    const done: string[] = [];
    const tracked = (name: string, url: string, headers: Record<string, string> = {}) => request(url, { headers }).then((reply) => {
      done.push(name);
      return reply.status;
    });
    // The thread is a process's, shared by its interpreters, as in mod_wsgi. Busy long enough for
    // the four to queue behind it, one at a time, on a slow machine too.
    const started = startedRequests();
    const replies = [tracked('busy A', server.url + '/a/sleep?3', started.headers)];
    await started.waitFor(1);
    let queued = 0;
    for (const [name, url] of [['A 1', '/a/'], ['B 1', '/b/'], ['A 2', '/a/'], ['B 2', '/b/']] as const) {
      replies.push(tracked(name, server.url + url));
      // Each is in the queue before the next is sent: their order is the one they came in.
      await server.waitForLog(new RegExp(`(waits for a free thread[^]*){${++queued}}`));
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
    // At once, not at a timeout (socket-timeout is Timeout's 60 s).
    assert.ok(Date.now() - started < 5000, 'the 502 came at once');
    await server.waitForLog(new RegExp(`process ${firstPid} of process group '%\\{GLOBAL\\}' exited with code 3`));
    const after = await request(server.url + '/', { headers: { 'X-Case': 'pid' } });
    assert.equal(after.status, 200);
    assert.notEqual(after.body.toString(), firstPid, 'served by the replacement process');
  } finally {
    await server.stop();
  }
});

test('kill -9 during a request: 502 for it, the log names the signal, others are served', async () => {
  const server = await startServer(LIFECYCLE, ['--processes', '2', '--threads', '2']);
  const pidOf = async () => (await request(server.url + '/')).json<{ pid: number }>().pid;
  try {
    const pids = new Set<number>();
    for (let i = 0; i < 6; i++) pids.add(await pidOf());
    assert.equal(pids.size, 2, 'requests spread over both processes');
    const started = startedRequests();
    const slow = request(server.url + '/sleep?3', { headers: started.headers });
    await started.waitFor(1);
    // The busy process is the one to kill: find it by asking which pid is free.
    const free = await pidOf();
    const victim = [...pids].find((p) => p !== free)!;
    process.kill(victim, 'SIGKILL');
    const reply = await slow;
    assert.equal(reply.status, 502);
    await server.waitForLog(new RegExp(`process ${victim} of .* was killed by signal SIGKILL`));
    const replies = await Promise.all(Array.from({ length: 8 }, () => request(server.url + '/')));
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
    await waitFor(() => hasExited(pid), 'the killed worker to exit');
    const replies = await Promise.all(Array.from({ length: 20 }, () => request(server.url + '/', { headers: { 'X-Case': 'pid' } })));
    assert.deepEqual(replies.map((r) => r.status), new Array(20).fill(200), server.errorLog().split('\n').filter((l) => !l.includes(':info]')).join('\n'));
  } finally {
    await server.stop();
  }
});

test('SIGTERM lets in-flight requests finish, then exits 0', async () => {
  const server = await startServer(LIFECYCLE, ['--threads', '5']);
  const started = startedRequests();
  const inFlight = Array.from({ length: 5 }, () => request(server.url + '/sleep?1', { headers: started.headers }));
  await started.waitFor(5);
  const code = server.stop('SIGTERM');
  const replies = await Promise.all(inFlight);
  for (const reply of replies) assert.equal(reply.status, 200);
  assert.equal(await code, 0);
  await assert.rejects(request(server.url + '/'), /ECONNREFUSED/);
});

test('Ctrl-C in a terminal (SIGINT to the whole process group): the request in flight completes, then tswsgi exits 0', async () => {
  const server = await startServerAsJob(LIFECYCLE);
  try {
    const started = startedRequests();
    const slow = request(server.url + '/sleep?1.5', { headers: started.headers });
    await started.waitFor(1);
    // As the terminal does: to every process of the foreground job, the workers too were they in it.
    process.kill(-server.child.pid!, 'SIGINT');
    assert.equal((await slow).status, 200, 'the worker was not interrupted');
    assert.equal(await server.exited, 0);
    await server.waitForLog('SIGINT received; finishing in-flight requests, then exiting');
  } finally {
    await server.stop('SIGKILL');
  }
});

test('kill -9 of the front end: its workers exit too, idle, serving a request, or still running import scripts', async () => {
  const dir = tempDir();
  const release = path.join(dir, 'release');
  const hanging = path.join(dir, 'hanging');
  // Hangs in the import once `release` exists, after saying so in `hanging`.
  fs.writeFileSync(path.join(dir, 'startup.py'), `import os, time
if os.path.exists(${JSON.stringify(release)}):
    open(${JSON.stringify(hanging)}, 'w').close()
    time.sleep(600)
`);
  const server = await startServe(writeConf(`Listen 127.0.0.1:0
WSGIDaemonProcess app processes=2 threads=2
WSGIImportScript ${dir}/startup.py process-group=app application-group=%{GLOBAL}
WSGIScriptAlias / ${LIFECYCLE} process-group=app application-group=%{GLOBAL}
`));
  try {
    const started = startedRequests();
    request(server.url + '/sleep?600', { headers: started.headers }).catch(() => {});
    await started.waitFor(1);
    // A replacement that never gets past its import script: nothing reads its stdin yet.
    fs.writeFileSync(release, '');
    promisify(execFile)(process.execPath, [BIN, 'restart-group', 'app', '--pid', String(server.child.pid)]).catch(() => {});
    await waitFor(() => fs.existsSync(hanging), 'the replacement to hang in its import script');
    const workers = childrenOf(server.child.pid!);
    assert.equal(workers.length, 3, 'an idle process, a busy one, and the replacement starting');
    server.child.kill('SIGKILL');
    await server.exited;
    // The busy one lets its request run for the worker's own shutdown bound (5 s) before it leaves.
    await waitFor(() => workers.every(hasExited), `workers ${workers} to exit`, 30_000);
  } finally {
    await server.stop('SIGKILL');
  }
});
