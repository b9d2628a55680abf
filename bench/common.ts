// What the benchmarks share: environment variables, the app's temp directory, free ports, medians
// and the header that says what machine and which versions a table came from.

import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { killAll } from './procs';
import { PYTHON, ROOT, missing, type App, type ServerDef } from './servers';

export function envInt(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text.replace(/s$/, ''));
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive whole number, not "${text}"`);
  return value;
}

/** Whether `name` contains one of the comma-separated parts in environment variable `variable` (all do when it is unset). */
export function chosenBy(variable: string): (name: string) => boolean {
  const parts = process.env[variable]?.toLowerCase().split(',').map((s) => s.trim()).filter(Boolean);
  return (name) => !parts?.length || parts.some((part) => name.toLowerCase().includes(part));
}

/** BENCH_SERVERS: parts of the names of the servers to run. */
export const selected = chosenBy('BENCH_SERVERS');

/**
 * Writes the app (`source`, by default examples/hello.wsgi) into a fresh temp dir that Apache's
 * www-data children can read, as `MODULE.wsgi` and an importable `MODULE.py`. At exit, every server
 * still running is killed and the directory removed.
 */
export function prepareApp(source = readFileSync(join(ROOT, 'examples/hello.wsgi'), 'utf8'), module = 'hello'): App {
  const dir = mkdtempSync(join(tmpdir(), 'tswsgi-bench-'));
  chmodSync(dir, 0o755);
  for (let parent = dirname(dir); parent !== '/'; parent = dirname(parent)) {
    if ((statSync(parent).mode & 0o001) === 0) throw new Error(`${parent} is not searchable by www-data; set TMPDIR elsewhere`);
  }
  const app = { dir, wsgi: join(dir, `${module}.wsgi`), py: join(dir, `${module}.py`), module };
  for (const file of [app.wsgi, app.py]) {
    writeFileSync(file, source);
    chmodSync(file, 0o644);
  }
  process.on('exit', () => {
    killAll(); // before removing the files the servers use
    rmSync(dir, { recursive: true, force: true });
  });
  return app;
}

/**
 * examples/hello.wsgi preceded by an import that takes `seconds` (time.sleep at module level),
 * as a large application's might; `then`: Python lines run once that import is done.
 */
export function slowImportApp(seconds: number, then: string[] = []): string {
  return `# Benchmark app: importing this script takes ${seconds} s, as a large application's might.
import time

time.sleep(${seconds})
${then.map((line) => `${line}\n`).join('')}
${readFileSync(join(ROOT, 'examples/hello.wsgi'), 'utf8')}`;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

/** First line a command prints about its version, or why it cannot say. */
export function version(cmd: string, ...args: string[]): string {
  const result = spawnSync(cmd, args, { encoding: 'utf8' });
  if (result.error) return 'not installed';
  return `${result.stdout}${result.stderr}`.trim().split('\n')[0]!;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The nearest-rank percentile `p` (0-100) of `values`; NaN when there are none. */
export function percentile(values: number[], p: number): number {
  if (!values.length) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length))) - 1]!;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Date, machine, and the versions of tswsgi, Node, Python, Apache and mod_wsgi. */
export function environmentLines(): string[] {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
  const modWsgi = spawnSync('dpkg-query', ['-W', '-f', '${Version}', 'libapache2-mod-wsgi-py3'], { encoding: 'utf8' });
  return [
    `date: ${new Date().toISOString()}`,
    `machine: nproc ${version('nproc')}, ${cpus()[0]?.model ?? 'unknown CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, ` +
      `Debian ${version('cat', '/etc/debian_version')}`,
    `tswsgi ${pkg.version} on Node ${process.version}; Python: ${version(PYTHON, '--version')} (${PYTHON})`,
    `Apache: ${version('/usr/sbin/apache2', '-v').replace('Server version: ', '')}; ` +
      `mod_wsgi: ${modWsgi.status === 0 ? modWsgi.stdout : 'not installed'} (libapache2-mod-wsgi-py3)`,
  ];
}

/** What one row of a results table holds: the results of its runs, and why runs gave none. */
export interface Measured<Item, Result> {
  item: Item;
  results: Result[];
  failures: string[];
}

/**
 * Measures every item `runs` times, interleaved (run 1 of each, then run 2, ...), skipping those
 * whose server is not installed (the row says how to install it). Each run is logged to stderr,
 * its result as `describe` puts it; a run that throws is logged and counted as a failure.
 */
export async function measureAll<Item, Result>(items: Item[], runs: number, how: {
  name: (item: Item) => string;
  server: (item: Item) => ServerDef;
  measure: (item: Item) => Promise<Result>;
  describe: (result: Result) => string;
}): Promise<Measured<Item, Result>[]> {
  const rows = items.map((item): Measured<Item, Result> => ({ item, results: [], failures: [] }));
  const skip = new Set<Measured<Item, Result>>();
  for (const row of rows) {
    const def = how.server(row.item);
    const absent = missing(def);
    if (!absent.length) continue;
    row.failures.push(`not installed (${def.install}); missing ${absent.join(', ')}`);
    skip.add(row);
  }
  for (let run = 1; run <= runs; run++) {
    for (const row of rows.filter((r) => !skip.has(r))) {
      const name = how.name(row.item);
      try {
        const result = await how.measure(row.item);
        row.results.push(result);
        process.stderr.write(`bench: ${name}: run ${run}/${runs}: ${how.describe(result)}\n`);
      } catch (err) {
        const message = (err as Error).message;
        process.stderr.write(`bench: ${name}: run ${run}/${runs}: ${message}\n`);
        row.failures.push(`failed: ${message.split('\n')[0]}`);
      }
    }
  }
  return rows;
}
