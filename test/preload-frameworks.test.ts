// Issue 4, process groups, application groups and WSGIImportScript: real Flask and Django
// applications preloaded into daemon groups, and the corners of mod_wsgi's preloading that
// the checklist of the inventory (§8 items 7-9 and 11-17) names.
//
// Flask and Django come from Debian's python3-flask and python3-django, so those servers run
// on Debian's /usr/bin/python3 (`serve --python`): the `python3` on PATH has neither.
//
// "Before the server said ready": each test notes the time `tswsgi serve` printed its ready
// line, and the applications report (Python's time.time(), the same clock) when they loaded.

import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { APPS, DEBIAN_PYTHON, ROOT, request, startServe, tempDir, writeConf, type RunningServer } from './helpers/tswsgi';

const CONF = path.join(ROOT, 'test/fixtures/serve');
const MARKER = path.join(APPS, 'preload_marker.py');
const RAISES = path.join(APPS, 'raises_on_import.py');

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

interface Loading {
  pid: number;
  process: string;
  application: string;
}

/** Every `Loading Python script file` line of the error log for `script`, in log order. */
function loadingLines(log: string, script: string): Loading[] {
  const re = new RegExp(`mod_wsgi \\(pid=(\\d+), process='([^']*)', application='([^']*)'\\): Loading Python script file '${escape(script)}'\\.`, 'g');
  return [...log.matchAll(re)].map((m) => ({ pid: Number(m[1]), process: m[2]!, application: m[3]! }));
}

/**
 * loadingLines once the log holds at least `count` of them: a worker's log lines may reach the
 * error log a moment after the response that followed them.
 */
async function loadingLinesAfter(server: RunningServer, script: string, count: number): Promise<Loading[]> {
  await server.waitForLog(new RegExp(`(Loading Python script file '${escape(script)}'[^]*){${count}}`));
  return loadingLines(server.errorLog(), script);
}

/** The pids the log names as having loaded `script` as an import script into `applicationGroup` of `processGroup`. */
function preloadedBy(log: string, script: string, applicationGroup: string, processGroup: string): number[] {
  const re = new RegExp(`Loaded import script '${escape(script)}' into application group '${escape(applicationGroup)}' ` +
    `of process (\\d+) of process group '${escape(processGroup)}'`, 'g');
  return [...log.matchAll(re)].map((m) => Number(m[1]));
}

/** A temp dir with copies of test/apps/load_recorder.py under each of `names`. */
function recorders(...names: string[]): string {
  const dir = tempDir();
  for (const name of names) fs.copyFileSync(path.join(APPS, 'load_recorder.py'), path.join(dir, name));
  return dir;
}

interface Recorded {
  pid: number;
  process_group: string;
  application_group: string;
  /** Every load of a copy of load_recorder.py in this interpreter, in order. */
  loads: Array<{ file: string; pid: number; at: number; main_thread: boolean }>;
  /** Whether preload_marker.py ran in this interpreter. */
  marker: boolean;
}

interface Serving {
  server: RunningServer;
  /** When the ready line arrived (ms since the epoch). */
  readyAt: number;
}

/** `serve -f` on a fixture for the tests of the enclosing describe: started before them, stopped after. */
function serving(name: string, args: string[], env: NodeJS.ProcessEnv): Serving {
  const running = {} as Serving;
  before(async () => {
    running.server = await startServe(path.join(CONF, name), args, env);
    running.readyAt = Date.now();
  });
  after(() => running.server.stop());
  return running;
}

describe('Flask preloaded by WSGIScriptAlias process-group= application-group=', () => {
  const script = path.join(APPS, 'flask_app/preloaded.wsgi');
  // Debian's python3: it has python3-flask.
  const run = serving('preload-flask.conf', ['--python', DEBIAN_PYTHON], { APPS });

  test('the first request is answered by the module loaded before the server said ready, on Debian\'s Python', async () => {
    const reply = await request(run.server.url + '/flask/');
    assert.equal(reply.status, 200, reply.body.toString());
    const facts = reply.json<{ pid: number; loaded_at: number; module: string; executable: string; process_group: string; application_group: string; script_root: string }>();
    assert.ok(facts.loaded_at * 1000 < run.readyAt, `loaded ${facts.loaded_at * 1000 - run.readyAt} ms after ready`);
    assert.equal(facts.module, '_mod_wsgi_' + createHash('md5').update(script).digest('hex'));
    assert.equal(facts.executable, DEBIAN_PYTHON);
    assert.equal(facts.process_group, 'flask');
    assert.equal(facts.application_group, 'flaskapp');
    assert.equal(facts.script_root, '/flask');
    const loads = (await loadingLinesAfter(run.server, script, 2)).filter((l) => l.pid === facts.pid);
    assert.deepEqual(loads, [{ pid: facts.pid, process: 'flask', application: 'flaskapp' }], 'loaded once, at the preload');
  });

  test('both processes of the group preloaded it, and no request loads it again', async () => {
    await run.server.waitForLog(new RegExp(`(Loaded import script '${escape(script)}'[^]*){2}`));
    const preloaded = preloadedBy(run.server.errorLog(), script, 'flaskapp', 'flask');
    assert.equal(new Set(preloaded).size, 2, `two processes: ${preloaded}`);
    const replies = await Promise.all(Array.from({ length: 8 }, () => request(run.server.url + '/flask/')));
    for (const reply of replies) {
      const facts = reply.json<{ pid: number; loaded_at: number }>();
      assert.ok(preloaded.includes(facts.pid), `answered by a preloaded process: ${facts.pid}`);
      assert.ok(facts.loaded_at * 1000 < run.readyAt);
    }
    assert.equal(loadingLines(run.server.errorLog(), script).length, 2);
  });
});

