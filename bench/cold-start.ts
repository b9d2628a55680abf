// `node dist/bench/cold-start.js`: how soon an app whose import takes 1.5 s answers after its server
// starts, under tswsgi serve and Apache + mod_wsgi (daemon mode, 2 processes x 8 threads), each
// with the script preloaded (process-group= and application-group= on WSGIScriptAlias) and
// without (loaded on first use, per process).
//
// For each: launch the server; wait until it says it is ready (tswsgi: its "tswsgi: serving" line;
// Apache: the port accepts a TCP connection, since an HTTP request would itself load the app);
// send one GET and time it; as soon as it answers, send 16 GETs at once, each on its own
// connection, and time the slowest. Then stop the server and everything it forked.
//
// Environment: BENCH_RUNS (default 3; the table shows medians), BENCH_SERVERS (comma-separated
// parts of the variant names to run a subset, e.g. "tswsgi" or "preloaded").

import { connect } from 'node:net';
import { loadavg } from 'node:os';
import { HELLO_BODY, timedGet } from './client';
import {
  environmentLines, envInt, freePort, measureAll, median, prepareApp, selected, sleep, slowImportApp, type Measured,
} from './common';
import { exited } from './procs';
import {
  APACHE, PROCESSES, THREADS, TSWSGI, apacheCommand, launchServer, logTail, siteConfig, stopServer,
  tswsgiServeCommand, type App, type Running, type ServerDef,
} from './servers';

const RUNS = envInt('BENCH_RUNS', 3);
const IMPORT_SECONDS = 1.5;
const BURST = 16;
const READY_TIMEOUT_MS = 30_000;
const REQUEST_TIMEOUT_MS = 60_000;

/**
 * The site, the same text for tswsgi and Apache: one daemon group; with `preload`, the two
 * WSGIScriptAlias options that make both servers load the script when each process starts.
 */
function site(app: App, port: number, preload: boolean): string {
  return siteConfig(app, port, [
    `WSGIDaemonProcess coldstart processes=${PROCESSES} threads=${THREADS}`,
    'WSGIProcessGroup coldstart',
    `WSGIScriptAlias / ${app.wsgi}${preload ? ' process-group=coldstart application-group=%{GLOBAL}' : ''}`,
  ]);
}

interface Variant extends ServerDef {
  /** How the benchmark learns that the server is ready. */
  ready: 'line' | 'tcp';
}

function tswsgi(preload: boolean): Variant {
  const name = `tswsgi serve, ${preload ? 'preloaded' : 'not preloaded'}`;
  return { ...TSWSGI, name, command: (app, port) => tswsgiServeCommand(app, name, site(app, port, preload)), ready: 'line' };
}

function apache(preload: boolean): Variant {
  return {
    ...APACHE,
    name: `Apache mod_wsgi daemon, ${preload ? 'preloaded' : 'not preloaded'}`,
    command: (app, port, log) => apacheCommand(app, log, site(app, port, preload)),
    ready: 'tcp',
  };
}

const VARIANTS: Variant[] = [tswsgi(true), tswsgi(false), apache(true), apache(false)];

/** Resolves when the server prints a line starting with `tswsgi: serving`. */
function readyLine(running: Running): Promise<void> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    const onData = (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      if (/^tswsgi: serving /m.test(buffered)) {
        running.child.stdout!.off('data', onData);
        resolve();
      }
    };
    running.child.stdout!.on('data', onData);
    running.child.once('exit', () => reject(new Error('exited before it was ready')));
  });
}

/** Resolves when 127.0.0.1:port accepts a TCP connection (closed at once, no request sent). */
async function acceptsTcp(running: Running, port: number): Promise<void> {
  for (;;) {
    if (exited(running.child)) throw new Error('exited before it was ready');
    const accepted = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (accepted) return;
    await sleep(5);
  }
}

interface Sample {
  readyS: number;
  firstMs: number;
  burstMs: number;
  /** first response, seconds from launch */
  answeredS: number;
  errors: string[];
}

