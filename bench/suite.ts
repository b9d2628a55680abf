// `npm run bench`: every scenario of bench/scenarios.ts (hello at 16, 64 and 256 connections, a
// Flask route, a Django view, a 1 MiB upload, a 1 MiB download) against every server of
// bench/servers.ts that is installed, each with 2 processes x 8 threads, loaded by wrk -t2 on
// loopback; one markdown table per scenario (medians of the runs, ratios), then peak memory.
//
// One app at a time: its servers are started together on free ports, then run 1 of every
// (scenario, server), run 2 of every one, ... (each run after a warm-up with the same load), so
// that a slow spell of the machine does not fall on one server alone; then they are stopped.
//
// Environment: BENCH_DURATION (seconds of a measured run, default 8), BENCH_RUNS (default 3),
// BENCH_SERVERS and BENCH_SCENARIOS (comma-separated parts of names, to run a subset), BENCH_OUT
// (a file to write the markdown to as well).

import { readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { chosenBy, environmentLines, envInt, freePort, measureAll, prepareApp, selected, version } from './common';
import { bareAppKiB, resident, sampleMemory, type Resident } from './memory';
import { memoryTable, throughputTable, type Item, type Outcome, type Row } from './report';
import { SCENARIOS, type BenchApp, type Scenario } from './scenarios';
import { PROCESSES, PYTHON, ROOT, SERVERS, THREADS, missing, startServer, stopServer, type Running, type ServerDef } from './servers';
import { parseWrk, runWrk, wrkArgs, type WrkOptions } from './wrk';

const DURATION = envInt('BENCH_DURATION', 8);
const WARMUP = Math.min(2, DURATION);
const RUNS = envInt('BENCH_RUNS', 3);
/** Roughly what starting a server and (concurrently with the others) stopping it costs, for the estimate. */
const START_STOP_S = 2;

const wrkOptions = (scenario: Scenario, durationSec: number): WrkOptions => ({
  threads: 2, connections: scenario.connections, durationSec, ...(scenario.script ? { script: join(ROOT, scenario.script) } : {}),
});

const scenarios = SCENARIOS.filter((s) => chosenBy('BENCH_SCENARIOS')(s.name));
const servers = SERVERS.filter((def) => selected(def.name));
const serves = (def: ServerDef, app: BenchApp) => !def.apps || def.apps.includes(app.module);
const apps = [...new Set(scenarios.map((s) => s.app))];

/** A server up, and its resident memory once it had answered its first request. */
interface Started {
  running: Running;
  atStart: Resident;
}

/** Warm-up, then the measured run, sampling memory during it when the scenario asks. */
async function measure({ scenario }: Item, { running, atStart }: Started): Promise<Outcome> {
  await runWrk(wrkArgs(wrkOptions(scenario, WARMUP), running.url));
  const sampler = scenario.memory ? sampleMemory(running.child.pid!, atStart) : undefined;
  const output = await runWrk(wrkArgs(wrkOptions(scenario, DURATION), running.url)).catch((err: Error) => {
    sampler?.stop();
    throw err;
  });
  const memory = sampler?.stop();
  return { wrk: parseWrk(output), ...(memory ? { memory } : {}) };
}

/**
 * The scenarios of one app: its servers started together, one after another, then every
 * (scenario, server) measured RUNS times, interleaved; then the servers stopped. `bareKiB` gets
 * the app's bare-python figure; if the app does not import, its rows say what to install.
 */
async function runApp(benchApp: BenchApp, bareKiB: Map<string, number>): Promise<Row[]> {
  const items = scenarios.filter((s) => s.app === benchApp)
    .flatMap((scenario) => servers.filter((def) => serves(def, benchApp)).map((def): Item => ({ scenario, def })));
  const app = prepareApp(readFileSync(join(ROOT, benchApp.file), 'utf8'), benchApp.module);
  try {
    bareKiB.set(benchApp.module, bareAppKiB(app));
  } catch (err) {
    const { message } = err as Error;
    process.stderr.write(`bench: ${message}\n`);
    const why = benchApp.install ? `not installed (${benchApp.install}); ${message}` : `failed: ${message}`;
    return items.map((item) => ({ item, results: [], failures: [why] }));
  }
  const started = new Map<ServerDef, Started>();
  const failed = new Map<ServerDef, string>();
  for (const def of new Set(items.map((i) => i.def))) {
    if (missing(def).length) continue; // measureAll's row says how to install it
    process.stderr.write(`bench: ${benchApp.module}: starting ${def.name}\n`);
    try {
      const running = await startServer(def, app, await freePort());
      started.set(def, { running, atStart: resident(running.child.pid!) });
    } catch (err) {
      process.stderr.write(`bench: ${(err as Error).message}\n`);
      failed.set(def, (err as Error).message.split('\n')[0]!);
    }
  }
  try {
    return await measureAll(items, RUNS, {
      name: ({ scenario, def }) => `${scenario.name}, ${def.name}`,
      server: ({ def }) => def,
      measure: (item) => {
        const server = started.get(item.def);
        return server ? measure(item, server) : Promise.reject(new Error(`did not start: ${failed.get(item.def)}`));
      },
      describe: ({ wrk }) => `${wrk.requestsPerSec.toFixed(0)} req/s, p99 ${wrk.p99Ms} ms`,
    });
  } finally {
    await Promise.all([...started].map(([def, { running }]) => stopServer(def, running)));
  }
}

/** Measured runs, server starts and the minutes they should take. */
function estimate(): string {
  const installed = servers.filter((def) => !missing(def).length);
  const runs = scenarios.reduce((n, s) => n + installed.filter((def) => serves(def, s.app)).length, 0) * RUNS;
  const starts = apps.reduce((n, app) => n + installed.filter((def) => serves(def, app)).length, 0);
  const seconds = runs * (WARMUP + DURATION + 0.5) + starts * START_STOP_S;
  return `${runs} measured runs of ${WARMUP} + ${DURATION} s and ${starts} server starts: about ${Math.ceil(seconds / 60)} min`;
}

function header(): string[] {
  const python = (module: string) => version(PYTHON, '-c', `import importlib.metadata as m; print(m.version('${module}'))`);
  return [
    ...environmentLines(),
    `gunicorn: ${version('/usr/bin/gunicorn', '--version')}; uWSGI: ${version('/usr/bin/uwsgi', '--version')}; ` +
      `Flask: ${python('flask')}; Django: ${python('django')}`,
    `client: ${version('wrk', '-v').replace(/ Copyright.*/, '')}, same machine; load average before: ${loadavg().map((n) => n.toFixed(2)).join(' ')}`,
    `each server: ${PROCESSES} processes x ${THREADS} threads; per (scenario, server) ${RUNS} run(s), interleaved, ` +
      `each a ${WARMUP} s warm-up then ${DURATION} s measured: wrk -t2 -cN -d${DURATION}s --latency [-s upload.lua]`,
  ].map((line) => `- ${line}`);
}

async function main(): Promise<void> {
  if (version('wrk', '-v') === 'not installed') throw new Error('wrk is not installed (apt-get install wrk)');
  process.stderr.write(`bench: ${estimate()}\n`);
  const head = header().join('\n');
  process.stdout.write(`${head}\n\n`);
  const bareKiB = new Map<string, number>();
  const rows: Row[] = [];
  for (const app of apps) rows.push(...await runApp(app, bareKiB));
  const sections = scenarios.map((scenario) => {
    const wrk = wrkArgs(wrkOptions(scenario, DURATION), 'http://127.0.0.1:PORT/').map((arg) => arg.replace(`${ROOT}/`, ''));
    return `### ${scenario.title}\n\n${scenario.app.about}; \`wrk ${wrk.join(' ')}\`\n\n` +
      throughputTable(scenario, rows.filter((r) => r.item.scenario === scenario), RUNS);
  });
  if (rows.some((r) => r.results.some((o) => o.memory))) sections.push(`### Peak resident memory\n\n${memoryTable(rows, bareKiB)}`);
  const body = `${sections.join('\n\n')}\n`;
  process.stdout.write(body);
  if (process.env.BENCH_OUT) writeFileSync(process.env.BENCH_OUT, `${head}\n\n${body}`);
}

main().catch((err: Error) => {
  process.stderr.write(`bench: ${err.message}\n`);
  process.exitCode = 1;
});