describe('Django preloaded by WSGIImportScript, its project on python-path=', () => {
  const importScript = path.join(APPS, 'django_project/preload_django.py');
  // Debian's python3: it has python3-django.
  const run = serving('preload-django.conf', ['--python', DEBIAN_PYTHON], { APPS });

  test('the first request is served by the application object the import script made, in the same interpreter', async () => {
    const reply = await request(run.server.url + '/django/');
    assert.equal(reply.status, 200);
    assert.equal(reply.body.toString(), 'Hello from Django');
    const header = (name: string) => String(reply.headers[name]);
    assert.notEqual(header('x-preloaded-application-id'), 'none', 'the import script\'s marker is in this interpreter');
    assert.equal(header('x-application-id'), header('x-preloaded-application-id'), 'the very object (same id())');
    assert.ok(Number(header('x-preloaded-at')) * 1000 < run.readyAt, 'imported before the server said ready');
    assert.equal(header('x-executable'), DEBIAN_PYTHON);
    const pid = Number(header('x-pid'));
    assert.deepEqual(await loadingLinesAfter(run.server, importScript, 1), [{ pid, process: 'django', application: '' }]);
    await run.server.waitForLog(`Loaded import script '${importScript}'`);
    assert.deepEqual(preloadedBy(run.server.errorLog(), importScript, '%{GLOBAL}', 'django'), [pid]);
  });

  test('later requests use the same object; Django routes under the mount point', async () => {
    const first = await request(run.server.url + '/django/');
    const reply = await request(run.server.url + '/django/info/ana/?x=1');
    assert.equal(reply.status, 200);
    assert.equal(reply.headers['x-application-id'], first.headers['x-application-id']);
    const info = reply.json<{ name: string; path: string; path_info: string; script_name: string }>();
    assert.deepEqual([info.name, info.path, info.path_info, info.script_name], ['ana', '/django/info/ana/', '/info/ana/', '/django']);
  });
});

describe('WSGIRestrictEmbedded On: %{GLOBAL} import scripts still run in the server\'s own pool (§8 item 17)', () => {
  const run = serving('restricted-preload.conf', [], { APPS, TSWSGI_TEST_PRELOAD_SECONDS: '0.1' });

  test('the import script ran in every process of the server\'s own pool, which keep running', async () => {
    const processes = Number(/process group '%\{GLOBAL\}' (\d+) x \d+/.exec(run.server.stdout())?.[1]);
    assert.ok(processes >= 1, run.server.stdout());
    await run.server.waitForLog(new RegExp(`(Loaded import script '${escape(MARKER)}' into application group '%\\{GLOBAL\\}'[^]*){${processes}}`));
    const pids = preloadedBy(run.server.errorLog(), MARKER, '%{GLOBAL}', '%{GLOBAL}');
    assert.equal(new Set(pids).size, processes);
    // Processes load side by side, so their "Loading" lines and "Loaded" lines may come in different orders.
    const byPid = (a: { pid: number }, b: { pid: number }) => a.pid - b.pid;
    assert.deepEqual(loadingLines(run.server.errorLog(), MARKER).sort(byPid), pids.map((pid) => ({ pid, process: '', application: '' })).sort(byPid));
    for (const pid of pids) assert.doesNotThrow(() => process.kill(pid, 0), `process ${pid} is still there`);
  });

  test('a request for embedded mode gets mod_wsgi\'s 500, though its interpreter was preloaded', async () => {
    const reply = await request(run.server.url + '/embedded/');
    assert.equal(reply.status, 500);
    await run.server.waitForLog(new RegExp(`Embedded mode of mod_wsgi disabled by runtime configuration: ${escape(path.join(APPS, 'groups.wsgi'))}`));
    assert.deepEqual(loadingLines(run.server.errorLog(), path.join(APPS, 'groups.wsgi')).filter((l) => l.process === ''), [], 'the script never ran there');
  });

  test('daemon mode is served, and its processes do not have the %{GLOBAL} pool\'s preload', async () => {
    const reply = await request(run.server.url + '/daemon/');
    assert.equal(reply.status, 200);
    const where = reply.json<{ process_group: string; marker_id: number | null }>();
    assert.equal(where.process_group, 'only');
    assert.equal(where.marker_id, null);
  });

  test('WSGIRestrictProcess: a group in the list is served, one not in it is a 500 naming it (§8 item 11)', async () => {
    assert.equal((await request(run.server.url + '/daemon/')).status, 200);
    assert.equal((await request(run.server.url + '/elsewhere/')).status, 500);
    await run.server.waitForLog(`Daemon process called 'only' cannot be accessed by this WSGI application as not a member of allowed groups: ${path.join(APPS, 'groups.wsgi')}`);
  });
});

