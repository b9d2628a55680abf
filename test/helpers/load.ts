// Steady load for the restart tests: clients that each send one request after another
// on their own keep-alive connection and record every outcome and its latency.

import * as http from 'node:http';
import { waitFor } from './tswsgi';

export interface Outcome {
  /** 0 for a connection error. */
  status: number;
  ms: number;
  pid: number | null;
  preloaded: boolean;
  /** What the app says its version is (test/apps/lifecycle.wsgi). */
  version?: string;
  error?: string;
}

export interface Load {
  readonly outcomes: Outcome[];
  /** Stops the clients once their requests in flight are answered. */
  stop(): Promise<Outcome[]>;
}

export function steadyLoad(url: string, clients = 2): Load {
  const outcomes: Outcome[] = [];
  let running = true;
  const client = async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    while (running) outcomes.push(await once(url, agent));
    agent.destroy();
  };
  const all = Array.from({ length: clients }, client);
  return {
    outcomes,
    stop: async () => {
      running = false;
      await Promise.all(all);
      return outcomes;
    },
  };
}

function once(url: string, agent: http.Agent): Promise<Outcome> {
  const started = performance.now();
  return new Promise((resolve) => {
    const fail = (err: Error) => resolve({ status: 0, ms: performance.now() - started, pid: null, preloaded: false, error: err.message });
    const req = http.get(url, { agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('error', fail);
      res.on('end', () => {
        const ms = performance.now() - started;
        let facts: { pid?: number; preloaded?: boolean; version?: string } = {};
        try {
          facts = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        } catch {
          // An error page: the status tells.
        }
        resolve({ status: res.statusCode ?? 0, ms, pid: facts.pid ?? null, preloaded: facts.preloaded === true, version: facts.version });
      });
    });
    req.on('error', fail);
  });
}

/** Waits until `count` more outcomes have been recorded. */
export function more(load: Load, count: number): Promise<void> {
  const target = load.outcomes.length + count;
  return waitFor(() => load.outcomes.length >= target, () => `${count} more requests (${summary(load.outcomes)})`);
}

export function summary(outcomes: Outcome[]): string {
  const failed = outcomes.filter((o) => o.status !== 200);
  const slowest = Math.max(...outcomes.map((o) => o.ms));
  return `${outcomes.length} requests, ${failed.length} failed (${failed.map((o) => o.status || o.error).slice(0, 5).join(', ')}), slowest ${slowest.toFixed(0)} ms`;
}
