// Differential test: every configuration under configs/ runs under Debian's Apache 2.4 +
// mod_wsgi and under tswsgi; both get the same requests (cases.ts), and every difference
// in their answers must be one listed, with its reason, in expected-differences.ts.
//
// Needs root, /usr/sbin/apache2 and mod_wsgi (apt-get install apache2 libapache2-mod-wsgi-py3).
// Without them the suite is skipped, except under CI (CI set), where that is a failure.

import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { CASES } from './cases';
import { KEYS, REQUESTS } from './expected-differences';
import { BIN_TSWSGI, HERE, makeTree, PROLOGUE, PYTHON, REPO, render, show, unavailable } from './harness';
import { runCase, type CaseResult, type RequestResult } from './run';

const missing = unavailable();
if (missing && process.env.CI) throw new Error(`differential tests cannot run under CI: ${missing}`);

const used = new Set<string>();

/** The differences of one request that nothing in expected-differences.ts explains, as readable lines. */
function unexplained(config: string, r: RequestResult, tswsgiLog: string): string[] {
  let left = r.differences;
  for (const entry of REQUESTS) {
    const keys = entry.explains({ config, request: r.probe.name, apache: r.apache, tswsgi: r.tswsgi, differences: left, tswsgiLog });
    if (keys && keys.length > 0) {
      used.add(`request: ${entry.name}`);
      left = left.filter((d) => !keys.includes(d.key));
    }
  }
  const lines: string[] = [];
  for (const d of left) {
    const rule = KEYS.find((k) => k.key === d.key);
    if (!rule) {
      lines.push(`${d.key}: apache ${show(d.apache)}, tswsgi ${show(d.tswsgi)}`);
      continue;
    }
    used.add(`key: ${rule.key}`);
    const wantA = rule.presence !== 'tswsgi only';
    const wantT = rule.presence !== 'apache only';
    if ((d.apache !== undefined) !== wantA || (d.tswsgi !== undefined) !== wantT) {
      lines.push(`${d.key}: expected present in ${rule.presence}, got apache ${show(d.apache)}, tswsgi ${show(d.tswsgi)}`);
    }
  }
  return lines;
}

function report(config: string, result: CaseResult): string {
  const parts: string[] = [];
  for (const r of result.results) {
    const lines = unexplained(config, r, result.tswsgiLog);
    if (lines.length === 0) continue;
    const { method = 'GET', path: target, host, headers } = r.probe;
    parts.push(`  ${JSON.stringify(r.probe.name)}: ${method} ${target}${host ? ` (Host: ${host})` : ''}${headers ? ` ${JSON.stringify(headers)}` : ''}` +
      ` -> apache ${r.apache.get('status')}, tswsgi ${r.tswsgi.get('status')}\n` + lines.map((l) => `      ${l}`).join('\n'));
  }
  if (parts.length === 0) return '';
  return `${config}: ${parts.length} request(s) differ in ways expected-differences.ts does not list\n${parts.join('\n')}\n` +
    `--- tswsgi error log (tail) ---\n${result.tswsgiLog.split('\n').slice(-30).join('\n')}\n` +
    `--- apache error log (tail) ---\n${result.apacheLog.split('\n').slice(-30).join('\n')}`;
}

describe('differential, as root: Apache 2.4 + mod_wsgi against tswsgi', { skip: missing ?? false, concurrency: 4 }, () => {
  let root = '';
  before(() => { root = makeTree(); });
  after(() => fs.rmSync(root, { recursive: true, force: true }));

  test('every config has a corpus, and every corpus a config', () => {
    const files = fs.readdirSync(path.join(HERE, 'configs')).filter((f) => f.endsWith('.conf')).sort();
    assert.deepEqual(CASES.map((c) => c.config).sort(), files);
    for (const c of CASES) {
      const names = c.requests.map((r) => r.name);
      assert.equal(new Set(names).size, names.length, `${c.config}: request names must be unique`);
    }
  });

  test('tswsgi configtest accepts every config of the suite', async () => {
    const run = fs.mkdtempSync(path.join(os.tmpdir(), 'tswsgi-diff-configtest-'));
    try {
      for (const c of CASES) {
        const conf = path.join(run, c.config);
        const template = fs.readFileSync(path.join(HERE, 'configs', c.config), 'utf8');
        fs.writeFileSync(conf, render(PROLOGUE + template, { PORT: '8080', ROOT: root, RUN: run }));
        const { stderr } = await promisify(execFile)(process.execPath, [BIN_TSWSGI, 'configtest', '-f', conf, '--python', PYTHON], { cwd: REPO });
        assert.match(stderr, /Syntax OK/, c.config);
      }
    } finally {
      fs.rmSync(run, { recursive: true, force: true });
    }
  });

  for (const c of CASES) {
    test(c.config, async () => {
      const result = await runCase(c, root);
      const problems = report(c.config, result);
      if (problems) assert.fail(problems);
    });
  }
});

// Runs after the suite above (top-level tests of a file run one after another). Not a failure:
// an entry can be unused because a config was skipped; but one never used is probably stale.
test('expected differences that no request needed', { skip: missing ?? false }, (t) => {
  const stale = [...KEYS.map((k) => `key: ${k.key}`), ...REQUESTS.map((r) => `request: ${r.name}`)].filter((e) => !used.has(e));
  t.diagnostic(stale.length === 0 ? 'none' : `unused, maybe stale: ${stale.join('; ')}`);
});
