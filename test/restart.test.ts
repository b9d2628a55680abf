// Restarts that never stall and never fail a request: every trigger replaces processes one
// at a time, each replacement ready (its 2 s import done) before it takes traffic, while
// the old process keeps serving. Steady load runs through each trigger.

import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { controlSocketOf } from '../src/control-socket';
import { APPS, BIN, freePort, request, startedRequests, startServe, tempDir, waitFor, writeConf, type RunningServer } from './helpers/tswsgi';
import { more, steadyLoad, summary, type Load, type Outcome } from './helpers/load';

const run = promisify(execFile);
/** A control command (`graceful`, `restart-group NAME`, ...) for the server, as an operator would send it; killed if it has not answered within a minute. */
const control = (server: RunningServer, ...args: string[]) =>
  run(process.execPath, [BIN, ...args, '--pid', String(server.child.pid)], { timeout: 60_000 });
const graceful = (server: RunningServer) => control(server, 'graceful');
/** An import script that reads `flag` at each start: 'crash' exits, 'hang' sleeps past any startup-timeout, anything else loads. */
function writeReleaseScript(script: string, flag: string): void {
  fs.writeFileSync(script, `import os, time
mode = open(${JSON.stringify(flag)}).read() if os.path.exists(${JSON.stringify(flag)}) else ''
if mode == 'crash':
    os._exit(3)
if mode == 'hang':
    time.sleep(60)
`);
}

const IMPORT_SECONDS = '2';
/**
 * No response during a restart is slower than this. One that waited for a process's 2 s import
 * takes longer; one that did not takes milliseconds, or some hundreds on a busy machine.
 */
const SLOWEST_MS = 1000;

const GROUPS = ['roll', 'pair', 'maxreq', 'interval', 'memory', 'cpu'] as const;

function configText(dir: string, extra = ''): string {
  const groupOptions: Record<string, string> = {
    roll: 'processes=1 threads=4 graceful-timeout=5',
    pair: 'processes=2 threads=4',
    maxreq: 'processes=1 threads=4 maximum-requests=150',
    interval: 'processes=1 threads=4 restart-interval=4',
    memory: 'processes=1 threads=4 memory-limit=60000000',
    cpu: 'processes=1 threads=4 cpu-time-limit=2',
  };
  return `Listen 127.0.0.1:0
LogLevel info
PidFile ${dir}/tswsgi.pid
TswsgiMaximumRequestsJitter 50
${GROUPS.map((g) => `WSGIDaemonProcess ${g} ${groupOptions[g]}
WSGIImportScript ${APPS}/preload_marker.py process-group=${g} application-group=%{GLOBAL}
WSGIScriptAlias /${g} ${dir}/${g}.wsgi process-group=${g} application-group=%{GLOBAL}`).join('\n')}
${extra}`;
}

/** Each group runs its own copy of the app, so that touching one restarts only that group. */
function writeApps(dir: string): void {
  for (const g of [...GROUPS, 'extra']) fs.copyFileSync(path.join(APPS, 'lifecycle.wsgi'), path.join(dir, `${g}.wsgi`));
}

function assertNoStall(outcomes: Outcome[], what: string): void {
  const failed = outcomes.filter((o) => o.status !== 200);
  assert.equal(failed.length, 0, `${what}: no failed request (${summary(outcomes)})`);
  const slowest = Math.max(...outcomes.map((o) => o.ms));
  assert.ok(slowest < SLOWEST_MS, `${what}: no response slower than ${SLOWEST_MS} ms (${summary(outcomes)})`);
  assert.ok(outcomes.every((o) => o.preloaded), `${what}: every response came from a preloaded process`);
}

const pidsOf = (outcomes: Outcome[]) => new Set(outcomes.map((o) => o.pid));

/** Runs load against / through `trigger` (a restart that must fail): no request fails or stalls, and the process serving before serves throughout. */
async function oldProcessServesThrough(server: RunningServer, what: string, trigger: (load: Load) => Promise<void>): Promise<void> {
  const load = steadyLoad(server.url + '/');
  await more(load, 20);
  const pid = load.outcomes.at(-1)!.pid;
  await trigger(load);
  const outcomes = await load.stop();
  assertNoStall(outcomes, what);
  assert.deepEqual([...pidsOf(outcomes)], [pid], 'the old process served throughout');
}

