// The connection-level directives as the config reads them: MaxRequestWorkers settled as the
// event MPM settles it (with apache2 -t's warnings, word for word), RequestReadTimeout's stages
// with mod_reqtimeout's defaults and merging, TraceEnable per virtual host.
// What they do to connections is tested against Apache in test/differential/connection-level.test.ts.

import { describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadConfig } from '../src/config/load';
import { START_SERVER_DEFAULTS, startServerConfig } from '../src/config/start-server';
import { stageOf } from '../src/http/read-timeouts';

const MODULES = '/usr/lib/apache2/modules';
const EVENT = `LoadModule mpm_event_module ${MODULES}/mod_mpm_event.so`;
const REQTIMEOUT = `LoadModule reqtimeout_module ${MODULES}/mod_reqtimeout.so`;

function load(lines: string[]) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tswsgi-conn-directives-'));
  try {
    fs.writeFileSync(path.join(dir, 'main.conf'), ['Listen 127.0.0.1:18080', ...lines].join('\n') + '\n');
    const result = loadConfig(path.join(dir, 'main.conf'), { defines: [], python: 'python3', pythonSource: 'test' });
    return { ...result, warnings: result.warnings.map((w) => w.replaceAll(dir, 'D')), errors: result.errors.map((e) => e.message.replaceAll(dir, 'D')) };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('MaxRequestWorkers', () => {
  const cases: Array<[string[], number, string | null]> = [
    [[], 400, null],
    [['MaxRequestWorkers 2'], 25,
      'D/main.conf:3: MaxRequestWorkers of 2 is less than ThreadsPerChild of 25, increasing to 25. MaxRequestWorkers must be at least as large as the number of threads in a single server.'],
    [['MaxRequestWorkers 30'], 25,
      'D/main.conf:3: MaxRequestWorkers of 30 is not an integer multiple of ThreadsPerChild of 25, decreasing to nearest multiple 25, for a maximum of 1 servers.'],
    [['MaxClients 1000'], 400,
      'D/main.conf:3: MaxRequestWorkers of 1000 would require 40 servers and would exceed ServerLimit of 16, decreasing to 400. To increase, please see the ServerLimit directive.'],
    [['ThreadsPerChild 1', 'ServerLimit 2', 'MaxRequestWorkers 2'], 2, null],
  ];
  for (const [lines, settled, warning] of cases) {
    test(`${lines.join('; ') || 'not set'}: ${settled}${warning ? ', with apache2 -t\'s warning' : ''}`, () => {
      const { config, errors, warnings } = load([EVENT, ...lines]);
      assert.deepEqual(errors, []);
      assert.equal(config.maxRequestWorkers, settled);
      assert.deepEqual(warnings, warning ? [warning] : []);
    });
  }

  test('start-server sets no limit', () => {
    const options = { ...START_SERVER_DEFAULTS, pythonSource: 'test', pythonPath: [], importScript: [] };
    assert.equal(startServerConfig(__filename, options).maxRequestWorkers, null);
  });
});

describe('RequestReadTimeout', () => {
  test('without mod_reqtimeout loaded no stage is limited; with it, its defaults', () => {
    const without = load([EVENT]).config;
    assert.deepEqual(stageOf(without, without.main, 'header'), { seconds: 0, maxSeconds: 0, minRate: 0 });
    const loaded = load([EVENT, REQTIMEOUT]).config;
    assert.deepEqual(stageOf(loaded, loaded.main, 'header'), { seconds: 20, maxSeconds: 40, minRate: 500 });
    assert.deepEqual(stageOf(loaded, loaded.main, 'body'), { seconds: 20, maxSeconds: 0, minRate: 500 });
  });

  test('a stage set replaces the default whole; one not set keeps it; a vhost inherits what it does not set', () => {
    const { config, errors } = load([EVENT, REQTIMEOUT, 'RequestReadTimeout header=5 handshake=3',
      '<VirtualHost *:18080>', 'RequestReadTimeout body=0', '</VirtualHost>']);
    assert.deepEqual(errors, []);
    const vhost = config.vhosts[0]!;
    assert.deepEqual(stageOf(config, config.main, 'header'), { seconds: 5, maxSeconds: 0, minRate: 0 });
    assert.deepEqual(stageOf(config, config.main, 'body'), { seconds: 20, maxSeconds: 0, minRate: 500 });
    assert.deepEqual(stageOf(config, vhost, 'header'), { seconds: 5, maxSeconds: 0, minRate: 0 });
    assert.deepEqual(stageOf(config, vhost, 'body'), { seconds: 0, maxSeconds: 0, minRate: 0 });
  });
});

describe('TraceEnable', () => {
  test('per virtual host, inheriting the main server\'s; a bad value is Apache\'s error', () => {
    const { config } = load(['TraceEnable Off', '<VirtualHost *:18080>', 'TraceEnable extended', '</VirtualHost>', '<VirtualHost *:18080>', '</VirtualHost>']);
    assert.deepEqual([config.main.traceEnable, config.vhosts[0]!.traceEnable, config.vhosts[1]!.traceEnable], ['off', 'extended', null]);
    assert.deepEqual(load(['TraceEnable maybe']).errors, ["Syntax error on line 2 of D/main.conf: TraceEnable must be one of 'on', 'off', or 'extended'"]);
  });
});
