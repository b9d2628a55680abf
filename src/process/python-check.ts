// Asks an interpreter for its version before any worker starts, so a wrong --python
// or python-home is one clear error at start instead of a respawn loop.

import { spawnSync } from 'node:child_process';
import type { ProcessGroupConfig } from '../config/model';
import { strerror } from '../config/read-file';
import { PYTHON_PACKAGE_DIR } from './worker-process';

export const MINIMUM_PYTHON: readonly [number, number] = [3, 9];

export function checkPython(python: string): string {
  const run = spawnSync(python, ['-c', 'import sys; print("%d.%d.%d" % sys.version_info[:3])'], { encoding: 'utf8', timeout: 30_000 });
  if (run.error) throw new Error(`Python interpreter '${python}' could not be run: ${strerror(run.error)}`);
  if (run.status !== 0) {
    const said = run.stderr.trim();
    throw new Error(`Python interpreter '${python}' exited with status ${run.status} when asked its version${said ? `: ${said}` : ''}`);
  }
  const version = run.stdout.trim();
  const [major, minor] = version.split('.').map(Number) as [number, number];
  if (major < MINIMUM_PYTHON[0] || (major === MINIMUM_PYTHON[0] && minor < MINIMUM_PYTHON[1])) {
    throw new Error(`Python interpreter '${python}' is ${version}; tswsgi needs ${MINIMUM_PYTHON.join('.')} or newer`);
  }
  return version;
}

/**
 * The interpreter of every group, each run once: what is wrong with them, each as
 * "WHAT CHOSE IT: problem" (the directive's FILE:LINE, or the command-line option).
 */
export function pythonProblems(groups: readonly ProcessGroupConfig[]): string[] {
  const verdicts = new Map<string, string | null>();
  const problems: string[] = [];
  for (const group of groups) {
    if (!verdicts.has(group.python)) {
      try {
        checkPython(group.python);
        verdicts.set(group.python, null);
      } catch (err) {
        verdicts.set(group.python, (err as Error).message);
      }
    }
    const problem = verdicts.get(group.python);
    const line = problem && `${group.pythonSource}: ${problem}`;
    if (line && !problems.includes(line)) problems.push(line);
  }
  return problems;
}

const probed = new Map<string, string | null>();

/**
 * Which sub-interpreter API the interpreter offers, as the worker itself would find it
 * (tswsgi_worker.interpreters), or null when it has none that can run threads.
 */
export function probeSubInterpreters(python: string): string | null {
  if (!probed.has(python)) {
    const script = 'import sys; sys.path.insert(0, sys.argv[1]); from tswsgi_worker import interpreters; print(interpreters.available() or "")';
    const run = spawnSync(python, ['-c', script, PYTHON_PACKAGE_DIR], { encoding: 'utf8', timeout: 30_000 });
    probed.set(python, run.status === 0 && run.stdout.trim() !== '' ? run.stdout.trim() : null);
  }
  return probed.get(python)!;
}
