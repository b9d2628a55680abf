// Runs one differential case: both servers up, the corpus sent to each (one request
// at a time, in order, so that module-global state is comparable), both stopped.
// `node dist/test/differential/run.js CONFIG...` prints the raw differences (before
// expected-differences.ts is applied), for working on a config.

import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  cleanValue, compare, HERE, logSizes, makeTree, observe, observeLogs, send, show, start,
  type Difference, type Instance, type LogFields, type Observation, type Probe,
} from './harness';

export interface Case {
  /** The template's file name under configs/. */
  config: string;
  requests: Probe[];
  /** Access log files (under {{RUN}}) whose lines each request adds are compared too, with how to split them. */
  logs?: Readonly<Record<string, LogFields>>;
}

export interface RequestResult {
  probe: Probe;
  apache: Observation;
  tswsgi: Observation;
  differences: Difference[];
}

export interface CaseResult {
  results: RequestResult[];
  apacheLog: string;
  /** With its port and run folder replaced by {{PORT}} and {{RUN}}, as in observations. */
  tswsgiLog: string;
}

export async function runCase(c: Case, root: string): Promise<CaseResult> {
  const template = fs.readFileSync(path.join(HERE, 'configs', c.config), 'utf8');
  const started = await Promise.allSettled([start('apache', template, root), start('tswsgi', template, root)]);
  const instances = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  try {
    const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw failed.reason;
    const [apache, tswsgi] = instances as [Instance, Instance];
    const pids = { apache: new Map<number, string>(), tswsgi: new Map<number, string>() };
    const results: RequestResult[] = [];
    const logs = c.logs ?? {};
    const files = Object.keys(logs);
    for (const probe of c.requests) {
      const before = [logSizes(apache, files), logSizes(tswsgi, files)] as const;
      const [a, t] = await Promise.all([send(apache.port, probe), send(tswsgi.port, probe)]);
      const seenA = observe(a, probe, apache, pids.apache);
      const seenT = observe(t, probe, tswsgi, pids.tswsgi);
      if (files.length > 0) {
        const [logA, logT] = await Promise.all([observeLogs(apache, logs, before[0]), observeLogs(tswsgi, logs, before[1])]);
        for (const [key, value] of logA) seenA.set(key, value);
        for (const [key, value] of logT) seenT.set(key, value);
      }
      results.push({ probe, apache: seenA, tswsgi: seenT, differences: compare(seenA, seenT) });
    }
    return { results, apacheLog: apache.errorLog(), tswsgiLog: cleanValue(tswsgi, tswsgi.errorLog()) };
  } finally {
    await Promise.all(instances.map((i) => i.stop()));
  }
}

if (require.main === module && process.argv.length > 2) {
  void (async () => {
    const { CASES } = await import('./cases');
    const root = makeTree();
    try {
      for (const name of process.argv.slice(2)) {
        const c = CASES.find((x) => x.config === name || x.config === `${name}.conf`);
        if (!c) throw new Error(`no case for ${name}`);
        const t0 = Date.now();
        const result = await runCase(c, root);
        console.log(`== ${c.config} (${Date.now() - t0} ms)`);
        for (const r of result.results) {
          console.log(`-- ${r.probe.name}: ${r.apache.get('status')} / ${r.tswsgi.get('status')}`);
          for (const d of r.differences) console.log(`   ${d.key}: apache ${show(d.apache)}  tswsgi ${show(d.tswsgi)}`);
        }
        if (process.env.SHOW_LOGS) console.log(`-- apache log\n${result.apacheLog}\n-- tswsgi log\n${result.tswsgiLog}`);
      }
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  })();
}