/** Runs load against `group` while `trigger` runs, until a process other than the ones serving before has served a while. */
async function throughRestart(server: RunningServer, group: string, trigger: () => Promise<unknown>): Promise<Outcome[]> {
  const load = steadyLoad(`${server.url}/${group}/`);
  await more(load, 20);
  const before = pidsOf(load.outcomes);
  await trigger();
  const takenOver = () => {
    const since = load.outcomes.slice(-20);
    return since.length === 20 && since.every((o) => o.pid !== null && !before.has(o.pid));
  };
  await waitFor(takenOver, () => `a new process to take over from ${[...before]} (${summary(load.outcomes)})`);
  return load.stop();
}

describe('rolling restarts under load, with a 2 s import', { timeout: 180_000 }, () => {
  let dir: string;
  let server: RunningServer;
  before(async () => {
    dir = tempDir();
    writeApps(dir);
    fs.writeFileSync(path.join(dir, 'httpd.conf'), configText(dir));
    server = await startServe(path.join(dir, 'httpd.conf'), [], { TSWSGI_TEST_PRELOAD_SECONDS: IMPORT_SECONDS });
  });
  after(() => server.stop());

  test('tswsgi graceful: answers once every process is replaced; no request fails or stalls', async () => {
    let reply = '';
    const outcomes = await throughRestart(server, 'roll', async () => {
      const { stdout } = await graceful(server);
      reply = stdout;
    });
    assert.match(reply, /graceful: every process replaced in \d/);
    assertNoStall(outcomes, 'graceful');
  });

  test('SIGHUP (restart)', async () => {
    const outcomes = await throughRestart(server, 'roll', async () => {
      server.child.kill('SIGHUP');
      await server.waitForLog(/restart: every process replaced/, 30_000);
    });
    assertNoStall(outcomes, 'restart');
  });

  test('tswsgi restart-group, found through -f and the PidFile', async () => {
    const outcomes = await throughRestart(server, 'roll', async () => {
      const { stdout } = await run(process.execPath, [BIN, 'restart-group', 'roll', '-f', path.join(dir, 'httpd.conf')]);
      assert.match(stdout, /restart-group roll: every process replaced/);
    });
    assertNoStall(outcomes, 'restart-group');
  });

  test('restart-group of a group that does not exist is an error', async () => {
    await assert.rejects(run(process.execPath, [BIN, 'restart-group', 'nosuch', '--pid', String(server.child.pid)]),
      (err: { stderr: string; code: number }) => /no process group called 'nosuch'/.test(err.stderr) && err.code === 1);
  });

  test('a changed WSGI script restarts its group (WSGIScriptReloading), and no request waits for its slow import', async () => {
    const script = path.join(dir, 'roll.wsgi');
    const load = steadyLoad(`${server.url}/roll/`);
    await more(load, 20);
    const before = pidsOf(load.outcomes);
    // The new release takes as long to import as the preload: reloading it in a serving process would stall.
    const source = fs.readFileSync(script, 'utf8').replace("os.environ.get('APP_VERSION', '')", "'two'");
    fs.writeFileSync(script, `import time\ntime.sleep(${IMPORT_SECONDS})\n${source}`);
    const versionTwo = () => load.outcomes.filter((o) => o.version === 'two');
    await waitFor(() => versionTwo().length >= 20, () => `the new code to serve (${summary(load.outcomes)})`);
    const outcomes = await load.stop();
    assertNoStall(outcomes, 'script change');
    assert.ok(versionTwo().every((o) => !before.has(o.pid!)), 'the new code runs only in new processes');
    assert.match(server.errorLog(), /WSGI script '[^']*roll\.wsgi' changed; restarting process group 'roll'/);
  });

  test('kill -9 of one of two processes: only its own request in flight may fail', async () => {
    const load = steadyLoad(`${server.url}/pair/`);
    await more(load, 40);
    const victim = load.outcomes.at(-1)!.pid!;
    process.kill(victim, 'SIGKILL');
    await server.waitForLog(new RegExp(`process ${victim} of process group 'pair' was killed by signal SIGKILL`));
    await server.waitForLog(new RegExp(`process ${victim} of process group 'pair' was killed[^]*is ready after`));
    await more(load, 100);
    const outcomes = await load.stop();
    const failed = outcomes.filter((o) => o.status !== 200);
    // Two clients: at most their two requests can have been on the killed process.
    assert.ok(failed.length <= 2 && failed.every((o) => o.status === 502), `only requests in flight on the killed process failed (${summary(outcomes)})`);
    const served = outcomes.filter((o) => o.status === 200);
    assert.ok(Math.max(...served.map((o) => o.ms)) < SLOWEST_MS, `the other process served meanwhile (${summary(outcomes)})`);
  });

  test('maximum-requests: the process keeps serving past its limit until its replacement is ready', async () => {
    const outcomes = await throughRestart(server, 'maxreq', () => Promise.resolve());
    assertNoStall(outcomes, 'maximum-requests');
    const limit = Number(/Replacing process \d+ of process group 'maxreq': maximum-requests \((\d+)\) reached/.exec(server.errorLog())?.[1]);
    assert.ok(limit >= 150 && limit <= 200, `maximum-requests 150 plus a jitter of at most 50: ${limit}`);
  });

  test('restart-interval', async () => {
    const outcomes = await throughRestart(server, 'interval', () => Promise.resolve());
    assertNoStall(outcomes, 'restart-interval');
    assert.match(server.errorLog(), /Replacing process \d+ of process group 'interval': restart-interval \(4 s\) reached/);
  });

  test('memory-limit: resident memory over the limit replaces the process', async () => {
    const outcomes = await throughRestart(server, 'memory', async () => {
      assert.equal((await request(`${server.url}/memory/grow`)).status, 200);
    });
    assertNoStall(outcomes, 'memory-limit');
    assert.match(server.errorLog(), /Replacing process \d+ of process group 'memory': memory-limit \(60000000 bytes\) exceeded: \d+ bytes resident/);
  });

  test('cpu-time-limit: a process that has used that much CPU is replaced', async () => {
    const outcomes = await throughRestart(server, 'cpu', async () => {
      assert.equal((await request(`${server.url}/cpu/burn?2.2`)).status, 200);
    });
    assertNoStall(outcomes, 'cpu-time-limit');
    assert.match(server.errorLog(), /Replacing process \d+ of process group 'cpu': cpu-time-limit \(2 s\) reached: \d+\.\d\d s of CPU used/);
  });

  test('graceful restart into a changed config: a group added, one removed, one changed', async () => {
    const conf = path.join(dir, 'httpd.conf');
    const text = configText(dir, `WSGIDaemonProcess extra processes=1 threads=2
WSGIImportScript ${APPS}/preload_marker.py process-group=extra application-group=%{GLOBAL}
WSGIScriptAlias /extra ${dir}/extra.wsgi process-group=extra application-group=%{GLOBAL}
SetEnv APP_VERSION two`)
      .replace(/WSGIDaemonProcess interval .*\n.*\n.*\n/, '')
      .replace('WSGIDaemonProcess roll processes=1', 'WSGIDaemonProcess roll processes=2');
    fs.writeFileSync(conf, text);
    const outcomes = await throughRestart(server, 'roll', () => graceful(server));
    assertNoStall(outcomes, 'graceful into a new config');
    const extra = await request(`${server.url}/extra/`);
    assert.equal(extra.status, 200);
    assert.equal(extra.json().preloaded, true, 'the added group was ready before requests were routed to it');
    assert.equal((await request(`${server.url}/interval/`)).status, 404, 'the removed group is no longer mounted');
    await server.waitForLog(/process group 'interval' is no longer configured; stopping it/);
    const rollPids = new Set<number>();
    for (let i = 0; i < 20; i++) rollPids.add((await request(`${server.url}/roll/`)).json().pid);
    assert.equal(rollPids.size, 2, 'the changed group runs processes=2 now');
  });
});

