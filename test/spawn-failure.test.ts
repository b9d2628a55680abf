// A worker that cannot be started (spawn fails: out of file descriptors) is a start failure that
// the process group backs off from and retries, as a crash before ready, never a front end crash.

import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import { execFileSync } from 'node:child_process';
import { request, startServer, waitFor, writeScript } from './helpers/tswsgi';

const PID_APP = `import os

def application(environ, start_response):
    start_response('200 OK', [('Content-Type', 'text/plain')])
    return [str(os.getpid()).encode()]
`;

/** Low enough to exhaust with a few hundred idle connections, high enough for the front end to run. */
const DESCRIPTORS = 128;

test('out of file descriptors, a worker that cannot be spawned is logged and retried; the group recovers once descriptors are free', async () => {
  const server = await startServer(writeScript(PID_APP), ['--processes', '1', '--threads', '1']);
  // Lowered after start: the front end keeps descriptors for its workers by the limit it started
  // with (its connection limit), so only a limit that shrinks under it lets connections take them all.
  execFileSync('prlimit', ['--pid', String(server.child.pid), `--nofile=${DESCRIPTORS}:${DESCRIPTORS}`]);
  const idle: net.Socket[] = [];
  let filling = true;
  try {
    const pid = (await request(server.url + '/')).body.toString();
    // Idle connections take every descriptor the front end has, and any it frees (the killed
    // worker's pipes) at once, until the replacement's spawn has failed.
    const fill = (async () => {
      while (filling) {
        for (let i = 0; i < 10; i++) idle.push(net.connect(server.port, '127.0.0.1').on('error', () => {}));
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
    const open = () => fs.readdirSync(`/proc/${server.child.pid}/fd`).length;
    await waitFor(() => open() >= DESCRIPTORS, 'the idle connections to take every descriptor');
    process.kill(Number(pid), 'SIGKILL');
    await server.waitForLog(/a new process of process group '%\{GLOBAL\}' could not be started \(spawn \S+ EMFILE\)/);
    filling = false;
    await fill;
    assert.equal(server.child.exitCode, null, 'the front end is up');
    for (const socket of idle) socket.destroy();
    // Until the front end has seen the closes, a new connection would still find no descriptor.
    await waitFor(() => open() <= DESCRIPTORS / 2, 'the front end to close the idle connections');
    const after = await request(server.url + '/');
    assert.equal(after.status, 200);
    assert.notEqual(after.body.toString(), pid, 'served by a new process');
  } finally {
    filling = false;
    for (const socket of idle) socket.destroy();
    await server.stop();
  }
});
