// A new process's settings as a pure function of its group's typed options: the same config
// always gives the same process, and mod_wsgi's defaults fill what the options leave out.

import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { defaultDaemonOptions, type DaemonOptions } from '../src/config/daemon-options';
import type { ProcessGroupConfig } from '../src/config/model';
import { launchSettings, type Serving } from '../src/process/launch-settings';

const SERVER = { logLevel: 'warn', pythonOptimize: 1, timeout: 60 } as const;
const MAIN: Serving = { mode: 'sub-interpreters', preload: ['site'] };

function group(name: string, options: Partial<DaemonOptions> = {}, threads = 15): ProcessGroupConfig {
  return {
    name, processes: 2, threads, python: '/usr/bin/python3', pythonSource: 'test', pythonPath: [], home: null,
    importScripts: [{ path: '/srv/a.wsgi', applicationGroup: '' }, { path: '/srv/b.wsgi', applicationGroup: 'b' }],
    multiprocess: true, options: { ...defaultDaemonOptions(), ...options }, vhostServerName: null, vhost: null, source: 'test',
  };
}

test('defaults: timeouts from mod_wsgi and Apache\'s Timeout, a 32 KiB header line in a daemon group, none in %{GLOBAL}', () => {
  const daemon = launchSettings(group('app'), MAIN, '/run/p0.sock', null, SERVER);
  assert.deepEqual(daemon.timeouts, { connect: 15_000, socket: 60_000, request: 0, response: 60_000 });
  assert.equal(daemon.headerLineLimit, 32768);
  assert.equal(daemon.worker.deadlockTimeout, 300);
  assert.equal(daemon.worker.displayName, null);
  assert.equal(daemon.worker.stackSize, null);
  assert.deepEqual(daemon.worker.applicationGroups, [{ name: 'site', socket: '/run/p0.sock.ag1' }]);
  assert.deepEqual(daemon.launch, { env: {}, pythonFlags: ['-O'], priority: undefined });
  assert.equal(launchSettings(group(''), MAIN, '/run/p0.sock', null, SERVER).headerLineLimit, 0);
});

test('options become settings, environment and limits', () => {
  const { worker, launch, timeouts } = launchSettings(group('app', {
    displayName: '%{GROUP}', socketTimeoutSeconds: 9, responseSocketTimeoutSeconds: 3, requestTimeoutSeconds: 20,
    lang: 'C.UTF-8', cpuPriority: 5, maximumRequests: 1, sendBufferSizeBytes: 0, receiveBufferSizeBytes: 4096,
  }, 1), { mode: 'processes', applicationGroup: 'b' }, '/run/p1.sock', null, SERVER);
  assert.equal(worker.displayName, '(wsgi:app)');
  assert.deepEqual(timeouts, { connect: 15_000, socket: 9_000, request: 20_000, response: 3_000 });
  assert.equal(worker.runOnce, true, 'one thread and maximum-requests=1');
  assert.equal(worker.sendBufferSize, null);
  assert.equal(worker.receiveBufferSize, 4096);
  assert.deepEqual(worker.importScripts, [{ path: '/srv/b.wsgi', applicationGroup: 'b' }], 'only its own application group\'s');
  assert.deepEqual(launch.env, { LANG: 'C.UTF-8' });
  assert.equal(launch.priority, 5);
});

test('another user: its identity in the environment, its home as working directory if it has one', () => {
  const credentials = { uid: 1000, gid: 1000, user: 'app', home: '/home/app', groups: null };
  const settings = (homeExists: boolean) =>
    launchSettings(group('app'), MAIN, '/run/p0.sock', { credentials, packageDir: '/run/python', homeExists }, SERVER);
  const { worker, launch } = settings(true);
  assert.deepEqual(worker.runAs, { user: 'app', uid: 1000, gid: 1000, groups: null });
  assert.deepEqual(launch, { env: { HOME: '/home/app', USER: 'app', LOGNAME: 'app' }, cwd: '/home/app', pythonFlags: ['-O'], packageDir: '/run/python', priority: undefined });
  assert.equal(settings(false).launch.cwd, '/');
});