describe('a graceful restart into code that fails to import', { timeout: 90_000 }, () => {
  test('a new config whose added group cannot start is refused as a whole; the old config serves on', async () => {
    const dir = tempDir();
    const crash = path.join(dir, 'crash.py');
    fs.writeFileSync(crash, 'import os\nos._exit(3)\n');
    const conf = path.join(dir, 'httpd.conf');
    const base = `Listen 127.0.0.1:0
LogLevel info
WSGIDaemonProcess app processes=1 threads=4
WSGIImportScript ${APPS}/preload_marker.py process-group=app application-group=%{GLOBAL}
WSGIScriptAlias /app ${APPS}/lifecycle.wsgi process-group=app application-group=%{GLOBAL}
`;
    fs.writeFileSync(conf, base);
    const server = await startServe(conf, [], { TSWSGI_TEST_PRELOAD_SECONDS: '0.2' });
    try {
      const load = steadyLoad(server.url + '/app/');
      await more(load, 20);
      fs.writeFileSync(conf, base.replace('processes=1', 'processes=2') + `WSGIDaemonProcess broken processes=1
WSGIImportScript ${crash} process-group=broken application-group=%{GLOBAL}
WSGIScriptAlias /broken ${APPS}/lifecycle.wsgi process-group=broken application-group=%{GLOBAL}
`);
      await assert.rejects(graceful(server),
        (err: { stderr: string }) => /graceful refused, still serving the previous configuration: a process group it adds did not start/.test(err.stderr));
      await more(load, 20);
      const outcomes = await load.stop();
      assertNoStall(outcomes, 'refused graceful');
      assert.equal(pidsOf(outcomes).size, 1, 'the app group was not restarted');
      assert.equal((await request(server.url + '/broken/')).status, 404, 'the old config still routes');
      // A control line that is JSON but no command is refused, and the server lives on.
      const socketPath = controlSocketOf(server.child.pid!);
      const reply = await new Promise<string>((resolve) => {
        const socket = net.connect(socketPath, () => socket.end('null\n'));
        let text = '';
        socket.on('data', (d) => { text += d; }).on('end', () => resolve(text));
      });
      assert.match(reply, /malformed command/);
      assert.equal((await request(server.url + '/app/')).status, 200);
    } finally {
      await server.stop();
    }
  });

  test('a replacement that crashes while loading, or misses startup-timeout: the old process keeps serving', async () => {
    const dir = tempDir();
    const flag = path.join(dir, 'broken');
    const script = path.join(dir, 'startup.py');
    writeReleaseScript(script, flag);
    fs.writeFileSync(path.join(dir, 'httpd.conf'), `Listen 127.0.0.1:0
LogLevel info
WSGIDaemonProcess app processes=1 threads=4 startup-timeout=2
WSGIImportScript ${script} process-group=app application-group=%{GLOBAL}
WSGIImportScript ${APPS}/preload_marker.py process-group=app application-group=%{GLOBAL}
WSGIScriptAlias / ${APPS}/lifecycle.wsgi process-group=app application-group=%{GLOBAL}
`);
    const server = await startServe(path.join(dir, 'httpd.conf'), [], { TSWSGI_TEST_PRELOAD_SECONDS: '0.2' });
    try {
      await oldProcessServesThrough(server, 'failed replacements', async () => {
        for (const mode of ['crash', 'hang']) {
          fs.writeFileSync(flag, mode);
          await assert.rejects(run(process.execPath, [BIN, 'restart-group', 'app', '--pid', String(server.child.pid)]),
            (err: { stderr: string }) => /some replacements failed/.test(err.stderr));
        }
        await server.waitForLog(/Replacement for process \d+ of process group 'app' failed: it exited with code 3 before it was ready/);
        await server.waitForLog(/not ready within startup-timeout \(2 s\); killing it[^]*Replacement for process \d+ of process group 'app' failed: it was killed by signal SIGKILL before it was ready/);
      });
    } finally {
      await server.stop();
    }
  });

  test('the old process keeps serving, no request fails, and the error is logged', async () => {
    const dir = tempDir();
    const script = path.join(dir, 'app.wsgi');
    fs.copyFileSync(path.join(APPS, 'lifecycle.wsgi'), script);
    fs.writeFileSync(path.join(dir, 'httpd.conf'), `Listen 127.0.0.1:0
LogLevel info
WSGIScriptReloading Off
WSGIDaemonProcess app processes=1 threads=4
WSGIImportScript ${APPS}/preload_marker.py process-group=app application-group=%{GLOBAL}
WSGIScriptAlias / ${script} process-group=app application-group=%{GLOBAL}
`);
    const server = await startServe(path.join(dir, 'httpd.conf'), [], { TSWSGI_TEST_PRELOAD_SECONDS: '1' });
    try {
      await oldProcessServesThrough(server, 'graceful into broken code', async (load) => {
        fs.writeFileSync(script, 'raise RuntimeError("the new release is broken")\n');
        await assert.rejects(graceful(server), (err: { stderr: string }) => /some replacements failed/.test(err.stderr));
        await more(load, 50);
      });
      assert.match(server.errorLog(), /RuntimeError: the new release is broken/);
      assert.match(server.errorLog(), /Replacement for process \d+ of process group 'app' failed: 1 of its import scripts failed/);
    } finally {
      await server.stop();
    }
  });
});

