// `npm run bench`: examples/hello.wsgi under tswsgi, Apache + mod_wsgi (daemon mode), gunicorn and
// uWSGI, each with 2 processes x 8 threads, measured one after another with wrk on loopback.
//
// Environment: BENCH_DURATION (seconds, default 10), BENCH_CONNECTIONS (default 16),
// BENCH_RUNS (default 1; with more, the table shows medians), BENCH_SERVERS (comma-separated
// names to run a subset, e.g. "tswsgi,gunicorn").

import { loadavg } from 'node:os';
import { environmentLines, envInt, freePort, median, prepareApp, selected, version } from './common';
import { SERVERS, missing, startServer, stopServer, type App, type ServerDef } from './servers';
import { parseWrk, runWrk, wrkArgs, type WrkOptions, type WrkResult } from './wrk';

const WRK: WrkOptions = { threads: 2, connections: envInt('BENCH_CONNECTIONS', 16), durationSec: envInt('BENCH_DURATION', 10) };
const WARMUP: WrkOptions = { ...WRK, durationSec: 2 };
const RUNS = envInt('BENCH_RUNS', 1);

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
  const header = [
    ...environmentLines(),
    `gunicorn: ${version('/usr/bin/gunicorn', '--version')}; uWSGI: ${version('/usr/bin/uwsgi', '--version')}`,
    `client: ${version('wrk', '-v').replace(/ Copyright.*/, '')}, same machine; ` +
      `load average before: ${loadavg().map((n) => n.toFixed(2)).join(' ')}`,
    `each server: 2 processes x 8 threads, examples/hello.wsgi; warm-up wrk ${WARMUP.durationSec} s, then ${RUNS} run(s) of:`,
    `  wrk ${wrkArgs(WRK, 'http://127.0.0.1:PORT/').join(' ')}`,
  ].join('\n');
  process.stdout.write(`${header}\n\n`);

  const app = prepareApp();
  const rows: Row[] = [];
  for (const def of SERVERS.filter((d) => selected(d.name))) {
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