async function measure(variant: Variant, app: App): Promise<Sample> {
  const port = await freePort();
  const running = launchServer(variant, app, port);
  try {
    const ready = variant.ready === 'line' ? readyLine(running) : acceptsTcp(running, port);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`not ready within ${READY_TIMEOUT_MS / 1000} s`)), READY_TIMEOUT_MS);
    });
    try {
      await Promise.race([ready, timeout]);
    } catch (err) {
      throw new Error(`${(err as Error).message}:\n${logTail(running)}`);
    } finally {
      clearTimeout(timer);
    }
    const readyAt = performance.now();
    const first = await timedGet(running.url, REQUEST_TIMEOUT_MS, HELLO_BODY);
    const burst = await Promise.all(Array.from({ length: BURST }, () => timedGet(running.url, REQUEST_TIMEOUT_MS, HELLO_BODY)));
    const errors = [first, ...burst].flatMap((t) => (t.error ? [t.error] : []));
    return {
      readyS: (readyAt - running.launchedAt) / 1000,
      firstMs: first.ms,
      burstMs: Math.max(...burst.map((t) => t.ms)),
      answeredS: (readyAt + first.ms - running.launchedAt) / 1000,
      errors,
    };
  } finally {
    await stopServer(variant, running);
  }
}

type Row = Measured<Variant, Sample>;

const seconds = (n: number) => n.toFixed(2);
const millis = (n: number) => (n < 10 ? n.toFixed(1) : Math.round(n).toLocaleString('en-US'));

function cell(row: Row, pick: (s: Sample) => number, format: (n: number) => string): string {
  const values = row.results.map(pick);
  if (!values.length) return '';
  const range = values.length > 1 ? ` (${format(Math.min(...values))}–${format(Math.max(...values))})` : '';
  return `${format(median(values))}${range}`;
}

function table(rows: Row[]): string {
  const of = RUNS > 1 ? ` (medians of ${RUNS} runs, range in brackets)` : '';
  const lines = [
    `| server, variant${of} | ready after, s from launch | first request, ms | slowest of the burst of ${BURST}, ms | first response, s from launch | failed requests |`,
    '|---|--:|--:|--:|--:|--:|',
  ];
  const notes: string[] = [];
  for (const row of rows) {
    if (!row.results.length) {
      lines.push(`| ${row.item.name} | ${row.failures[0] ?? 'no runs'} | | | | |`);
      continue;
    }
    const errors = row.results.flatMap((s) => s.errors);
    if (errors.length) notes.push(`${row.item.name}: ${[...new Set(errors)].join('; ')}`);
    if (row.failures.length) notes.push(`${row.item.name}: ${row.failures.length} run(s) failed: ${row.failures.join('; ')}`);
    lines.push(`| ${row.item.name} | ${cell(row, (s) => s.readyS, seconds)} | ${cell(row, (s) => s.firstMs, millis)} | ` +
      `${cell(row, (s) => s.burstMs, millis)} | ${cell(row, (s) => s.answeredS, seconds)} | ${errors.length} of ${row.results.length * (BURST + 1)} |`);
  }
  return [...lines, ...(notes.length ? ['', ...notes] : [])].join('\n');
}

async function main(): Promise<void> {
  const header = [
    ...environmentLines(),
    `load average before: ${loadavg().map((n) => n.toFixed(2)).join(' ')}; client: this process (node:http), same machine`,
    `app: examples/hello.wsgi after time.sleep(${IMPORT_SECONDS}) at import; daemon group processes=${PROCESSES} threads=${THREADS}; ` +
      `${RUNS} run(s) of each variant, interleaved`,
  ].join('\n');
  process.stdout.write(`${header}\n\n`);

  const app = prepareApp(slowImportApp(IMPORT_SECONDS));
  const rows = await measureAll(VARIANTS.filter((v) => selected(v.name)), RUNS, {
    name: (variant) => variant.name,
    server: (variant) => variant,
    measure: (variant) => measure(variant, app),
    describe: (s) => `ready ${seconds(s.readyS)} s, first ${millis(s.firstMs)} ms, ` +
      `burst ${millis(s.burstMs)} ms${s.errors.length ? `, ${s.errors.length} failed` : ''}`,
  });
  process.stdout.write(`${table(rows)}\n`);
}

main().catch((err: Error) => {
  process.stderr.write(`bench: ${err.message}\n`);
  process.exitCode = 1;
});