// mod_wsgi 4.9.4 runs no Python in its children then (observed).
test('WSGIRestrictEmbedded On: a WSGIScriptAlias preload into %{GLOBAL}, with no import script there, is not run (§3.7)', async () => {
  const script = path.join(APPS, 'groups.wsgi');
  const server = await startServe(writeConf(`Listen 127.0.0.1:0
LogLevel info
WSGIRestrictEmbedded On
WSGIDaemonProcess only threads=2
WSGIScriptAlias /embedded ${script} process-group=%{GLOBAL} application-group=%{GLOBAL}
WSGIScriptAlias /daemon ${script} process-group=only application-group=%{GLOBAL}
`));
  try {
    assert.equal((await request(server.url + '/embedded/')).status, 500);
    assert.deepEqual(loadingLines(server.errorLog(), script).filter((l) => l.process === ''), []);
  } finally {
    await server.stop();
  }
});

describe('import scripts: order, failures, retries and restarts (§8 items 12, 13, 16)', () => {
  const loads = recorders('first.py', 'second.wsgi', 'flaky.wsgi', 'third.py');
  const file = (name: string) => path.join(loads, name);
  const run = serving('import-order.conf', [], { APPS, LOADS: loads });
  let pid: number;

  test('they run once each, in the order of the file (WSGIScriptAlias preloads too), in the main thread, before any request', async () => {
    const facts = (await request(run.server.url + '/second/')).json<Recorded>();
    pid = facts.pid;
    assert.deepEqual(facts.loads.map((l) => l.file), ['first.py', 'second.wsgi', 'flaky.wsgi', 'third.py']);
    for (const load of facts.loads) {
      assert.equal(load.pid, pid);
      assert.equal(load.main_thread, true, `${load.file} in the main thread`);
      assert.ok(load.at * 1000 < run.readyAt, `${load.file} before ready`);
    }
    await run.server.waitForLog(`Loaded import script '${file('third.py')}'`);
    const order = [file('first.py'), file('second.wsgi'), RAISES, file('flaky.wsgi'), file('third.py')];
    const positions = order.map((script) => run.server.errorLog().indexOf(`Loading Python script file '${script}'`));
    assert.ok(positions.every((p, i) => p >= 0 && (i === 0 || p > positions[i - 1]!)), `log order: ${positions}`);
  });

  test('a raising import script is logged with its traceback, and the scripts after it still run', async () => {
    const log = run.server.errorLog();
    assert.match(log, new RegExp(`Failed to exec Python script file '${escape(RAISES)}'`));
    assert.match(log, /RuntimeError: this import script fails on purpose/);
    assert.deepEqual(preloadedBy(log, file('third.py'), '%{GLOBAL}', 'ordered'), [pid]);
    assert.match(log, new RegExp(`Import script '${escape(file('flaky.wsgi'))}' failed into application group '%\\{GLOBAL\\}' of process ${pid}`));
  });

  test('the first request for a script whose preload failed loads it again, in the same process', async () => {
    const reply = await request(run.server.url + '/flaky/');
    assert.equal(reply.status, 200, reply.body.toString());
    const facts = reply.json<Recorded>();
    assert.equal(facts.pid, pid);
    const flaky = facts.loads.filter((l) => l.file === 'flaky.wsgi');
    assert.equal(flaky.length, 2);
    assert.ok(flaky[1]!.at * 1000 > run.readyAt, 'the second load came with the request');
    // Loaded now, it stays loaded.
    assert.equal((await request(run.server.url + '/flaky/')).status, 200);
    assert.equal((await loadingLinesAfter(run.server, file('flaky.wsgi'), 2)).filter((l) => l.pid === pid).length, 2);
  });

  test('a process stopped by a signal is replaced by one that runs every import script again before it serves', async () => {
    const killedAt = Date.now();
    process.kill(pid, 'SIGTERM');
    await run.server.waitForLog(new RegExp(`process ${pid} of process group 'ordered' (exited with code \\d+|was killed by signal \\w+)`));
    await run.server.waitForLog(/(of process group 'ordered' is ready after[^]*){2}/);
    const facts = (await request(run.server.url + '/second/')).json<Recorded>();
    assert.notEqual(facts.pid, pid);
    assert.deepEqual(facts.loads.map((l) => l.file), ['first.py', 'second.wsgi', 'flaky.wsgi', 'third.py']);
    for (const load of facts.loads) assert.ok(load.at * 1000 > killedAt && load.main_thread, `${load.file} reloaded at start`);
    // Its first load happened in the old process: this time flaky.wsgi preloads.
    assert.deepEqual(preloadedBy(run.server.errorLog(), file('flaky.wsgi'), '%{GLOBAL}', 'ordered'), [facts.pid]);
  });
});

