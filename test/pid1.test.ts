// As PID 1 (a container's init, here a new PID namespace made with unshare, which needs
// root): SIGTERM still drains and exits 0, and a worker that dies is reaped and replaced.

import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { APPS, childrenOf, request, ROOT_ONLY, startedRequests, startServerUnder } from './helpers/tswsgi';

test('as root, as PID 1: serves, replaces a killed worker, and drains on SIGTERM with exit 0', { ...ROOT_ONLY, timeout: 60_000 }, async () => {
  const server = await startServerUnder(['unshare', '--pid', '--fork', '--mount-proc'], `${APPS}/lifecycle.wsgi`, ['--processes', '1']);
  try {
    const first = await request(`${server.url}/`);
    assert.equal(first.status, 200);
    // The outer pid of the namespace's PID 1: unshare's only child.
    const init = childrenOf(server.child.pid!)[0]!;
    assert.match(fs.readFileSync(`/proc/${init}/status`, 'utf8'), /^NSpid:\s+\d+\s+1$/m, 'tswsgi is PID 1 in its namespace');
    // Its outer pid: init's only child.
    const worker = childrenOf(init)[0]!;
    process.kill(worker, 'SIGKILL');
    await server.waitForLog(/was killed by signal SIGKILL/);
    await server.waitForLog(/(is ready after[^]*){2}/);
    assert.equal((await request(`${server.url}/`)).status, 200, 'the replacement serves');
    const zombies = execFileSync('ps', ['-o', 'stat=', '--ppid', String(init)], { encoding: 'utf8' }).split('\n').filter((s) => s.startsWith('Z'));
    assert.deepEqual(zombies, [], 'the dead worker was reaped');
    const started = startedRequests();
    const slow = request(`${server.url}/sleep?1`, { headers: started.headers });
    await started.waitFor(1);
    process.kill(init, 'SIGTERM');
    assert.equal((await slow).status, 200, 'the request in flight finished');
    assert.equal(await server.stop(), 0);
  } finally {
    await server.stop('SIGKILL');
  }
});