// A group whose new processes cannot start must not hold up the control socket: the graceful
// restart answers, naming it, and commands for other groups run meanwhile.
describe('a group whose processes cannot start', { timeout: 150_000 }, () => {
  let dir: string;
  let server: RunningServer;
  /** What the group's import script does at the next start: '' loads, 'crash' exits, 'hang' sleeps past startup-timeout. */
  const release = (mode: string) => fs.writeFileSync(path.join(dir, 'release'), mode);
  before(async () => {
    dir = tempDir();
    writeReleaseScript(path.join(dir, 'startup.py'), path.join(dir, 'release'));
    fs.writeFileSync(path.join(dir, 'httpd.conf'), `Listen 127.0.0.1:0
LogLevel info
WSGIDaemonProcess healthy processes=1 threads=2
WSGIImportScript ${APPS}/preload_marker.py process-group=healthy application-group=%{GLOBAL}
WSGIScriptAlias /healthy ${APPS}/lifecycle.wsgi process-group=healthy application-group=%{GLOBAL}
WSGIDaemonProcess bad processes=1 threads=2 startup-timeout=20
WSGIImportScript ${dir}/startup.py process-group=bad application-group=%{GLOBAL}
WSGIScriptAlias /bad ${APPS}/lifecycle.wsgi process-group=bad application-group=%{GLOBAL}
`);
    server = await startServe(path.join(dir, 'httpd.conf'), [], { TSWSGI_TEST_PRELOAD_SECONDS: '0.2' });
  });
  after(() => server.stop());

  test('its processes exit at start: tswsgi graceful answers with exit 1 naming it, and restart-group of a healthy group succeeds meanwhile', async () => {
    release('crash');
    process.kill((await request(`${server.url}/bad/`)).json().pid, 'SIGKILL');
    await server.waitForLog(/process \d+ of process group 'bad' exited with code 3/);
    const [failure, healthy] = await Promise.all([
      graceful(server).then(() => assert.fail('graceful reported success'), (err: { code: number | null; killed: boolean; stderr: string }) => err),
      control(server, 'restart-group', 'healthy'),
    ]);
    assert.ok(!failure.killed, 'graceful answered within a minute');
    assert.equal(failure.code, 1);
    assert.match(failure.stderr, /graceful: some replacements failed after [\d.]+ s in process group 'bad'/);
    assert.match(healthy.stdout, /restart-group healthy: every process replaced/);
  });

  test('restart-group of a healthy group runs while a graceful restart waits for another group', async () => {
    release('hang');
    const requested = (server.errorLog().match(/Graceful restart requested/g) ?? []).length;
    const pending = graceful(server).then(() => 'succeeded', (err: { stderr: string }) => err.stderr);
    await server.waitForLog(new RegExp(`(?:[^]*?Graceful restart requested){${requested + 1}}`));
    const started = Date.now();
    const { stdout } = await control(server, 'restart-group', 'healthy');
    const took = Date.now() - started;
    assert.match(stdout, /restart-group healthy: every process replaced/);
    // The graceful restart waits for startup-timeout (20 s) to give up on the process that hangs.
    assert.ok(took < 10_000, `restart-group took ${took} ms`);
    assert.equal(await Promise.race([pending, 'waiting']), 'waiting', 'the graceful restart still waits for bad');
    release('');
    assert.match(await pending, /some replacements failed after [\d.]+ s in process group 'bad'/);
  });
});

