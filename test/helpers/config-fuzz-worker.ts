// The worker thread of test/config-fuzz.test.ts: reads one config per message, as
// `tswsgi configtest` reads it (and routes a request when it is valid), and answers with
// what is wrong with the outcome. In a thread of its own, so that the test can stop a
// read that does not end. Loaded as a test file by `node --test`, it does nothing.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { isMainThread, parentPort } from 'node:worker_threads';
import { ConfigError } from '../../src/config/apache-parser';
import { loadConfig } from '../../src/config/load';
import { Router } from '../../src/http/router';

export interface FuzzJob {
  file: string;
  env: Record<string, string>;
}

export interface FuzzVerdict {
  /** What is wrong: a throw, an error without a real file:line. Empty when all is well. */
  problems: string[];
  ms: number;
}

const lineCounts = new Map<string, number>();

function linesOf(file: string): number {
  let count = lineCounts.get(file);
  if (count === undefined) {
    count = fs.existsSync(file) && fs.statSync(file).isFile() ? fs.readFileSync(file, 'latin1').split('\n').length : 0;
    lineCounts.set(file, count);
  }
  return count;
}

function check(job: FuzzJob): FuzzVerdict {
  const started = performance.now();
  const problems: string[] = [];
  lineCounts.clear();
  try {
    const { config, errors } = loadConfig(job.file, { defines: [], python: 'python3', pythonSource: 'config-fuzz', env: job.env });
    for (const error of errors as unknown[]) {
      if (!(error instanceof ConfigError)) {
        problems.push(`an error that is not a ConfigError (no file:line): ${String(error)}`);
      } else if (!path.isAbsolute(error.file) || !Number.isInteger(error.line) || error.line < 0 || error.line > Math.max(1, linesOf(error.file))) {
        // Line 0 is the file as a whole (the missing Listen).
        problems.push(`an error at a place that does not exist, ${error.file}:${error.line}: ${error.detail}`);
      } else if (!error.detail.trim()) {
        problems.push(`an error without a message at ${error.file}:${error.line}`);
      }
    }
    if (errors.length === 0) {
      const router = new Router(config);
      for (const vhost of [config.main, ...config.vhosts]) router.route(vhost, '/');
    }
  } catch (err) {
    problems.push(`threw: ${(err as Error).stack ?? String(err)}`);
  }
  return { problems, ms: performance.now() - started };
}

if (!isMainThread && parentPort) {
  const port = parentPort;
  port.on('message', (job: FuzzJob) => port.postMessage(check(job)));
}
