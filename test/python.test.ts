// Runs the Python side's unit tests (framing vectors, the worker on its own) on
// each interpreter the machine has: python3 on PATH and Debian's /usr/bin/python3.

import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DEBIAN_PYTHON, ROOT } from './helpers/tswsgi';

const realPath = (python: string) =>
  execFileSync(python, ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim();

const interpreters = [...new Map(['python3', DEBIAN_PYTHON]
  .filter((p) => p === 'python3' || fs.existsSync(p))
  .map((p) => [fs.realpathSync(realPath(p)), p])).values()];

for (const python of interpreters) {
  test(`python unit tests pass on ${python}`, { timeout: 300_000 }, () => {
    const run = spawnSync(python, ['-m', 'unittest', 'discover', '-s', path.join(ROOT, 'python/tests'), '-t', path.join(ROOT, 'python')], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    assert.equal(run.status, 0, `${python} -m unittest failed:\n${run.stdout}\n${run.stderr}`);
    assert.match(run.stderr, /Ran [1-9]\d* tests?/);
  });
}
