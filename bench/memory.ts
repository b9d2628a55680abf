// Memory of a server under load: the resident set (VmRSS) of every process in its tree, sampled
// every 100 ms, and that of a bare python3 which has imported the same app.

import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { PYTHON, type App } from './servers';
import { statField } from '../src/process/proc-stat';

/** Resident memory of a server, KiB. */
export interface Resident {
  /** The process the benchmark started: tswsgi's front end, Apache's parent, gunicorn's arbiter, uWSGI's master. */
  leader: number;
  /** The sum over its whole process tree. */
  total: number;
}

/** Peaks over one run (leader, total, and the largest of any other process: NaN when there is none), and what it held once started. */
export interface MemoryPeaks extends Resident {
  largestOther: number;
  atStart: Resident;
}

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined; // the process is gone
  }
}

function rssKiB(pid: number): number | undefined {
  const match = /^VmRSS:\s+(\d+) kB/m.exec(read(`/proc/${pid}/status`) ?? '');
  return match ? Number(match[1]) : undefined;
}

/** `root` and its descendants, from the parent pids in /proc/PID/stat. */
function tree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    const stat = /^\d+$/.test(entry) ? read(`/proc/${entry}/stat`) : undefined;
    if (!stat) continue;
    const ppid = Number(statField(stat, 4));
    children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
  }
  const found = [root];
  for (let i = 0; i < found.length; i++) found.push(...(children.get(found[i]!) ?? []));
  return found;
}

/** Each live process of `pids` with its resident KiB. */
function residentOf(pids: number[]): Map<number, number> {
  return new Map(pids.flatMap((pid) => {
    const kib = rssKiB(pid);
    return kib === undefined ? [] : [[pid, kib] as const];
  }));
}

const sum = (kib: Iterable<number>) => [...kib].reduce((a, b) => a + b, 0);

/** What the tree under `root` holds now. */
export function resident(root: number): Resident {
  const now = residentOf(tree(root));
  return { leader: now.get(root) ?? NaN, total: sum(now.values()) };
}

/** Samples the tree under `root` every `everyMs` until stop(), which returns the peaks (`atStart` passed through). */
export function sampleMemory(root: number, atStart: Resident, everyMs = 100): { stop(): MemoryPeaks } {
  const peaks = new Map<number, number>();
  let pids: number[] = [];
  let samples = 0;
  let total = 0;
  const sample = () => {
    if (samples++ % 10 === 0) pids = tree(root); // the tree seldom changes: read it once a second
    const now = residentOf(pids);
    for (const [pid, kib] of now) peaks.set(pid, Math.max(peaks.get(pid) ?? 0, kib));
    total = Math.max(total, sum(now.values()));
  };
  sample();
  const timer = setInterval(sample, everyMs);
  return {
    stop() {
      clearInterval(timer);
      sample();
      const others = [...peaks].filter(([pid]) => pid !== root).map(([, kib]) => kib);
      return { leader: peaks.get(root) ?? NaN, largestOther: others.length ? Math.max(...others) : NaN, total, atStart };
    },
  };
}

/** KiB resident in /usr/bin/python3 once it has imported app.module from app.dir; throws with Python's error if it cannot. */
export function bareAppKiB(app: App): number {
  const code = `import sys; sys.path.insert(0, ${JSON.stringify(app.dir)}); import ${app.module}; ` +
    "print(open('/proc/self/status').read().split('VmRSS:')[1].split()[0])";
  const result = spawnSync(PYTHON, ['-c', code], { cwd: app.dir, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${PYTHON} cannot import ${app.module}: ${(result.stderr || String(result.error)).trim().split('\n').pop()}`);
  return Number(result.stdout.trim());
}
