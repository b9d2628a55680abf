// queue-timeout, request-timeout, socket-timeout and response-socket-timeout with the outcomes the client sees, and
// SIGTERM's drain: what each does to the one request it is about, and to no other.

import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as http from 'node:http';
import { promisify } from 'node:util';
import { APPS, BIN, request, startedRequests, startServe, writeConf, type RunningServer } from './helpers/tswsgi';

const timed = async <T>(work: Promise<T>): Promise<{ value: T; ms: number }> => {
  const started = Date.now();
  const value = await work;
  return { value, ms: Date.now() - started };
};

describe('WSGIDaemonProcess timeouts', { timeout: 60_000 }, () => {
  let server: RunningServer;
  before(async () => {
    server = await startServe(writeConf(`Listen 127.0.0.1:0
LogLevel info
WSGIDaemonProcess queued processes=1 threads=1 queue-timeout=1
WSGIDaemonProcess stuck processes=1 threads=2 request-timeout=4 graceful-timeout=30
WSGIDaemonProcess silent processes=1 threads=2 socket-timeout=1 response-socket-timeout=10
WSGIDaemonProcess stalled processes=1 threads=2 socket-timeout=1
WSGIScriptAlias /stalled ${APPS}/lifecycle.wsgi process-group=stalled application-group=%{GLOBAL}
WSGIScriptAlias /queued ${APPS}/lifecycle.wsgi process-group=queued application-group=%{GLOBAL}
WSGIScriptAlias /stuck ${APPS}/lifecycle.wsgi process-group=stuck application-group=%{GLOBAL}
WSGIDaemonProcess idle processes=1 threads=2 inactivity-timeout=1
WSGIScriptAlias /silent ${APPS}/lifecycle.wsgi process-group=silent application-group=%{GLOBAL}
WSGIScriptAlias /idle ${APPS}/lifecycle.wsgi process-group=idle application-group=%{GLOBAL}
`));
  });
  after(() => server.stop());

  test('queue-timeout: a request that waits longer for a free thread gets 503 with Retry-After; the running one is unharmed', async () => {
    const started = startedRequests();
    const running = request(`${server.url}/queued/sleep?5`, { headers: started.headers });
    await started.waitFor(1);
    const waiting = await timed(request(`${server.url}/queued/`));
    assert.equal(waiting.value.status, 503);
    assert.equal(waiting.value.headers['retry-after'], '1');
    // At 1 s, not when the thread frees, 5 s after the running request began.
    assert.ok(waiting.ms >= 900 && waiting.ms < 3500, `answered at queue-timeout, not when the thread freed (${waiting.ms} ms)`);
    assert.equal((await running).status, 200);
    await server.waitForLog(/answered 503: no thread of the process group was free within queue-timeout \(1 s\)/);
  });

  test('request-timeout: the stuck request gets 504 and its stacks are logged; the process\'s other request finishes; a new process takes over', async () => {
    const before = (await request(`${server.url}/stuck/`)).json().pid;
    const started = startedRequests();
    const stuck = timed(request(`${server.url}/stuck/sleep?20`, { headers: started.headers }));
    await started.waitFor(1);
    // The other runs from 2 s to 4.5 s after the stuck one began: past its 504 at 4 s, and 1.5 s
    // within its own limit. Placed in time, so this waits for time to pass.
    await new Promise((r) => setTimeout(r, 2000));
    const other = timed(request(`${server.url}/stuck/sleep?2.5`));
    const answer = await stuck;
    assert.equal(answer.value.status, 504);
    assert.ok(answer.ms >= 3900 && answer.ms < 15_000, `answered at request-timeout, not when the app returned (${answer.ms} ms)`);
    const finished = await other;
    assert.equal(finished.value.status, 200, 'the other request of that process completed');
    assert.equal(finished.value.json().pid, before);
    await server.waitForLog(/Stack of thread tswsgi-\d[^]*lifecycle\.wsgi", line \d+, in application[^]*time\.sleep/);
    await server.waitForLog(new RegExp(`took over from process ${before} of process group 'stuck' \\(request-timeout\\)`));
    assert.notEqual((await request(`${server.url}/stuck/`)).json().pid, before);
  });

  test('socket-timeout: no response within it gives 504', async () => {
    const answer = await timed(request(`${server.url}/silent/sleep?6`));
    assert.equal(answer.value.status, 504);
    // At 1 s, not when the app answers at 6 s.
    assert.ok(answer.ms >= 900 && answer.ms < 4000, `answered at socket-timeout (${answer.ms} ms)`);
    assert.equal((await request(`${server.url}/silent/`)).status, 200, 'the group still serves');
  });

  test('socket-timeout: a client that stops reading is not a silent worker; its response completes', async () => {
    const received = await new Promise<{ status: number; bytes: number }>((resolve, reject) => {
      http.get(`${server.url}/silent/big`, (res) => {
        let bytes = 0;
        res.on('data', (chunk: Buffer) => { bytes += chunk.length; });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes }));
        res.on('error', reject);
        // Stalled for 2.5 socket-timeouts: the worker's writes stop, held back by this client.
        res.pause();
        setTimeout(() => res.resume(), 2500);
      }).on('error', reject);
    });
    assert.deepEqual(received, { status: 200, bytes: 32 * 1024 * 1024 });
  });

  test('response-socket-timeout (socket-timeout when not given): a client that takes none of the response that long is cut off', async () => {
    const started = Date.now();
    const outcome = await new Promise<{ status: number; bytes: number; ended: boolean }>((resolve) => {
      http.get(`${server.url}/stalled/big`, (res) => {
        let bytes = 0;
        let ended = false;
        res.on('data', (chunk: Buffer) => { bytes += chunk.length; });
        res.on('end', () => { ended = true; });
        res.on('close', () => resolve({ status: res.statusCode ?? 0, bytes, ended }));
        res.on('error', () => {});
        // Takes nothing for 3 s, then reads whatever is still coming.
        res.pause();
        setTimeout(() => res.resume(), 3000);
      }).on('error', () => resolve({ status: 0, bytes: 0, ended: false }));
    });
    assert.equal(outcome.status, 200);
    assert.equal(outcome.ended, false, 'the response was cut, not completed');
    assert.ok(outcome.bytes < 32 * 1024 * 1024, `${outcome.bytes} bytes of 32 MiB`);
    assert.ok(Date.now() - started < 10_000);
    await server.waitForLog(/Request for '[^']*lifecycle\.wsgi' from 127\.0\.0\.1: the client took none of the response within response-socket-timeout \(1 s\); closing the connection/);
    assert.equal((await request(`${server.url}/stalled/`)).status, 200, 'the group still serves');
  });

  test('inactivity-timeout: a process idle that long after serving is replaced', async () => {
    const first = (await request(`${server.url}/idle/`)).json().pid;
    await server.waitForLog(new RegExp(`Replacing process ${first} of process group 'idle': inactivity-timeout \\(1 s\\) reached`));
    await server.waitForLog(new RegExp(`took over from process ${first} of process group 'idle'`));
    assert.notEqual((await request(`${server.url}/idle/`)).json().pid, first);
  });
});

