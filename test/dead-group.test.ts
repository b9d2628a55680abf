// A process group whose processes die at start: its requests get a prompt 503 with Retry-After
// instead of waiting for ever, other groups serve on, and it serves again once a start succeeds.

import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { APPS, freePort, request, startServeListening, tempDir, writeConf, type Reply } from './helpers/tswsgi';

/** An import script that ends its process unless `marker` exists (it never does when not given). */
function writeExitScript(dir: string, marker = path.join(dir, 'never')): string {
  const script = path.join(dir, 'exit_at_start.py');
  fs.writeFileSync(script, `import os\nif not os.path.exists(${JSON.stringify(marker)}):\n    os._exit(1)\n`);
  return script;
}

const occurrences = (text: string, pattern: RegExp) => (text.match(new RegExp(pattern, 'g')) ?? []).length;

test('a group whose processes die at start answers 503 with Retry-After within connect-timeout, logged once for the burst, while another group serves', { timeout: 60_000 }, async () => {
  const script = writeExitScript(tempDir());
  const port = await freePort();
  const server = await startServeListening(writeConf(`Listen 127.0.0.1:${port}
LogLevel info
WSGIDaemonProcess healthy processes=1 threads=2
WSGIScriptAlias /healthy ${APPS}/lifecycle.wsgi process-group=healthy application-group=%{GLOBAL}
WSGIDaemonProcess dead processes=1 threads=2 connect-timeout=2
WSGIImportScript ${script} process-group=dead application-group=%{GLOBAL}
WSGIScriptAlias /dead ${APPS}/lifecycle.wsgi process-group=dead application-group=%{GLOBAL}
`), port);
  try {
    await server.waitForLog(/process \d+ of process group 'dead' exited with code 1; starting a replacement/);
    await server.waitForLog(/process \d+ of process group 'healthy' is ready/);
    const sent = Date.now();
    const answers: string[] = [];
    const burst = Array.from({ length: 4 }, () => request(`${server.url}/dead/`).then((reply) => {
      answers.push('dead');
      return { reply, ms: Date.now() - sent };
    }));
    const healthy = await request(`${server.url}/healthy/`);
    answers.push('healthy');
    assert.equal(healthy.status, 200);
    for (const { reply, ms } of await Promise.all(burst)) {
      assert.equal(reply.status, 503);
      const retryAfter = Number(reply.headers['retry-after']);
      assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 10, `Retry-After: the next start, within the 10 s backoff (${reply.headers['retry-after']})`);
      // Without a bound, such a request waited for ever (over 60 s measured); here connect-timeout bounds it.
      assert.ok(ms >= 1500 && ms < 10_000, `answered at connect-timeout (2 s), not held (${ms} ms)`);
    }
    assert.equal(answers[0], 'healthy', 'the healthy group answered while the requests for the dead one waited');
    await server.waitForLog(/(?:[^]*?answered 503: process group 'dead' has no ready process \(its last one exited with code 1 before it was ready\); next start in \d+ s){4}/);
    const refusal = /process group 'dead' has no ready process, and its last process exited with code 1 before it was ready: requests that wait connect-timeout \(2 s\) for it get 503/;
    assert.equal(occurrences(server.errorLog(), refusal), 1, 'the refusal is logged once for the burst');
    assert.doesNotMatch(server.errorLog(), /\[tswsgi:error\][^\n]*answered 503/, 'each request\'s own line is info, not error');
  } finally {
    await server.stop();
  }
});

test('once a start succeeds, the group serves again: a request waiting for it gets 200, and the recovery is logged', { timeout: 60_000 }, async () => {
  const dir = tempDir();
  const marker = path.join(dir, 'fixed');
  const script = writeExitScript(dir, marker);
  const port = await freePort();
  // startup-timeout set: requests wait for the failing group that long (10 s) instead of connect-timeout.
  const server = await startServeListening(writeConf(`Listen 127.0.0.1:${port}
LogLevel info
WSGIDaemonProcess flaky processes=1 threads=2 startup-timeout=10
WSGIImportScript ${script} process-group=flaky application-group=%{GLOBAL}
WSGIScriptAlias /flaky ${APPS}/lifecycle.wsgi process-group=flaky application-group=%{GLOBAL}
`), port);
  try {
    await server.waitForLog(/process \d+ of process group 'flaky' exited with code 1; starting a replacement/);
    const waiting: Promise<Reply> = request(`${server.url}/flaky/`);
    fs.writeFileSync(marker, '');
    assert.equal((await waiting).status, 200, 'the request that waited during the failure was served once a process was ready');
    await server.waitForLog(/\[tswsgi:notice\][^\n]*process group 'flaky' has a ready process again/);
    assert.equal((await request(`${server.url}/flaky/`)).status, 200);
    assert.doesNotMatch(server.errorLog(), /process group 'flaky' has no ready process/, 'nothing was refused');
  } finally {
    await server.stop();
  }
});
