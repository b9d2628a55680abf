// Asks an interpreter for its version before any worker starts, so a wrong --python
// or python-home is one clear error at start instead of a respawn loop; and which
// sub-interpreter API it offers. Each question runs blocking (the CLI, before the
// event loop matters) or asynchronously (the library, inside someone's server).

import { execFile, spawnSync } from 'node:child_process';
import type { ProcessGroupConfig } from '../config/model';
import { strerror } from '../config/read-file';
import { PYTHON_PACKAGE_DIR } from './worker-process';

export const MINIMUM_PYTHON: readonly [number, number] = [3, 9];

/** How a run of the interpreter ended: `error` when it could not be run (or timed out). */
interface PythonRun {
  error?: Error;
  status: number | null;
  stdout: string;
  stderr: string;
}

const TIMEOUT_MS = 30_000;
const VERSION_ARGS = ['-c', 'import sys; print("%d.%d.%d" % sys.version_info[:3])'];
const PROBE_ARGS = ['-c', 'import sys; sys.path.insert(0, sys.argv[1]); from tswsgi_worker import interpreters; print(interpreters.available() or "")', PYTHON_PACKAGE_DIR];

const runBlocking = (python: string, args: string[]): PythonRun => spawnSync(python, args, { encoding: 'utf8', timeout: TIMEOUT_MS });

function runAsync(python: string, args: string[]): Promise<PythonRun> {
  return new Promise((resolve) => {
    execFile(python, args, { encoding: 'utf8', timeout: TIMEOUT_MS }, (error, stdout, stderr) => {
      // A numeric code is the exit status; anything else (ENOENT, a kill at the timeout) means it did not run.
      if (error && typeof error.code !== 'number') resolve({ error, status: null, stdout, stderr });
      else resolve({ status: error ? Number(error.code) : 0, stdout, stderr });
    });
  });
}

/** The version the run printed; throws what is wrong with the interpreter. */
function versionOf(python: string, run: PythonRun): string {
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

export const checkPython = (python: string): string => versionOf(python, runBlocking(python, VERSION_ARGS));

/**
 * The interpreter of every group, each run once: what is wrong with them, each as
 * "WHAT CHOSE IT: problem" (the directive's FILE:LINE, or the command-line option).
 */
export function pythonProblems(groups: readonly ProcessGroupConfig[]): string[] {
  return problemsOf(groups, new Map([...new Set(groups.map((g) => g.python))].map((python) => [python, verdict(() => checkPython(python))])));
}

/** As pythonProblems, with the interpreters run in parallel off the event loop. */
export async function pythonProblemsAsync(groups: readonly ProcessGroupConfig[]): Promise<string[]> {
  const pythons = [...new Set(groups.map((g) => g.python))];
  const runs = await Promise.all(pythons.map((python) => runAsync(python, VERSION_ARGS)));
  return problemsOf(groups, new Map(pythons.map((python, i) => [python, verdict(() => versionOf(python, runs[i]!))])));
}

/** null when the check passes, else its message. */
function verdict(check: () => unknown): string | null {
  try {
    check();
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}

function problemsOf(groups: readonly ProcessGroupConfig[], verdicts: ReadonlyMap<string, string | null>): string[] {
  const problems: string[] = [];
  for (const group of groups) {
    const problem = verdicts.get(group.python);
    const line = problem && `${group.pythonSource}: ${problem}`;
    if (line && !problems.includes(line)) problems.push(line);
  }
  return problems;
}

/** The sub-interpreter API the worker itself would find (tswsgi_worker.interpreters), or null when none can run threads. */
const apiOf = (run: PythonRun): string | null => run.status === 0 && run.stdout.trim() !== '' ? run.stdout.trim() : null;

export const probeSubInterpreters = (python: string): string | null => apiOf(runBlocking(python, PROBE_ARGS));

export const probeSubInterpretersAsync = async (python: string): Promise<string | null> => apiOf(await runAsync(python, PROBE_ARGS));
