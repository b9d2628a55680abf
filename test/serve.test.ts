// `tswsgi serve -f`: process groups, preloading with WSGIImportScript, virtual
// hosts, static files and access control, from Apache configuration files.

import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { statField } from '../src/process/proc-stat';
import { APPS, AS_ROOT, DEBIAN_PYTHON, ROOT, request, startServe, tempDir, type RunningServer } from './helpers/tswsgi';

const CONF = path.join(ROOT, 'test/fixtures/serve');
const env = { APPS };

interface Where {
  pid: number;
  process_group: string;
  application_group: string;
  marker_id: number | null;
  created_id: number | null;
  server_name: string;
  app_mode: string | null;
}

describe('process groups and WSGIImportScript', () => {
  let server: RunningServer;
  let startedAt: number;
  let readyAfter: number;
  before(async () => {
    startedAt = Date.now();
    server = await startServe(path.join(CONF, 'groups.conf'), [], env);
    readyAfter = Date.now() - startedAt;
  });
  after(() => server.stop());

  test('the server reports ready only after the 2 s import script ran', () => {
    assert.ok(readyAfter >= 2000, `ready after ${readyAfter} ms`);
  });

  test('the first request finds the preloaded object, in the same interpreter, at once', async () => {
    const started = Date.now();
    const reply = await request(server.url + '/alpha/');
    const latency = Date.now() - started;
    const where = reply.json<Where>();
    assert.equal(where.process_group, 'alpha');
    assert.equal(where.application_group, '');
    assert.notEqual(where.marker_id, null, 'marker present');
    assert.equal(where.marker_id, where.created_id, 'the very object the import script made');
    // The import takes 2 s: well under that means no import ran for this request (a loaded machine can take 100 ms).
    assert.ok(latency < 1000, `first request took ${latency} ms`);
  });

  test('every process of the group was preloaded', async () => {
    const replies = await Promise.all(Array.from({ length: 12 }, () => request(server.url + '/alpha/x')));
    const byPid = new Map(replies.map((r) => { const w = r.json<Where>(); return [w.pid, w]; }));
    assert.equal(byPid.size, 2, 'both processes answered');
    for (const where of byPid.values()) assert.equal(where.marker_id, where.created_id);
  });

  test('the other group has only its own preloads, in other processes', async () => {
    const alpha = (await request(server.url + '/alpha/')).json<Where>();
    const beta = (await request(server.url + '/beta/')).json<Where>();
    assert.equal(beta.process_group, 'beta');
    assert.equal(beta.marker_id, null);
    assert.notEqual(beta.pid, alpha.pid);
  });

  test('a failing and a missing import script are logged, and the group serves anyway', async () => {
    await server.waitForLog(/Exception occurred processing WSGI script '.*raises_on_import\.py'/);
    await server.waitForLog(/RuntimeError: this import script fails on purpose/);
    await server.waitForLog(/Import script '.*raises_on_import\.py' failed into application group '%\{GLOBAL\}' of process \d+ of process group 'beta'/);
    await server.waitForLog(/missing_script\.py/);
    assert.equal((await request(server.url + '/beta/')).status, 200);
  });

  test('Alias serves static files with a content type, Range and ETag', async () => {
    const reply = await request(server.url + '/static/site.css');
    assert.equal(reply.status, 200);
    assert.equal(reply.headers['content-type'], 'text/css');
    assert.equal(reply.body.toString(), 'body { color: teal; }\n');
    assert.ok(reply.headers.etag);
    const range = await request(server.url + '/static/site.css', { headers: { Range: 'bytes=0-3' } });
    assert.equal(range.status, 206);
    assert.equal(range.body.toString(), 'body');
  });

  test('Require all denied in a Location gives 403', async () => {
    assert.equal((await request(server.url + '/static/private/secret.txt')).status, 403);
  });

  test('no path escapes the aliased directory', async () => {
    const reply = await request(server.url + '/static/../../groups.wsgi');
    assert.notEqual(reply.status, 200);
  });
});

describe('virtual hosts', () => {
  let server: RunningServer;
  before(async () => { server = await startServe(path.join(CONF, 'vhosts.conf'), [], env); });
  after(() => server.stop());

  const as = async (host: string) => (await request(server.url + '/', { headers: { Host: host } })).json<Where>();

  test('the Host header picks the virtual host and so the process group', async () => {
    assert.equal((await as('one.test')).process_group, 'one');
    assert.equal((await as('two.test')).process_group, 'two');
    assert.equal((await as('www.one.test')).process_group, 'one', 'ServerAlias wildcard');
  });

  test('an unknown host gets the first virtual host', async () => {
    const where = await as('other.test');
    assert.equal(where.process_group, 'one');
    assert.equal(where.server_name, 'other.test');
  });

  test('SetEnv of each virtual host reaches its environ', async () => {
    assert.equal((await as('one.test')).app_mode, 'first');
    assert.equal((await as('two.test')).app_mode, 'second');
  });
});

