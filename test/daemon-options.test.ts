// WSGIDaemonProcess options parsed once, by the option table, into typed fields with
// their defaults: what src/process reads instead of option names.

import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { DAEMON_OPTIONS, defaultDaemonOptions, parseDaemonOptions, splitDeclaration, type DaemonDeclaration } from '../src/config/daemon-options';

function parse(options: Record<string, string>): DaemonDeclaration {
  const declaration = parseDaemonOptions(new Map(Object.entries(options)));
  assert.ok(!('error' in declaration), JSON.stringify(declaration));
  return declaration as DaemonDeclaration;
}

test('each option fills a field of its own', () => {
  const fields = DAEMON_OPTIONS.map((o) => o.field);
  assert.equal(new Set(fields).size, fields.length);
  assert.deepEqual(Object.keys(parse({})).sort(), [...fields].sort());
});

test('defaults, as mod_wsgi has them, applied once', () => {
  const options = defaultDaemonOptions();
  assert.equal(options.connectTimeoutSeconds, 15);
  assert.equal(options.gracefulTimeoutSeconds, 15);
  assert.equal(options.deadlockTimeoutSeconds, 300);
  assert.equal(options.shutdownTimeoutSeconds, 5);
  assert.equal(options.queueTimeoutSeconds, 0);
  assert.equal(options.maximumRequests, 0);
  assert.equal(options.displayName, null);
  assert.equal(options.umask, null);
  assert.equal(options.stackSizeBytes, null);
  assert.equal(options.serverMetrics, false);
  assert.equal('processes' in options, false, 'the group\'s shape is ProcessGroupConfig\'s');
});

test('values typed: numbers as numbers, octal umask, flags as booleans', () => {
  const { shape, options } = splitDeclaration(parse({
    'processes': '3', 'python-path': '/a:/b', 'queue-timeout': '7', 'umask': '022', 'stack-size': '524288',
    'display-name': '%{GROUP}', 'server-metrics': 'On', 'cpu-priority': '-5',
  }));
  assert.deepEqual(shape, { processes: 3, threads: null, home: null, pythonPath: '/a:/b', pythonHome: null });
  assert.equal(options.queueTimeoutSeconds, 7);
  assert.equal(options.umask, 0o22);
  assert.equal(options.stackSizeBytes, 524288);
  assert.equal(options.displayName, '%{GROUP}');
  assert.equal(options.serverMetrics, true);
  assert.equal(options.cpuPriority, -5);
});

test('mod_wsgi\'s messages for a bad value or an unknown option', () => {
  assert.deepEqual(parseDaemonOptions(new Map([['threads', 'x']])), { error: 'Invalid thread count for WSGI daemon process.' });
  assert.deepEqual(parseDaemonOptions(new Map([['nonsense', '1']])), { error: 'Invalid option to WSGI daemon process definition.' });
});