test('a group removed by a graceful restart runs the requests queued for it, then stops at once', { timeout: 60_000 }, async () => {
  const dir = tempDir();
  const conf = path.join(dir, 'httpd.conf');
  const app = path.join(APPS, 'lifecycle.wsgi');
  const kept = `Listen 127.0.0.1:0
LogLevel debug
WSGIDaemonProcess keep processes=1 threads=1
WSGIScriptAlias /keep ${app} process-group=keep application-group=%{GLOBAL}
`;
  fs.writeFileSync(conf, `${kept}WSGIDaemonProcess gone processes=1 threads=1
WSGIScriptAlias /gone ${app} process-group=gone application-group=%{GLOBAL}
`);
  const server = await startServe(conf);
  try {
    // Running long enough for two more to queue behind it, on a slow machine too.
    const running = startedRequests();
    const replies = [request(`${server.url}/gone/sleep?3`, { headers: running.headers })];
    await running.waitFor(1);
    replies.push(request(`${server.url}/gone/`), request(`${server.url}/gone/`));
    await server.waitForLog(/waits for a free thread \(2 waiting\)/);
    fs.writeFileSync(conf, kept);
    const started = Date.now();
    await graceful(server);
    const took = Date.now() - started;
    assert.deepEqual((await Promise.all(replies)).map((r) => r.status), [200, 200, 200], 'the running and the queued requests all ran');
    // Its queue empty, the group stops then, not at its graceful-timeout plus shutdown-timeout (20 s).
    assert.ok(took < 10_000, `graceful answered ${took} ms after it was asked`);
    await server.waitForLog(/process group 'gone' is no longer configured; stopping it/);
    assert.equal((await request(`${server.url}/gone/`)).status, 404);
  } finally {
    await server.stop();
  }
});