describe('WSGIRestrictEmbedded and unknown groups', () => {
  let server: RunningServer;
  before(async () => { server = await startServe(path.join(CONF, 'restricted.conf'), [], env); });
  after(() => server.stop());

  test('daemon mode works', async () => {
    assert.equal((await request(server.url + '/daemon/')).json<Where>().process_group, 'only');
  });

  test('embedded mode is refused with mod_wsgi\'s message', async () => {
    assert.equal((await request(server.url + '/embedded/')).status, 500);
    await server.waitForLog(/Embedded mode of mod_wsgi disabled by runtime configuration: .*groups\.wsgi/);
  });

  test('a group name that expands to nothing configured is a 500 naming it', async () => {
    assert.equal((await request(server.url + '/nowhere/')).status, 500);
    await server.waitForLog(/No WSGI daemon process called '%\{ENV:NO_SUCH_VARIABLE\}' has been configured/);
  });
});

describe('application groups', () => {
  let server: RunningServer;
  before(async () => { server = await startServe(path.join(CONF, 'appgroups.conf'), [], { ...env, TSWSGI_TEST_PRELOAD_SECONDS: '0.2' }); });
  after(() => server.stop());

  test('an import script reaches only its own application group', async () => {
    const first = (await request(server.url + '/first/')).json<Where>();
    const second = (await request(server.url + '/second/')).json<Where>();
    assert.equal(first.application_group, 'first');
    assert.equal(second.application_group, 'second');
    assert.equal(first.marker_id, first.created_id);
    assert.notEqual(first.marker_id, null);
    assert.equal(second.marker_id, null, 'the other application group has its own modules');
  });

  test('the default application group is %{RESOURCE}: ServerName:port|lowercased mount point', async () => {
    const where = (await request(server.url + '/Resource/x')).json<Where>();
    assert.equal(where.application_group, `apps.test:${server.port}|/resource`);
    assert.equal(where.process_group, 'shared');
  });

  test('sub-interpreters: the groups share the process, not their modules', async () => {
    await server.waitForLog(/process group 'shared' runs application groups in sub-interpreters of its processes/);
    const first = (await request(server.url + '/first/')).json<Where>();
    const second = (await request(server.url + '/second/')).json<Where>();
    assert.equal(first.pid, second.pid, 'one process');
    assert.notEqual(first.marker_id, null);
    assert.equal(second.marker_id, null);
  });

  test('an application group first named by a request gets its interpreter on demand', async () => {
    const where = (await request(server.url + '/Resource/again')).json<Where>();
    const first = (await request(server.url + '/first/')).json<Where>();
    assert.equal(where.pid, first.pid);
    assert.equal(where.marker_id, null);
  });
});

describe('application groups in processes of their own', () => {
  let server: RunningServer;
  before(async () => { server = await startServe(path.join(CONF, 'appgroups-processes.conf'), [], { ...env, TSWSGI_TEST_PRELOAD_SECONDS: '0.1' }); });
  after(() => server.stop());

  test('each group has its own processes and its own modules', async () => {
    await server.waitForLog(/process group 'shared' \(application group 'first'\) runs application groups in processes of their own/);
    const first = (await request(server.url + '/first/')).json<Where>();
    const second = (await request(server.url + '/second/')).json<Where>();
    assert.notEqual(first.pid, second.pid);
    assert.equal(first.application_group, 'first');
    assert.equal(second.application_group, 'second');
    assert.notEqual(first.marker_id, null);
    assert.equal(second.marker_id, null);
  });
});