describe('%{...} in group names: what is preloaded and where (§8 items 7, 8, 9, 14, 15)', () => {
  const loads = recorders('literal.wsgi', 'server.wsgi', 'env.wsgi', 'resource.wsgi');
  const file = (name: string) => path.join(loads, name);
  const run = serving('group-names.conf', [], { APPS, LOADS: loads, TSWSGI_TEST_PRELOAD_SECONDS: '0.1' });

  const get = async (target: string, headers: Record<string, string> = {}) => {
    const reply = await request(run.server.url + target, { headers });
    assert.equal(reply.status, 200, `${target}: ${reply.body.toString()}`);
    return reply.json<Recorded>();
  };

  test('application-group=%{SERVER} in WSGIImportScript names an interpreter literally %{SERVER}, which no request reaches', async () => {
    await run.server.waitForLog(`Loaded import script '${MARKER}' into application group '%{SERVER}'`);
    assert.deepEqual((await loadingLinesAfter(run.server, MARKER, 1)).map((l) => [l.process, l.application]), [['names', '%{SERVER}']]);
    const facts = await get('/server/');
    assert.equal(facts.application_group, `localhost:${run.server.port}`);
    assert.equal(facts.marker, false, 'the request\'s %{SERVER} is another interpreter');
  });

  test('a WSGIScriptAlias with literal group names is preloaded; with %{...} in either option it is not', async () => {
    const literal = await get('/literal/');
    assert.deepEqual(literal.loads.map((l) => l.file), ['literal.wsgi']);
    assert.ok(literal.loads[0]!.at * 1000 < run.readyAt, 'literal names: preloaded');

    const server_ = await get('/server/');
    const env = await get('/env/');
    assert.equal(env.process_group, 'names', '%{ENV:GROUP_NAME} from SetEnv');
    assert.equal(env.application_group, 'fromenv');
    for (const [facts, name] of [[server_, 'server.wsgi'], [env, 'env.wsgi']] as const) {
      assert.deepEqual(facts.loads.map((l) => l.file), [name]);
      assert.ok(facts.loads[0]!.at * 1000 > run.readyAt, `${name}: loaded by its first request`);
      const lines = await loadingLinesAfter(run.server, file(name), 1);
      assert.deepEqual(lines.map((l) => l.application), [facts.application_group], `${name}: loaded once, where the request ran`);
    }
  });

  test('two mounts of one script run in two interpreters, each loading its own module', async () => {
    const one = await get('/one/');
    const two = await get('/two/');
    assert.equal(one.application_group, `localhost:${run.server.port}|/one`);
    assert.equal(two.application_group, `localhost:${run.server.port}|/two`);
    assert.equal(one.pid, two.pid);
    assert.equal(one.loads.length, 1);
    assert.equal(two.loads.length, 1);
    const lines = await loadingLinesAfter(run.server, file('resource.wsgi'), 2);
    assert.deepEqual(lines.map((l) => l.application), [one.application_group, two.application_group]);
  });

  test('%{SERVER} takes the request\'s port, left out when it is 80 or 443', async () => {
    assert.equal((await get('/server/', { Host: 'localhost:8080' })).application_group, 'localhost:8080');
    assert.equal((await get('/server/', { Host: 'localhost:443' })).application_group, 'localhost');
    assert.equal((await get('/server/', { Host: 'localhost:80' })).application_group, 'localhost');
  });

  test('no interpreter is made at start for a name that depends on a port not yet known (Listen port 0)', () => {
    const made = [...run.server.errorLog().matchAll(/Create interpreter '([^']*)'/g)].map((m) => m[1]);
    assert.deepEqual(made.filter((name) => name!.startsWith('localhost:0')), []);
  });
});
