// Running wrk and reading its report.

import { runCommand } from './procs';

export interface WrkResult {
  requestsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number; // wrk counts "Non-2xx or 3xx responses"
  socketErrors: { connect: number; read: number; write: number; timeout: number };
}

export interface WrkOptions {
  threads: number;
  connections: number;
  durationSec: number;
  /** A Lua script for -s (what to send). */
  script?: string;
}

export function wrkArgs(options: WrkOptions, url: string): string[] {
  return [`-t${options.threads}`, `-c${options.connections}`, `-d${options.durationSec}s`,
    ...(options.script ? ['-s', options.script] : []), '--latency', url];
}

const UNIT_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A wrk duration such as `812.00us`, `1.98ms` or `1.02s`, in milliseconds. */
export function toMs(text: string): number {
  const match = /^([\d.]+)(us|ms|s|m|h)$/.exec(text);
  if (!match) throw new Error(`unexpected wrk latency "${text}"`);
  return Number(match[1]) * UNIT_MS[match[2]!]!;
}

export function parseWrk(output: string): WrkResult {
  const need = (re: RegExp, what: string): RegExpExecArray => {
    const match = re.exec(output);
    if (!match) throw new Error(`wrk output has no ${what}:\n${output}`);
    return match;
  };
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output);
  return {
    requestsPerSec: Number(need(/^Requests\/sec:\s+([\d.]+)/m, 'Requests/sec')[1]),
    p50Ms: toMs(need(/^\s+50%\s+(\S+)/m, '50% latency (was --latency given?)')[1]!),
    p99Ms: toMs(need(/^\s+99%\s+(\S+)/m, '99% latency')[1]!),
    non2xx: Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(output)?.[1] ?? 0),
    socketErrors: { connect: Number(socket?.[1] ?? 0), read: Number(socket?.[2] ?? 0),
      write: Number(socket?.[3] ?? 0), timeout: Number(socket?.[4] ?? 0) },
  };
}

/** Runs wrk to completion and returns its stdout. */
export async function runWrk(args: string[]): Promise<string> {
  const { code, stdout, stderr } = await runCommand('wrk', args);
  if (code !== 0) throw new Error(`wrk exited with ${code}: ${stderr}${stdout}`);
  return stdout;
}
