// Child processes of the benchmark: each one runs in its own process group, so that stopping it
// also stops whatever it forked (Apache's children, mod_wsgi daemons, gunicorn/uWSGI workers;
// tswsgi's workers have groups of their own, and leave when their front end does).
// Every group still alive when the benchmark exits — normally or not — is killed.

import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';

const live = new Set<ChildProcess>();

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-child.pid!, signal);
  } catch {
    // the group is already gone
  }
}

export function killAll(): void {
  for (const child of live) killGroup(child, 'SIGKILL');
  live.clear();
}

let installed = false;
function installExitHandlers(): void {
  if (installed) return;
  installed = true;
  process.on('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      process.stderr.write(`\nbench: ${signal}, stopping every server started\n`);
      process.exit(130);
    });
  }
}

/** Spawns `cmd` in a new process group that is killed when this process exits. */
export function spawnGroup(cmd: string, args: string[], options: SpawnOptions): ChildProcess {
  installExitHandlers();
  const child = spawn(cmd, args, { ...options, detached: true });
  live.add(child);
  child.on('exit', () => {
    killGroup(child, 'SIGKILL'); // stragglers the leader left behind
    live.delete(child);
  });
  return child;
}

export function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/** Sends `signal` to the group leader alone, waits for it to exit, then kills the rest of its group. */
export async function stop(child: ChildProcess, signal: NodeJS.Signals, timeoutMs: number): Promise<void> {
  if (exited(child)) return;
  const done = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(signal);
  const timer = setTimeout(() => killGroup(child, 'SIGKILL'), timeoutMs);
  await done;
  clearTimeout(timer);
  killGroup(child, 'SIGKILL');
  live.delete(child);
}

export interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion in a group of its own; rejects only when it cannot be started. */
export function runCommand(cmd: string, args: string[]): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const child = spawnGroup(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk));
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