describe('WSGIDaemonProcess options', () => {
  let server: RunningServer;
  before(async () => {
    const marker = path.join(tempDir(), 'hung-once');
    server = await startServe(path.join(CONF, 'options.conf'), [], { ...env, TSWSGI_TEST_HANG_MARKER: marker });
  });
  after(() => server.stop());

  test('lang, locale, umask, home and python-path shape the process', async () => {
    const facts = (await request(server.url + '/shaped/')).json();
    assert.equal(facts.LANG, 'C.UTF-8');
    assert.equal(facts.LC_ALL, 'C.UTF-8');
    assert.equal(facts.locale, 'C.UTF-8');
    assert.equal(facts.umask, '0o27');
    assert.equal(facts.cwd, APPS);
    assert.deepEqual(facts.sys_path, [APPS, path.join(APPS, 'static'), path.join(APPS, 'flask_app')]);
    assert.deepEqual(facts.argv, ['mod_wsgi']);
  });

  test('cpu-priority, virtual-memory-limit, stack-size and python-eggs shape the process', async () => {
    const facts = (await request(server.url + '/shaped/')).json();
    assert.equal(facts.nice, 5);
    assert.deepEqual(facts.address_space_limit, [4000000000, 4000000000]);
    assert.equal(facts.thread_stack_size, 524288);
    assert.equal(facts.PYTHON_EGG_CACHE, '/tmp/tswsgi-eggs');
    // Without them, the defaults: the slow group's process.
    const plain = (await request(server.url + '/slow/')).json();
    assert.equal(plain.nice, 0);
    assert.equal(plain.address_space_limit[0], -1);
    assert.equal(plain.thread_stack_size, 0);
    assert.equal(plain.PYTHON_EGG_CACHE, null);
  });

  test('every thread of a worker runs under SCHED_BATCH, so a woken request thread does not preempt the front end', async () => {
    const facts = (await request(server.url + '/slow/')).json();
    assert.equal(facts.request_thread_policy, 'SCHED_BATCH');
    const tasks = fs.readdirSync(`/proc/${facts.pid}/task`);
    assert.ok(tasks.length > 1, 'the worker has its serving threads');
    for (const task of tasks) {
      const policy = Number(statField(fs.readFileSync(`/proc/${facts.pid}/task/${task}/stat`, 'utf8'), 41));
      assert.equal(policy, 3, `thread ${task} has policy ${policy}, not SCHED_BATCH (3)`);
    }
    // The front end itself keeps the default policy (SCHED_OTHER, 0).
    assert.equal(Number(statField(fs.readFileSync(`/proc/${server.child.pid}/stat`, 'utf8'), 41)), 0);
  });

  test('processes= given makes wsgi.multiprocess True only when given; threads=1 + maximum-requests=1 is run_once', async () => {
    const shaped = (await request(server.url + '/shaped/')).json();
    assert.equal(shaped.multiprocess, true);
    assert.equal(shaped.multithread, false);
    assert.equal(shaped.run_once, true);
    const slow = (await request(server.url + '/slow/')).json();
    assert.equal(slow.multiprocess, false);
    assert.equal(slow.run_once, false);
  });

  test('display-name names the processes as ps shows them, %{GROUP} expanded', async () => {
    const slow = (await request(server.url + '/slow/')).json();
    assert.equal(fs.readFileSync(`/proc/${slow.pid}/comm`, 'utf8').trim(), '(wsgi:slow)');
  });

  test('deadlock-timeout kills a process whose GIL stays held, and a new one serves', async () => {
    const before = (await request(server.url + '/stuck/')).json<{ pid: number }>();
    const started = Date.now();
    const stuck = await request(server.url + '/stuck/hold-gil');
    assert.equal(stuck.status, 502, 'the request in the killed process');
    // The regular expression would hold the GIL for hours.
    assert.ok(Date.now() - started < 10_000, `killed within seconds of deadlock-timeout=1 (${Date.now() - started} ms)`);
    await server.waitForLog(new RegExp(`process ${before.pid} of process group 'stuck': deadlock-timeout \\(1 s\\) expired`));
    await server.waitForLog(new RegExp(`process ${before.pid} of process group 'stuck' was killed by signal SIGKILL[^]*of process group 'stuck' is ready after`));
    const after = await request(server.url + '/stuck/');
    assert.equal(after.status, 200);
    assert.notEqual(after.json<{ pid: number }>().pid, before.pid);
  });

  test('startup-timeout kills a process stuck in its import scripts, and the replacement serves', async () => {
    await server.waitForLog(/process group 'slow' was not ready within startup-timeout \(1 s\); killing it/);
    assert.equal((await request(server.url + '/slow/')).status, 200);
  });
});

describe('httpd core: PidFile, User, WSGIPythonOptimize, LimitRequestBody per location', () => {
  let server: RunningServer;
  let pidFile: string;
  before(async () => {
    // A copy the User can read: the checkout's own folders may not let others in.
    const dir = tempDir();
    fs.chmodSync(dir, 0o755);
    fs.copyFileSync(path.join(APPS, 'flags.wsgi'), path.join(dir, 'flags.wsgi'));
    fs.chmodSync(path.join(dir, 'flags.wsgi'), 0o644);
    pidFile = path.join(dir, 'tswsgi.pid');
    // The workers start as root and become User, as mod_wsgi's do, so their Python must be one
    // that User can read: Debian's, not a python3 built under /root that PATH may find first.
    server = await startServe(path.join(CONF, 'core.conf'), [], { APPCOPY: dir, PIDFILE: pidFile, TSWSGI_PYTHON: DEBIAN_PYTHON });
  });

  test('PidFile holds the server\'s pid while it runs', () => {
    assert.equal(fs.readFileSync(pidFile, 'utf8').trim(), String(server.child.pid));
  });

  test('the workers run optimised, as User when tswsgi is root', async () => {
    const facts = (await request(server.url + '/')).json();
    assert.equal(facts.optimize, 1);
    if (AS_ROOT) assert.equal(facts.uid, 65534);
    else assert.equal(facts.uid, process.getuid!());
  });

  test('LimitRequestBody applies per location', async () => {
    const body = 'x'.repeat(500);
    assert.equal((await request(server.url + '/small', { method: 'POST', body })).status, 413);
    const big = await request(server.url + '/big', { method: 'POST', body });
    assert.equal(big.status, 200);
    assert.equal(big.json().length, 500);
  });

  test('stopping removes the PidFile', async () => {
    assert.equal(await server.stop(), 0);
    assert.ok(!fs.existsSync(pidFile));
  });
});
