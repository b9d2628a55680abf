// `npm run bench:restart`: restarts under load. An app whose import takes 1.5 s, preloaded into a
// daemon group of 2 processes x 8 threads, serves 50 requests/s (each on a new connection) while
// something restarts its processes: a graceful restart, a group restart, a touched WSGI script,
// kill -9 of one process, recycling after maximum-requests. The same site text runs under tswsgi
// serve and under Apache + mod_wsgi (daemon mode); uWSGI runs the app with lazy-apps and is
// chain-reloaded through its master FIFO.
//
// For each (server, trigger): start the server and wait until both processes have loaded the app;
// start the load; after 1 s of warm-up and a 3 s steady window, set the trigger off; wait until the
// restart is over (as many new processes ready as it replaces, and for `tswsgi graceful` and
// `restart-group` their answer, sent once every process is replaced); go on 2 s more; stop the load
// and the server. Every request's status, body, latency and error is recorded; the table compares
// the requests sent from the trigger to the end of the window with the steady window's.
//
// When a process is ready, read from the server's error log (polled every 20 ms): tswsgi logs
// "process N of process group 'app' is ready"; for Apache and uWSGI, which do not log it, the app
// prints "bench-app: imported in pid N" once its import is done.
//
// Environment: BENCH_RUNS (default 1; with more, the table shows medians), BENCH_SERVERS
// (comma-separated parts of "server, trigger" names to run a subset, e.g. "tswsgi" or "kill"),
// BENCH_TRACE_MS (default 100: requests slower than this, or failed, are listed on stderr among
// the server's log lines).

import { utimesSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { HELLO_BODY, timedGet } from './client';
import {
  environmentLines, envInt, freePort, measureAll, median, percentile, prepareApp, selected, sleep, slowImportApp, version,
  type Measured,
} from './common';
import { LogWatch, sizeOf, type LogLine } from './log-watch';
import { runCommand } from './procs';
import {
  APACHE, PROCESSES, ROOT, THREADS, TSWSGI, UWSGI, apacheCommand, logFile, logTail, siteConfig, startServer, stopServer,
  tswsgiServeCommand, uwsgiCommand, type App, type Running, type ServerDef,
} from './servers';

const RUNS = envInt('BENCH_RUNS', 1);
const IMPORT_SECONDS = 1.5;
const RATE = 50; // requests per second, each on a new connection
const WARMUP_MS = 1_000;
const STEADY_MS = 3_000;
const AFTER_MS = 2_000;
const RESTART_TIMEOUT_MS = 60_000;
const REQUEST_TIMEOUT_MS = 30_000;
const MAXIMUM_REQUESTS = 200;
const SLOW_MS = 100;
/** Requests slower than this (or failed) are listed on stderr, among the server's log lines. */
const TRACE_MS = envInt('BENCH_TRACE_MS', SLOW_MS);
const GROUP = 'app';

/** Printed by the app once its import is done (the only ready signal Apache and uWSGI give). */
const IMPORTED = /bench-app: imported in pid (\d+)/;
const TSWSGI_READY = /\[tswsgi:info\] .*process (\d+) of process group '[^']*' is ready after/;

/**
 * The site, the same text for tswsgi and Apache: one daemon group, the script preloaded by
 * WSGIImportScript and by the process-group= and application-group= options of WSGIScriptAlias.
 */
function site(app: App, port: number, options = ''): string {
  return siteConfig(app, port, [
    'LogLevel info',
    `WSGIDaemonProcess ${GROUP} processes=${PROCESSES} threads=${THREADS}${options}`,
    `WSGIImportScript ${app.wsgi} process-group=${GROUP} application-group=%{GLOBAL}`,
    `WSGIScriptAlias / ${app.wsgi} process-group=${GROUP} application-group=%{GLOBAL}`,
  ]);
}

const uwsgiFifo = (app: App) => join(app.dir, 'uwsgi.fifo');

interface Target extends ServerDef {
  /** A log line saying a process is ready, its pid in group 1. */
  ready: RegExp;
}

interface Context {
  target: Target;
  running: Running;
  app: App;
  log: LogWatch;
}

