// The markdown `npm run bench` prints: a throughput table per scenario and one memory table.

import { median, type Measured } from './common';
import type { MemoryPeaks } from './memory';
import type { Scenario } from './scenarios';
import type { ServerDef } from './servers';
import type { WrkResult } from './wrk';

export interface Item {
  scenario: Scenario;
  def: ServerDef;
}

export interface Outcome {
  wrk: WrkResult;
  memory?: MemoryPeaks;
}

export type Row = Measured<Item, Outcome>;

const int = (n: number) => Math.round(n).toLocaleString('en-US');
const ms = (n: number) => (n < 10 ? n.toFixed(2) : n.toFixed(1));
const mib = (kib: number) => (Number.isNaN(kib) ? '—' : (kib / 1024).toFixed(1));
const rps = (row: Row | undefined) => (row?.results.length ? median(row.results.map((r) => r.wrk.requestsPerSec)) : undefined);

/** Errors summed over the runs: non-2xx/3xx answers and wrk's socket errors, those that are not 0. */
function errors(results: Outcome[]): string {
  const counts: Record<string, number> = { 'non-2xx/3xx': 0, connect: 0, read: 0, write: 0, timeout: 0 };
  for (const { wrk } of results) {
    counts['non-2xx/3xx'] += wrk.non2xx;
    for (const [kind, n] of Object.entries(wrk.socketErrors)) counts[kind]! += n;
  }
  const nonzero = Object.entries(counts).filter(([, n]) => n > 0);
  return nonzero.length ? nonzero.map(([kind, n]) => `${kind} ${int(n)}`).join(', ') : '0';
}

/** The scenario's rows (`rows` in server order): requests/s, latency, errors and a ratio column per baseline. */
export function throughputTable(scenario: Scenario, rows: Row[], runs: number): string {
  const bases = scenario.baselines.map((name) => rps(rows.find((r) => r.item.def.name === name)));
  const many = runs > 1;
  const lines = [
    `| server | requests/s${many ? ` (median of ${runs}, range)` : ''} | p50 ms | p99 ms | errors${many ? ' (all runs)' : ''} | ` +
      `${scenario.baselines.map((name) => `vs ${name}`).join(' | ')} |`,
    `|---|--:|--:|--:|--:|${scenario.baselines.map(() => '--:|').join('')}`,
  ];
  const notes = new Set<string>();
  for (const row of rows) {
    const value = rps(row);
    const { def } = row.item;
    if (value === undefined) {
      lines.push(`| ${def.name} | ${row.failures[0] ?? 'no runs'} |${' |'.repeat(3 + bases.length)}`);
      continue;
    }
    const all = row.results.map((r) => r.wrk.requestsPerSec);
    const range = many ? ` (${int(Math.min(...all))}–${int(Math.max(...all))})` : '';
    const ratios = bases.map((base) => (base ? `${(value / base).toFixed(2)}x` : '—'));
    if (def.note) notes.add(`${def.name}: ${def.note}`);
    if (row.failures.length) notes.add(`${def.name}: ${row.failures.length} run(s) ${row.failures[0]}`);
    lines.push(`| ${def.name} | ${int(value)}${range} | ${ms(median(row.results.map((r) => r.wrk.p50Ms)))} | ` +
      `${ms(median(row.results.map((r) => r.wrk.p99Ms)))} | ${errors(row.results)} | ${ratios.join(' | ')} |`);
  }
  return [...lines, ...(notes.size ? ['', ...[...notes].map((note) => `- ${note}`)] : [])].join('\n');
}

/**
 * Peak resident memory, medians over the runs, for the rows that sampled it; `bareKiB`: by app
 * module, what a bare /usr/bin/python3 that has imported the app holds.
 */
export function memoryTable(rows: Row[], bareKiB: Map<string, number>): string {
  const lines = [
    '| scenario | server | leader once started, MiB | leader peak, MiB | largest other process peak, MiB | ' +
      'largest other − bare python3 + app, MiB | all processes once started, MiB | all processes peak, MiB |',
    '|---|---|--:|--:|--:|--:|--:|--:|',
  ];
  const modules = new Set<string>();
  for (const row of rows) {
    const peaks = row.results.flatMap((r) => (r.memory ? [r.memory] : []));
    if (!peaks.length) continue;
    const { scenario, def } = row.item;
    const m = (pick: (p: MemoryPeaks) => number) => median(peaks.map(pick));
    const bare = bareKiB.get(scenario.app.module) ?? NaN;
    modules.add(scenario.app.module);
    lines.push(`| ${scenario.name} | ${def.name} | ${mib(m((p) => p.atStart.leader))} | ${mib(m((p) => p.leader))} | ` +
      `${mib(m((p) => p.largestOther))} | ${mib(m((p) => p.largestOther) - bare)} | ${mib(m((p) => p.atStart.total))} | ${mib(m((p) => p.total))} |`);
  }
  const bare = [...modules].map((module) => `${module} ${mib(bareKiB.get(module) ?? NaN)} MiB`).join(', ');
  return [...lines, '', `Bare \`/usr/bin/python3 -c 'import APP'\`: ${bare}.`].join('\n');
}
