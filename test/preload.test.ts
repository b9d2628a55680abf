// The seed's promise: scripts preloaded before a process takes any request, at start
// and at every respawn, so that no request meets an unloaded application.

import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as net from 'node:net';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { APPS, DEBIAN_PYTHON, freePort, request, startServe, tempDir, waitFor, writeConf } from './helpers/tswsgi';

interface Where {
  pid: number;
  marker_id: number | null;
  created_id: number | null;
}

test('a request that arrives while the processes are preloading waits, then finds the preload', async () => {
  const port = await freePort();
  const conf = writeConf(`Listen 127.0.0.1:${port}
WSGIDaemonProcess app processes=1 threads=2
WSGIImportScript ${APPS}/preload_marker.py process-group=app application-group=%{GLOBAL}
WSGIScriptAlias / ${APPS}/groups.wsgi process-group=app application-group=%{GLOBAL}
`);
  const starting = startServe(conf, [], { TSWSGI_TEST_PRELOAD_SECONDS: '2' });
  // The front end listens before the processes are ready: connect as soon as it does.
  const listening = () => new Promise<boolean>((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => { socket.destroy(); resolve(true); });
    socket.on('error', () => resolve(false));
  });
  await waitFor(listening, 'the front end to listen');
  const early = Date.now();
  const reply = await request(`http://127.0.0.1:${port}/`);
  const server = await starting;
  try {
    assert.equal(reply.status, 200, 'queued, not refused');
    const where = reply.json<Where>();
    assert.equal(where.marker_id, where.created_id);
    assert.notEqual(where.marker_id, null);
    assert.ok(Date.now() - early >= 1000, 'it waited for the preload');
  } finally {
    await server.stop();
  }
});

test('a respawned process preloads again before it gets traffic: under load no response lacks the preload', { timeout: 60_000 }, async () => {
  const conf = writeConf(`Listen 127.0.0.1:0
LogLevel info
WSGIDaemonProcess app processes=2 threads=4
WSGIImportScript ${APPS}/preload_marker.py process-group=app application-group=%{GLOBAL}
WSGIScriptAlias / ${APPS}/groups.wsgi process-group=app application-group=%{GLOBAL}
`);
  const server = await startServe(conf, [], { TSWSGI_TEST_PRELOAD_SECONDS: '1' });
  try {
    const seen: Array<{ status: number; where?: Where }> = [];
    let running = true;
    // Two clients in a loop, a request at a time each: steady load while a process dies and returns.
    const client = async () => {
      while (running) {
        const reply = await request(server.url + '/');
        seen.push({ status: reply.status, where: reply.status === 200 ? reply.json<Where>() : undefined });
      }
    };
    const clients = [client(), client()];
    await waitFor(() => seen.some((s) => s.where), 'a first answer');
    const victim = seen.find((s) => s.where)!.where!.pid;
    process.kill(victim, 'SIGKILL');
    await server.waitForLog(new RegExp(`process ${victim} of process group 'app' was killed by signal SIGKILL`));
    // Two processes were ready at start; the third ready line is the replacement's.
    await server.waitForLog(/(is ready after[^]*){3}/);
    // Keep the load on until the replacement has served a while.
    const before = seen.length;
    await waitFor(() => seen.length >= before + 200, '200 more answers');
    running = false;
    await Promise.all(clients);

    const failed = seen.filter((s) => s.status !== 200);
    assert.ok(failed.length <= 2 && failed.every((s) => s.status === 502), `only requests in flight on the killed process failed: ${failed.map((s) => s.status)}`);
    for (const s of seen.filter((x) => x.where)) assert.equal(s.where!.marker_id, s.where!.created_id, 'every answer had the preload');
    const pids = new Set(seen.filter((s) => s.where).map((s) => s.where!.pid));
    assert.ok(pids.size >= 3, `the replacement served too: ${[...pids]}`);
  } finally {
    await server.stop();
  }
});

test('python-home: a group runs the Python of its virtual environment', async () => {
  const venv = path.join(tempDir(), 'venv');
  execFileSync(DEBIAN_PYTHON, ['-m', 'venv', '--without-pip', venv]);
  const conf = writeConf(`Listen 127.0.0.1:0
WSGIDaemonProcess venv python-home=${venv}
WSGIScriptAlias / ${APPS}/prefix.wsgi process-group=venv application-group=%{GLOBAL}
`);
  const server = await startServe(conf);
  try {
    const facts = (await request(server.url + '/')).json<{ prefix: string; executable: string }>();
    assert.equal(facts.prefix, venv);
    assert.equal(facts.executable, path.join(venv, 'bin/python3'));
  } finally {
    await server.stop();
  }
});

/** The version and prefix an interpreter reports of itself. */
function pythonFacts(python: string): { version: string; prefix: string } {
  const out = execFileSync(python, ['-c', 'import sys; print(sys.version.split()[0]); print(sys.prefix)'], { encoding: 'utf8' }).trim().split('\n');
  return { version: out[0]!, prefix: out[1]! };
}

test('two groups, two Pythons: each group runs the interpreter of its own python-home', async () => {
  const debian = pythonFacts(DEBIAN_PYTHON);
  // Another Python on this machine, of another version where there is one (pyenv builds), else python3 on PATH.
  const others = [...['3.13', '3.12', '3.9'].flatMap((v) => {
    const dir = '/root/.pyenv/versions';
    return fs.existsSync(dir) ? fs.readdirSync(dir).filter((d) => d.startsWith(v + '.')).map((d) => path.join(dir, d, 'bin/python3')) : [];
  }), 'python3'];
  const other = others.map(pythonFacts).find((f) => f.version !== debian.version) ?? pythonFacts('python3');
  const venv = path.join(tempDir(), 'venv');
  execFileSync(DEBIAN_PYTHON, ['-m', 'venv', '--without-pip', venv]);
  const conf = writeConf(`Listen 127.0.0.1:0
WSGIDaemonProcess debian python-home=${venv}
WSGIDaemonProcess other python-home=${other.prefix}
WSGIScriptAlias /debian ${APPS}/prefix.wsgi process-group=debian application-group=%{GLOBAL}
WSGIScriptAlias /other ${APPS}/prefix.wsgi process-group=other application-group=%{GLOBAL}
`);
  const server = await startServe(conf);
  try {
    const a = (await request(server.url + '/debian/')).json<{ prefix: string; version: string }>();
    const b = (await request(server.url + '/other/')).json<{ prefix: string; version: string }>();
    assert.deepEqual([a.prefix, a.version], [venv, debian.version]);
    assert.deepEqual([b.prefix, b.version], [other.prefix, other.version]);
  } finally {
    await server.stop();
  }
});