test('a preloaded WSGI script changed before its first request restarts its group (WSGIScriptReloading)', { timeout: 60_000 }, async () => {
  const dir = tempDir();
  const script = path.join(dir, 'app.wsgi');
  fs.copyFileSync(path.join(APPS, 'lifecycle.wsgi'), script);
  const conf = path.join(dir, 'httpd.conf');
  fs.writeFileSync(conf, `Listen 127.0.0.1:0
LogLevel info
WSGIDaemonProcess early processes=1 threads=2
WSGIScriptAlias /app ${script} process-group=early application-group=%{GLOBAL}
`);
  const server = await startServe(conf);
  try {
    // Loaded at start, not yet asked for: a deploy replaces it now.
    fs.writeFileSync(script, fs.readFileSync(script, 'utf8').replace("os.environ.get('APP_VERSION', '')", "'two'"));
    const later = new Date(Date.now() + 5000);
    fs.utimesSync(script, later, later);
    await server.waitForLog(/WSGI script '[^']*app\.wsgi' changed; restarting process group 'early'/, 10_000);
    await server.waitForLog(/took over from process \d+ of process group 'early'/);
    assert.equal((await request(`${server.url}/app/`)).json().version, 'two');
  } finally {
    await server.stop();
  }
});

// logrotate moves the files, then asks for a graceful restart (as it does `apache2ctl graceful`):
// the server must write to new files at the configured paths, not on into the moved ones.
test('a graceful restart opens the error log and the access log again', { timeout: 60_000 }, async () => {
  const dir = tempDir();
  const errorLog = path.join(dir, 'error.log');
  const accessLog = path.join(dir, 'access.log');
  const server = await startServe(writeConf(`Listen 127.0.0.1:0
LogLevel info
ErrorLog ${errorLog}
CustomLog ${accessLog} common
WSGIScriptAlias / ${APPS}/probe.wsgi
`));
  const eventually = (file: string, pattern: RegExp) =>
    waitFor(() => fs.existsSync(file) && pattern.test(fs.readFileSync(file, 'utf8')), `${path.basename(file)} to match ${pattern}`);
  try {
    assert.equal((await request(`${server.url}/before`)).status, 200);
    await eventually(accessLog, /"GET \/before HTTP\/1.1" 200/);
    fs.renameSync(errorLog, `${errorLog}.1`);
    fs.renameSync(accessLog, `${accessLog}.1`);
    await graceful(server);
    assert.equal((await request(`${server.url}/after`)).status, 200);
    await eventually(accessLog, /"GET \/after HTTP\/1.1" 200/);
    await eventually(errorLog, /every process replaced/);
    assert.doesNotMatch(fs.readFileSync(accessLog, 'utf8'), /\/before/);
    assert.doesNotMatch(fs.readFileSync(`${accessLog}.1`, 'utf8'), /\/after/);
    assert.match(fs.readFileSync(`${errorLog}.1`, 'utf8'), /is ready after/);
    assert.doesNotMatch(fs.readFileSync(`${errorLog}.1`, 'utf8'), /every process replaced/);
  } finally {
    await server.stop();
  }
});