interface Fired {
  /** performance.now() when the trigger went off. */
  at: number;
  /** For commands that answer once the restart is done: their answer. */
  answer?: Promise<string>;
}

interface Trigger {
  name: string;
  /** How many processes it replaces: the restart is over once that many new ones are ready. */
  replaces: number;
  fire(ctx: Context): Promise<Fired>;
}

/** Pids of the processes that logged themselves ready, in order. */
const readyPids = (lines: LogLine[], ready: RegExp) => lines.flatMap((l) => {
  const pid = ready.exec(l.text)?.[1];
  return pid ? [Number(pid)] : [];
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const now = (): Fired => ({ at: performance.now() });

function tswsgiCommand(name: string, args: string[]): Trigger {
  return {
    name,
    replaces: PROCESSES,
    fire: async ({ running }) => {
      const at = performance.now();
      const answer = runCommand(process.execPath, [join(ROOT, 'bin/tswsgi.js'), ...args, '--pid', String(running.child.pid)])
        .then(({ code, stdout, stderr }) => `${code === 0 ? '' : `exit ${code}: `}${(stdout + stderr).trim()}`);
      return { at, answer };
    },
  };
}

function signal(name: string, sig: NodeJS.Signals): Trigger {
  return {
    name,
    replaces: PROCESSES,
    fire: async ({ running }) => {
      const fired = now();
      running.child.kill(sig);
      return fired;
    },
  };
}

const touch: Trigger = {
  name: 'touch of the WSGI script',
  replaces: PROCESSES,
  fire: async ({ app }) => {
    const fired = now();
    const time = new Date();
    utimesSync(app.wsgi, time, time);
    return fired;
  },
};

function kill9(name: string): Trigger {
  return {
    name,
    replaces: 1,
    fire: async ({ target, log }) => {
      const pid = readyPids(log.lines, target.ready).reverse().find(alive);
      if (pid === undefined) throw new Error('no live process to kill');
      const fired = now();
      process.kill(pid, 'SIGKILL');
      return fired;
    },
  };
}

const maximumRequests: Trigger = {
  name: `maximum-requests=${MAXIMUM_REQUESTS} reached`,
  replaces: PROCESSES,
  fire: async ({ log }) => {
    const line = await log.waitFor((seen) => /maximum-requests \(\d+\) reached/.test(seen[seen.length - 1]!.text), RESTART_TIMEOUT_MS);
    if (!line) throw new Error(`no process reached maximum-requests within ${RESTART_TIMEOUT_MS / 1000} s`);
    return { at: line.at };
  },
};

const chainReload: Trigger = {
  name: "chain reload ('c' to the master FIFO)",
  replaces: PROCESSES,
  fire: async ({ app }) => {
    const fired = now();
    writeFileSync(uwsgiFifo(app), 'c');
    return fired;
  },
};

interface Scenario {
  /** The server column. */
  server: string;
  target: Target;
  trigger: Trigger;
}

function tswsgi(name: string, options = ''): Target {
  return { ...TSWSGI, name, command: (app, port) => tswsgiServeCommand(app, name, site(app, port, options)), ready: TSWSGI_READY };
}

const TSWSGI_SERVE = tswsgi('tswsgi');
const TSWSGI_RECYCLING = tswsgi(`tswsgi, maximum-requests=${MAXIMUM_REQUESTS}`, ` maximum-requests=${MAXIMUM_REQUESTS}`);
const APACHE_DAEMON: Target = {
  ...APACHE,
  name: 'Apache mod_wsgi daemon',
  command: (app, port, log) => apacheCommand(app, log, site(app, port)),
  ready: IMPORTED,
};
const UWSGI_LAZY: Target = {
  ...UWSGI,
  name: 'uWSGI lazy-apps',
  command: (app, port) => uwsgiCommand(app, port, ['--lazy-apps', '--master-fifo', uwsgiFifo(app)]),
  ready: IMPORTED,
};

const SCENARIOS: Scenario[] = [
  { server: 'tswsgi', target: TSWSGI_SERVE, trigger: tswsgiCommand('graceful (`tswsgi graceful`)', ['graceful']) },
  { server: 'tswsgi', target: TSWSGI_SERVE, trigger: signal('restart (SIGHUP)', 'SIGHUP') },
  { server: 'tswsgi', target: TSWSGI_SERVE, trigger: tswsgiCommand(`\`tswsgi restart-group ${GROUP}\``, ['restart-group', GROUP]) },
  { server: 'tswsgi', target: TSWSGI_SERVE, trigger: touch },
  { server: 'tswsgi', target: TSWSGI_SERVE, trigger: kill9('kill -9 of one process') },
  { server: 'tswsgi', target: TSWSGI_RECYCLING, trigger: maximumRequests },
  { server: 'Apache mod_wsgi daemon', target: APACHE_DAEMON, trigger: signal('graceful restart (SIGUSR1 to the parent)', 'SIGUSR1') },
  { server: 'Apache mod_wsgi daemon', target: APACHE_DAEMON, trigger: touch },
  { server: 'Apache mod_wsgi daemon', target: APACHE_DAEMON, trigger: kill9('kill -9 of one daemon process') },
  { server: 'uWSGI lazy-apps', target: UWSGI_LAZY, trigger: chainReload },
  { server: 'uWSGI lazy-apps', target: UWSGI_LAZY, trigger: kill9('kill -9 of one worker') },
];

const scenarioName = (s: Scenario) => `${s.server}, ${s.trigger.name}`;

interface Sample {
  /** performance.now() when the request was sent. */
  sentAt: number;
  ms: number;
  status: number;
  error?: string;
}

/** Sends a GET every 1000/RATE ms, each on a new connection, until stopped; the schedule does not wait for answers. */
function startLoad(url: string) {
  const interval = 1000 / RATE;
  const samples: Sample[] = [];
  const pending = new Set<Promise<void>>();
  const start = performance.now();
  let sent = 0;
  let lagMs = 0; // how late the client sent its most delayed request
  let timer: NodeJS.Timeout;
  const tick = () => {
    for (const t = performance.now(); start + sent * interval <= t; sent++) {
      lagMs = Math.max(lagMs, t - (start + sent * interval));
      const sentAt = performance.now();
      const request = timedGet(url, REQUEST_TIMEOUT_MS, HELLO_BODY).then((timed) => { samples.push({ sentAt, ...timed }); });
      pending.add(request);
      void request.finally(() => pending.delete(request));
    }
    timer = setTimeout(tick, Math.max(0, start + sent * interval - performance.now()));
  };
  tick();
  return {
    /** Stops sending, waits for the answers still due, and returns every request, in the order sent. */
    async stop(): Promise<{ samples: Sample[]; lagMs: number }> {
      clearTimeout(timer);
      await Promise.all(pending);
      return { samples: samples.sort((a, b) => a.sentAt - b.sentAt), lagMs };
    },
  };
}

interface Outcome {
  requests: number;
  failed: number;
  connectionErrors: number;
  maxMs: number;
  p99Ms: number;
  steadyP99Ms: number;
  slow: number;
  restartS: number;
  /** Seconds from the trigger to the sending of the slowest request. */
  slowestSentS: number;
  /** Every failed request of the run (steady window included), by error. */
  errors: Record<string, number>;
  steadyErrors: number;
  /** What `tswsgi graceful` or `restart-group` answered. */
  answer?: string;
  /** Set when the restart was not seen to finish. */
  incomplete?: string;
  /** How late the client sent its most delayed request (a busy machine). */
  lagMs: number;
}

async function measure(scenario: Scenario, app: App): Promise<Outcome> {
  const { target, trigger } = scenario;
  const port = await freePort();
  const offset = sizeOf(logFile(target, app)); // earlier runs' lines stay in the file
  const running = await startServer(target, app, port, RESTART_TIMEOUT_MS);
  const log = new LogWatch(running.log, offset);
  try {
    const ready = await log.waitFor((seen) => new Set(readyPids(seen, target.ready)).size >= PROCESSES, RESTART_TIMEOUT_MS);
    if (!ready) throw new Error(`its ${PROCESSES} processes did not all load the app:\n${logTail(running)}`);
    const load = startLoad(running.url);
    await sleep(WARMUP_MS + STEADY_MS);
    const fired = await trigger.fire({ target, running, app, log });
    const old = new Set(readyPids(log.lines.filter((l) => l.at < fired.at), target.ready));
    const newReady = (lines: LogLine[]) => new Set(readyPids(lines.filter((l) => l.at >= fired.at), target.ready).filter((p) => !old.has(p)));
    const lastReady = await log.waitFor((seen) => newReady(seen).size >= trigger.replaces, RESTART_TIMEOUT_MS - (performance.now() - fired.at));
    let endAt = lastReady?.at ?? performance.now();
    const incomplete = lastReady ? undefined
      : `only ${newReady(log.lines).size} of ${trigger.replaces} new processes ready ${RESTART_TIMEOUT_MS / 1000} s after the trigger`;
    const answer = fired.answer && await fired.answer;
    endAt = Math.max(endAt, fired.answer ? performance.now() : 0);
    await sleep(Math.max(0, endAt + AFTER_MS - performance.now()));
    const { samples, lagMs } = await load.stop();

    const steady = samples.filter((s) => s.sentAt >= fired.at - STEADY_MS && s.sentAt < fired.at);
    const window = samples.filter((s) => s.sentAt >= fired.at);
    const errors: Record<string, number> = {};
    for (const s of samples) if (s.error) errors[s.error] = (errors[s.error] ?? 0) + 1;
    const slowest = window.reduce((a, b) => (b.ms > a.ms ? b : a), window[0]!);
    const latencies = (list: Sample[]) => list.filter((s) => !s.error).map((s) => s.ms);
    const outcome: Outcome = {
      requests: window.length,
      failed: window.filter((s) => s.error && s.status !== 0).length,
      connectionErrors: window.filter((s) => s.status === 0).length,
      maxMs: slowest.ms,
      p99Ms: percentile(latencies(window), 99),
      steadyP99Ms: percentile(latencies(steady), 99),
      slow: window.filter((s) => s.ms > SLOW_MS).length,
      restartS: (endAt - fired.at) / 1000,
      slowestSentS: (slowest.sentAt - fired.at) / 1000,
      errors,
      steadyErrors: steady.filter((s) => s.error).length,
      lagMs,
      ...(answer ? { answer } : {}),
      ...(incomplete ? { incomplete } : {}),
    };
    const traced = window.filter((s) => s.error || s.ms > TRACE_MS);
    if (traced.length) {
      // The log and the slow or failed requests, on one time line from the trigger.
      const events = [
        ...log.lines.filter((l) => l.at >= fired.at - 500 && l.at <= endAt + AFTER_MS && !/\[wsgi:info\]/.test(l.text))
          .map((l) => ({ at: l.at, text: l.text })),
        ...traced.map((s) => ({ at: s.sentAt, text: `request sent: ${s.error ?? 'answered'} after ${ms(s.ms)} ms` })),
      ].sort((a, b) => a.at - b.at);
      process.stderr.write(`bench: ${scenarioName(scenario)}: log and requests over ${TRACE_MS} ms or failed, s from the trigger:\n` +
        events.map((e) => `  ${((e.at - fired.at) / 1000).toFixed(3)} ${e.text}\n`).join(''));
    }
    return outcome;
  } finally {
    log.close();
    await stopServer(target, running);
  }
}

/** What a run adds under the table (and to its progress line). */
function notesOf(outcomes: Outcome[]): string[] {
  const notes: string[] = [];
  const errors: Record<string, number> = {};
  for (const o of outcomes) for (const [error, n] of Object.entries(o.errors)) errors[error] = (errors[error] ?? 0) + n;
  const all = outcomes.length > 1 ? ' (all runs)' : '';
  for (const [error, n] of Object.entries(errors)) notes.push(`${n} x "${error}"${all}`);
  const steadyErrors = outcomes.reduce((sum, o) => sum + o.steadyErrors, 0);
  if (steadyErrors) notes.push(`${steadyErrors} of them in the steady window`);
  for (const answer of new Set(outcomes.flatMap((o) => (o.answer ? [o.answer] : [])))) notes.push(`answered "${answer}"`);
  for (const o of outcomes) if (o.incomplete) notes.push(o.incomplete);
  if (outcomes.some((o) => o.slow > 0)) notes.push(`the slowest request was sent ${median(outcomes.map((o) => o.slowestSentS)).toFixed(2)} s after the trigger`);
  const lag = Math.max(...outcomes.map((o) => o.lagMs));
  if (lag > 20) notes.push(`the client sent a request up to ${lag.toFixed(0)} ms late (busy machine)`);
  return notes;
}

type Row = Measured<Scenario, Outcome>;

const int = (n: number) => Math.round(n).toLocaleString('en-US');
const ms = (n: number) => (Number.isNaN(n) ? '—' : n < 10 ? n.toFixed(1) : int(n));
const ratio = (n: number) => (Number.isFinite(n) ? `${n < 10 ? n.toFixed(1) : int(n)}x` : '—');

function table(rows: Row[]): string {
  const of = RUNS > 1 ? ` (medians of ${RUNS} runs)` : '';
  const lines = [
    `| server | trigger${of} | requests | failed | connection errors | max latency, ms | p99 during restart, ms | steady p99, ms | ratio | over ${SLOW_MS} ms | restart took, s |`,
    '|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|',
  ];
  const notes: string[] = [];
  for (const row of rows) {
    const { server, trigger } = row.item;
    if (!row.results.length) {
      lines.push(`| ${server} | ${trigger.name} | ${row.failures[0] ?? 'no runs'} | | | | | | | | |`);
      continue;
    }
    const m = (pick: (o: Outcome) => number) => median(row.results.map(pick));
    const rowNotes = [...notesOf(row.results), ...row.failures];
    if (rowNotes.length) notes.push(`- ${server}, ${trigger.name}: ${rowNotes.join('; ')}.`);
    lines.push(`| ${server} | ${trigger.name} | ${int(m((o) => o.requests))} | ${int(m((o) => o.failed))} | ` +
      `${int(m((o) => o.connectionErrors))} | ${ms(m((o) => o.maxMs))} | ${ms(m((o) => o.p99Ms))} | ${ms(m((o) => o.steadyP99Ms))} | ` +
      `${ratio(m((o) => o.p99Ms / o.steadyP99Ms))} | ${int(m((o) => o.slow))} | ${m((o) => o.restartS).toFixed(1)} |`);
  }
  return [...lines, ...(notes.length ? ['', ...notes] : [])].join('\n');
}

async function main(): Promise<void> {
  const header = [
    ...environmentLines(),
    `uWSGI: ${version('/usr/bin/uwsgi', '--version')}; load average before: ${loadavg().map((n) => n.toFixed(2)).join(' ')}`,
    `app: examples/hello.wsgi after time.sleep(${IMPORT_SECONDS}) at import, preloaded; daemon group processes=${PROCESSES} threads=${THREADS}`,
    `load: ${RATE} requests/s, each GET on a new connection (no keep-alive), from this process (node:http), same machine; ` +
      `${WARMUP_MS / 1000} s warm-up, ${STEADY_MS / 1000} s steady window, trigger, restart, ${AFTER_MS / 1000} s more; ${RUNS} run(s)`,
  ].join('\n');
  process.stdout.write(`${header}\n\n`);

  const app = prepareApp(slowImportApp(IMPORT_SECONDS,
    ['import os, sys', "print(f'bench-app: imported in pid {os.getpid()}', file=sys.stderr, flush=True)"]));
  const rows = await measureAll(SCENARIOS.filter((s) => selected(scenarioName(s))), RUNS, {
    name: scenarioName,
    server: (scenario) => scenario.target,
    measure: (scenario) => measure(scenario, app),
    describe: (o) => `${o.requests} requests, ${o.failed} failed, ${o.connectionErrors} connection errors, ` +
      `max ${ms(o.maxMs)} ms, p99 ${ms(o.p99Ms)} ms (steady ${ms(o.steadyP99Ms)} ms), restart ${o.restartS.toFixed(1)} s` +
      `${notesOf([o]).map((note) => `; ${note}`).join('')}`,
  });
  process.stdout.write(`${table(rows)}\n`);
}

main().catch((err: Error) => {
  process.stderr.write(`bench: ${err.message}\n`);
  process.exitCode = 1;
});
