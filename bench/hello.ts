// `npm run bench`: examples/hello.wsgi under tswsgi, Apache + mod_wsgi (daemon mode), gunicorn and
// uWSGI, each with 2 processes x 8 threads, measured one after another with wrk on loopback.
//
// Environment: BENCH_DURATION (seconds, default 10), BENCH_CONNECTIONS (default 16),
// BENCH_RUNS (default 1; with more, the table shows medians), BENCH_SERVERS (comma-separated
// names to run a subset, e.g. "tswsgi,gunicorn").

import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { killAll } from './procs';
import { PYTHON, ROOT, SERVERS, missing, startServer, stopServer, type App, type ServerDef } from './servers';
import { parseWrk, runWrk, wrkArgs, type WrkOptions, type WrkResult } from './wrk';

function envInt(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text.replace(/s$/, ''));
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive whole number, not "${text}"`);
  return value;
}

const WRK: WrkOptions = { threads: 2, connections: envInt('BENCH_CONNECTIONS', 16), durationSec: envInt('BENCH_DURATION', 10) };
const WARMUP: WrkOptions = { ...WRK, durationSec: 2 };
const RUNS = envInt('BENCH_RUNS', 1);
const ONLY = process.env.BENCH_SERVERS?.toLowerCase().split(',').map((s) => s.trim()).filter(Boolean);

/** Copies the app into a fresh temp dir that Apache's www-data children can read. */
function prepareApp(): App {
  const dir = mkdtempSync(join(tmpdir(), 'tswsgi-bench-'));
  chmodSync(dir, 0o755);
  for (let parent = dirname(dir); parent !== '/'; parent = dirname(parent)) {
    if ((statSync(parent).mode & 0o001) === 0) throw new Error(`${parent} is not searchable by www-data; set TMPDIR elsewhere`);
  }
  const app = { dir, wsgi: join(dir, 'hello.wsgi'), py: join(dir, 'hello.py') };
  for (const file of [app.wsgi, app.py]) {
    copyFileSync(join(ROOT, 'examples/hello.wsgi'), file);
    chmodSync(file, 0o644);
  }
  return app;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

/** First line a command prints about its version, or why it cannot say. */
function version(cmd: string, ...args: string[]): string {
  const result = spawnSync(cmd, args, { encoding: 'utf8' });
  if (result.error) return 'not installed';
  return `${result.stdout}${result.stderr}`.trim().split('\n')[0]!;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

interface Row {
  def: ServerDef;
  results: WrkResult[];
  note?: string; // why there are no results
}

async function measure(def: ServerDef, app: App): Promise<Row> {
  const absent = missing(def);
  if (absent.length) return { def, results: [], note: `not installed (${def.install}); missing ${absent.join(', ')}` };
  process.stderr.write(`bench: ${def.name}: starting\n`);
  const running = await startServer(def, app, await freePort());
  try {
    await runWrk(wrkArgs(WARMUP, running.url));
    const results: WrkResult[] = [];
    for (let run = 1; run <= RUNS; run++) {
      results.push(parseWrk(await runWrk(wrkArgs(WRK, running.url))));
      const last = results[results.length - 1]!;
      process.stderr.write(`bench: ${def.name}: run ${run}/${RUNS}: ${last.requestsPerSec.toFixed(0)} req/s, p99 ${last.p99Ms} ms\n`);
    }
    return { def, results };
  } finally {
    process.stderr.write(`bench: ${def.name}: stopping\n`);
    await stopServer(def, running);
  }
}

const int = (n: number) => Math.round(n).toLocaleString('en-US');
const ms = (n: number) => (n < 10 ? n.toFixed(2) : n.toFixed(1));
const rps = (row: Row | undefined) => (row?.results.length ? median(row.results.map((r) => r.requestsPerSec)) : undefined);

function table(rows: Row[]): string {
  const apache = rps(rows.find((r) => r.def.name.startsWith('Apache')));
  const gunicorn = rps(rows.find((r) => r.def.name.startsWith('gunicorn')));
  const ratio = (value: number, base: number | undefined) => (base ? `${(value / base).toFixed(2)}x` : '—');
  const lines = [
    `| server | requests/s${RUNS > 1 ? ` (median of ${RUNS}, range)` : ''} | p50 ms | p99 ms | errors${RUNS > 1 ? ' (all runs)' : ''} | vs Apache mod_wsgi daemon | vs gunicorn gthread |`,
    '|---|--:|--:|--:|--:|--:|--:|',
  ];
  const notes: string[] = [];
  for (const row of rows) {
    const value = rps(row);
    if (value === undefined) {
      lines.push(`| ${row.def.name} | ${row.note} | | | | | |`);
      continue;
    }
    const all = row.results.map((r) => r.requestsPerSec);
    const range = RUNS > 1 ? ` (${int(Math.min(...all))}–${int(Math.max(...all))})` : '';
    const counts: Record<string, number> = { 'non-2xx/3xx': 0, connect: 0, read: 0, write: 0, timeout: 0 };
    for (const r of row.results) {
      counts['non-2xx/3xx'] += r.non2xx;
      for (const [kind, n] of Object.entries(r.socketErrors)) counts[kind]! += n;
    }
    const nonzero = Object.entries(counts).filter(([, n]) => n > 0);
    const errors = nonzero.length ? nonzero.map(([kind, n]) => `${kind} ${int(n)}`).join(', ') : '0';
    if (row.def.note) notes.push(`${row.def.name}: ${row.def.note}`);
    lines.push(`| ${row.def.name} | ${int(value)}${range} | ${ms(median(row.results.map((r) => r.p50Ms)))} | ` +
      `${ms(median(row.results.map((r) => r.p99Ms)))} | ${errors} | ${ratio(value, apache)} | ${ratio(value, gunicorn)} |`);
  }
  return [...lines, ...(notes.length ? ['', ...notes] : [])].join('\n');
}

async function main(): Promise<void> {
  if (version('wrk', '-v') === 'not installed') throw new Error('wrk is not installed (apt-get install wrk)');
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
  const modWsgi = spawnSync('dpkg-query', ['-W', '-f', '${Version}', 'libapache2-mod-wsgi-py3'], { encoding: 'utf8' });
  const header = [
    `date: ${new Date().toISOString()}`,
    `machine: nproc ${version('nproc')}, ${cpus()[0]?.model ?? 'unknown CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, ` +
      `Debian ${version('cat', '/etc/debian_version')}`,
    `tswsgi ${pkg.version} on Node ${process.version}; Python: ${version(PYTHON, '--version')} (${PYTHON})`,
    `Apache: ${version('/usr/sbin/apache2', '-v').replace('Server version: ', '')}; ` +
      `mod_wsgi: ${modWsgi.status === 0 ? modWsgi.stdout : 'not installed'} (libapache2-mod-wsgi-py3)`,
    `gunicorn: ${version('/usr/bin/gunicorn', '--version')}; uWSGI: ${version('/usr/bin/uwsgi', '--version')}`,
    `client: ${version('wrk', '-v').replace(/ Copyright.*/, '')}, same machine; ` +
      `load average before: ${loadavg().map((n) => n.toFixed(2)).join(' ')}`,
    `each server: 2 processes x 8 threads, examples/hello.wsgi; warm-up wrk ${WARMUP.durationSec} s, then ${RUNS} run(s) of:`,
    `  wrk ${wrkArgs(WRK, 'http://127.0.0.1:PORT/').join(' ')}`,
  ].join('\n');
  process.stdout.write(`${header}\n\n`);

  const app = prepareApp();
  process.on('exit', () => {
    killAll(); // before removing the files the servers use
    rmSync(app.dir, { recursive: true, force: true });
  });
  const rows: Row[] = [];
  for (const def of SERVERS.filter((d) => !ONLY || ONLY.some((name) => d.name.toLowerCase().includes(name)))) {
    try {
      rows.push(await measure(def, app));
    } catch (err) {
      process.stderr.write(`bench: ${def.name}: ${(err as Error).message}\n`);
      rows.push({ def, results: [], note: `failed: ${(err as Error).message.split('\n')[0]}` });
    }
  }
  process.stdout.write(`${table(rows)}\n`);
}

main().catch((err: Error) => {
  process.stderr.write(`bench: ${err.message}\n`);
  process.exitCode = 1;
});
