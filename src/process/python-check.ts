// Asks an interpreter for its version before any worker starts, so a wrong --python
// or python-home is one clear error at start instead of a respawn loop.

import { spawnSync } from 'node:child_process';
import { PYTHON_PACKAGE_DIR } from './worker-process';

export const MINIMUM_PYTHON: readonly [number, number] = [3, 9];

export function checkPython(python: string): string {
  const run = spawnSync(python, ['-c', 'import sys; print("%d.%d.%d" % sys.version_info[:3])'], { encoding: 'utf8', timeout: 30_000 });
  if (run.error) throw new Error(`Python interpreter '${python}' could not be run: ${run.error.message}`);
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