// As Apache, which opens its logs before it serves (AH00091 "could not open error log file"): a log
// in a folder that does not exist stops the start, naming it; a graceful restart to one is refused.
test('a log file that cannot be opened: serve does not start; a graceful restart to one is refused', { timeout: 60_000 }, async () => {
  const dir = tempDir();
  const site = (log: string) => `Listen 127.0.0.1:0
${log}
WSGIScriptAlias / ${APPS}/probe.wsgi
`;
  for (const [line, message] of [[`ErrorLog ${dir}/missing/error.log`, 'error log file'], [`CustomLog ${dir}/missing/access.log common`, 'transfer log file']]) {
    const result = await run(process.execPath, [BIN, 'serve', '-f', writeConf(site(line!))], { timeout: 30_000 }).then(() => null, (err: { code: number; stdout: string; stderr: string }) => err);
    assert.ok(result, `serve started with ${line}`);
    assert.equal(result.code, 1);
    assert.equal(result.stdout, '');
    assert.match(result.stderr, new RegExp(`^tswsgi: could not open ${message} ${dir}/missing/\\w+\\.log: ENOENT`));
  }
  const conf = writeConf(site(`ErrorLog ${dir}/error.log`));
  const server = await startServe(conf);
  try {
    fs.writeFileSync(conf, site(`ErrorLog ${dir}/error.log\nCustomLog ${dir}/missing/access.log common`));
    await assert.rejects(graceful(server), (err: { stderr: string }) =>
      /graceful refused, still serving the previous configuration: could not open transfer log file .*missing\/access\.log/.test(err.stderr));
    assert.equal((await request(`${server.url}/`)).status, 200);
    assert.match(fs.readFileSync(`${dir}/error.log`, 'utf8'), /graceful refused/);
  } finally {
    await server.stop();
  }
});

// As Apache's graceful restart: the new config's Listen lines are listened on, and an address it
// no longer lists takes no more connections; an address both list keeps its socket throughout.
test('a graceful restart applies Listen changes', { timeout: 60_000 }, async () => {
  const [kept, gone, added] = [await freePort(), await freePort(), await freePort()];
  const conf = path.join(tempDir(), 'httpd.conf');
  const site = (ports: number[]) => `${ports.map((p) => `Listen 127.0.0.1:${p}`).join('\n')}
LogLevel notice
WSGIScriptAlias / ${APPS}/probe.wsgi
`;
  fs.writeFileSync(conf, site([kept, gone]));
  const server = await startServe(conf);
  const status = async (port: number) => (await request(`http://127.0.0.1:${port}/`)).status;
  try {
    assert.deepEqual([await status(kept), await status(gone)], [200, 200]);
    fs.writeFileSync(conf, site([kept, added]));
    const { stdout } = await graceful(server);
    assert.match(stdout, /every process replaced/);
    assert.deepEqual([await status(kept), await status(added)], [200, 200]);
    await assert.rejects(status(gone), /ECONNREFUSED/);
    await server.waitForLog(new RegExp(`No longer listening on 127\\.0\\.0\\.1:${gone}`));
  } finally {
    await server.stop();
  }
});

test('a graceful restart applies a new LogLevel to the front end\'s own lines', { timeout: 60_000 }, async () => {
  const conf = path.join(tempDir(), 'httpd.conf');
  const site = (level: string) => `Listen 127.0.0.1:0
LogLevel ${level}
WSGIScriptAlias /app ${APPS}/probe.wsgi
`;
  fs.writeFileSync(conf, site('warn'));
  const server = await startServe(conf);
  try {
    // A 404 from the front end is logged at info.
    assert.equal((await request(`${server.url}/quiet`)).status, 404);
    fs.writeFileSync(conf, site('info'));
    await graceful(server);
    assert.equal((await request(`${server.url}/loud`)).status, 404);
    await server.waitForLog(/Refused GET \/loud from \S+ with 404/);
    assert.doesNotMatch(server.errorLog(), /Refused GET \/quiet/);
  } finally {
    await server.stop();
  }
});