describe('a replaced process finishing its requests', { timeout: 60_000 }, () => {
  let server: RunningServer;
  before(async () => {
    server = await startServe(writeConf(`Listen 127.0.0.1:0
LogLevel info
WSGIDaemonProcess patient processes=1 threads=2
WSGIDaemonProcess hurried processes=1 threads=2 eviction-timeout=1 shutdown-timeout=1
WSGIScriptAlias /patient ${APPS}/lifecycle.wsgi process-group=patient application-group=%{GLOBAL}
WSGIScriptAlias /hurried ${APPS}/lifecycle.wsgi process-group=hurried application-group=%{GLOBAL}
`));
  });
  after(() => server.stop());
  const restartGroup = (name: string) => promisify(execFile)(process.execPath, [BIN, 'restart-group', name, '--pid', String(server.child.pid)]);

  test('within graceful-timeout (15 s by default), a long request on the old process completes', async () => {
    const started = startedRequests();
    const long = request(`${server.url}/patient/sleep?3`, { headers: started.headers });
    await started.waitFor(1);
    await restartGroup('patient');
    const reply = await long;
    assert.equal(reply.status, 200);
    assert.notEqual((await request(`${server.url}/patient/`)).json().pid, reply.json().pid, 'new requests go to the new process');
  });

  test('past eviction-timeout plus shutdown-timeout, the old process is killed and its request cut', async () => {
    const started = startedRequests();
    const long = timed(request(`${server.url}/hurried/sleep?60`, { headers: started.headers }));
    await started.waitFor(1);
    await restartGroup('hurried');
    const restarted = Date.now();
    const reply = await long;
    assert.equal(reply.value.status, 502);
    // Killed 1 + 1 s after its replacement took over (just before restart-group answered), not at the app's 60 s.
    assert.ok(reply.ms >= 1800, `cut after 1 + 1 s, not sooner (${reply.ms} ms)`);
    assert.ok(Date.now() - restarted < 10_000, `cut ${Date.now() - restarted} ms after restart-group answered`);
    await server.waitForLog(/process \d+ of process group 'hurried' did not finish its 1 request\(s\) within 2 s; killing it/);
  });
});

describe('SIGTERM', { timeout: 60_000 }, () => {
  const conf = () => writeConf(`Listen 127.0.0.1:0
LogLevel notice
WSGIDaemonProcess app processes=2 threads=10
WSGIScriptAlias / ${APPS}/lifecycle.wsgi process-group=app application-group=%{GLOBAL}
`);

  test('with 20 requests in flight: all 20 complete, then tswsgi exits 0', async () => {
    const server = await startServe(conf());
    const started = startedRequests();
    const replies = Array.from({ length: 20 }, () => request(`${server.url}/sleep?1.5`, { headers: started.headers }));
    await started.waitFor(20);
    const code = server.stop('SIGTERM');
    const statuses = (await Promise.all(replies)).map((r) => r.status);
    assert.deepEqual(statuses, new Array(20).fill(200));
    assert.equal(await code, 0);
    await assert.rejects(request(`${server.url}/`), 'no longer listening');
  });

  test('a second SIGTERM stops at once', async () => {
    const server = await startServe(conf());
    const started = startedRequests();
    const reply = request(`${server.url}/sleep?60`, { headers: started.headers }).catch((err: Error) => err);
    await started.waitFor(1);
    server.child.kill('SIGTERM');
    await server.waitForLog('SIGTERM received; finishing in-flight requests, then exiting');
    // Exit 1 is the second signal's: the drain of the first would end in 0.
    const code = await server.stop('SIGTERM');
    assert.equal(code, 1);
    await server.waitForLog('SIGTERM received again; exiting without waiting');
    assert.ok((await reply) instanceof Error, 'the in-flight request was cut');
  });
});
