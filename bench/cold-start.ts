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

import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { environmentLines, envInt, freePort, median, prepareApp, selected, sleep } from './common';
import { exited, killAll } from './procs';
import {
  PROCESSES, PYTHON, ROOT, THREADS, apacheCommand, launchServer, logTail, missing, stopServer,
  type App, type Running, type ServerDef,
} from './servers';

const RUNS = envInt('BENCH_RUNS', 3);
const IMPORT_SECONDS = 1.5;
const BURST = 16;
const READY_TIMEOUT_MS = 30_000;
const REQUEST_TIMEOUT_MS = 60_000;
const BODY = 'Hello, world!\n';

/** examples/hello.wsgi, with an import that takes IMPORT_SECONDS. */
const SCRIPT = `# Cold-start benchmark: importing this script takes ${IMPORT_SECONDS} s, as a large application's might.
import time

time.sleep(${IMPORT_SECONDS})

${readFileSync(join(ROOT, 'examples/hello.wsgi'), 'utf8')}`;

/**
 * The site, the same text for tswsgi and Apache: one daemon group; with `preload`, the two
 * WSGIScriptAlias options that make both servers load the script when each process starts.
 */
function site(app: App, port: number, preload: boolean): string {
  return `Listen 127.0.0.1:${port}
WSGIDaemonProcess coldstart processes=${PROCESSES} threads=${THREADS}
WSGIProcessGroup coldstart
WSGIScriptAlias / ${app.wsgi}${preload ? ' process-group=coldstart application-group=%{GLOBAL}' : ''}
<Directory ${app.dir}>
  Require all granted
</Directory>
`;
}

interface Variant extends ServerDef {
  /** How the benchmark learns that the server is ready. */
  ready: 'line' | 'tcp';
}

function tswsgi(preload: boolean): Variant {
  const name = `tswsgi serve, ${preload ? 'preloaded' : 'not preloaded'}`;
  return {
    name,
    requires: [join(ROOT, 'dist/src/cli/main.js'), PYTHON],
    install: 'npm run build; apt-get install python3',
    command: (app, port) => {
      const conf = join(app.dir, `${name.replace(/\W+/g, '-')}.conf`);
      writeFileSync(conf, site(app, port, preload));
      return [process.execPath, join(ROOT, 'bin/tswsgi.js'), 'serve', '-f', conf, '--python', PYTHON];
    },
    stopSignal: 'SIGTERM',
    ready: 'line',
  };
}

function apache(preload: boolean): Variant {
  return {
    name: `Apache mod_wsgi daemon, ${preload ? 'preloaded' : 'not preloaded'}`,
    requires: ['/usr/sbin/apache2', '/usr/lib/apache2/modules/mod_wsgi.so'],
    install: 'apt-get install apache2 libapache2-mod-wsgi-py3',
    command: (app, port, log) => apacheCommand(app, log, site(app, port, preload)),
    stopSignal: 'SIGTERM',
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

interface Timed {
  ms: number;
  /** Why the request failed, if it did (anything but 200 with the expected body). */
  error?: string;
}

/** One GET on a new connection, timed from the call to the end of the response. */
function timedGet(url: string): Promise<Timed> {
  return new Promise((resolve) => {
    const start = performance.now();
    const done = (error?: string) => resolve({ ms: performance.now() - start, ...(error ? { error } : {}) });
    const req = request(url, { agent: false, timeout: REQUEST_TIMEOUT_MS }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => done(res.statusCode !== 200 ? `status ${res.statusCode}` : body !== BODY ? 'unexpected body' : undefined));
      res.on('error', (err) => done(err.message));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_MS / 1000} s`)));
    req.on('error', (err) => done(err.message));
    req.end();
  });
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
    const first = await timedGet(running.url);
    const burst = await Promise.all(Array.from({ length: BURST }, () => timedGet(running.url)));
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

interface Row {
  variant: Variant;
  samples: Sample[];
  failures: string[]; // runs that produced no sample, and why
  skip?: boolean; // not installed
}

const seconds = (n: number) => n.toFixed(2);
const millis = (n: number) => (n < 10 ? n.toFixed(1) : Math.round(n).toLocaleString('en-US'));

function cell(row: Row, pick: (s: Sample) => number, format: (n: number) => string): string {
  const values = row.samples.map(pick);
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
    if (!row.samples.length) {
      lines.push(`| ${row.variant.name} | ${row.failures[0] ?? 'no runs'} | | | | |`);
      continue;
    }
    const errors = row.samples.flatMap((s) => s.errors);
    if (errors.length) notes.push(`${row.variant.name}: ${[...new Set(errors)].join('; ')}`);
    if (row.failures.length) notes.push(`${row.variant.name}: ${row.failures.length} run(s) failed: ${row.failures.join('; ')}`);
    lines.push(`| ${row.variant.name} | ${cell(row, (s) => s.readyS, seconds)} | ${cell(row, (s) => s.firstMs, millis)} | ` +
      `${cell(row, (s) => s.burstMs, millis)} | ${cell(row, (s) => s.answeredS, seconds)} | ${errors.length} of ${row.samples.length * (BURST + 1)} |`);
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

  const app = prepareApp(SCRIPT);
  process.on('exit', () => {
    killAll(); // before removing the files the servers use
    rmSync(app.dir, { recursive: true, force: true });
  });
  const rows: Row[] = VARIANTS.filter((v) => selected(v.name)).map((variant) => ({ variant, samples: [], failures: [] }));
  for (const row of rows) {
    const absent = missing(row.variant);
    if (!absent.length) continue;
    row.failures.push(`not installed (${row.variant.install}); missing ${absent.join(', ')}`);
    row.skip = true;
  }
  for (let run = 1; run <= RUNS; run++) {
    for (const row of rows.filter((r) => !r.skip)) {
      const name = row.variant.name;
      try {
        const s = await measure(row.variant, app);
        row.samples.push(s);
        process.stderr.write(`bench: ${name}: run ${run}/${RUNS}: ready ${seconds(s.readyS)} s, first ${millis(s.firstMs)} ms, ` +
          `burst ${millis(s.burstMs)} ms${s.errors.length ? `, ${s.errors.length} failed` : ''}\n`);
      } catch (err) {
        const message = (err as Error).message;
        process.stderr.write(`bench: ${name}: run ${run}/${RUNS}: ${message}\n`);
        row.failures.push(`failed: ${message.split('\n')[0]}`);
      }
    }
  }
  process.stdout.write(`${table(rows)}\n`);
}

main().catch((err: Error) => {
  process.stderr.write(`bench: ${err.message}\n`);
  process.exitCode = 1;
});
