// How many client connections the front end may hold before it runs out of file
// descriptors: the soft open-files limit, less what the worker processes need.

import * as fs from 'node:fs';
import type { ServerConfig } from '../config/model';

/** Descriptors kept for everything else: listeners, logs, static files, the control socket. */
const SPARE = 64;
/** Per worker process: stdin, stderr and the control pipe, plus headroom for a replacement's own. */
const PER_PROCESS = 4;

/** The soft RLIMIT_NOFILE of this process (node raises it to the hard limit at start), or null when unknown. */
export function openFilesLimit(): number | null {
  try {
    const line = /^Max open files\s+(\d+|unlimited)/m.exec(fs.readFileSync('/proc/self/limits', 'latin1'));
    return line && line[1] !== 'unlimited' ? Number(line[1]) : null;
  } catch {
    return null;
  }
}

/**
 * Connections the front end can take with every process group at full size, counted twice for
 * rolling replacements: each process holds a pipe set and one socket per thread.
 */
export function connectionLimit(config: ServerConfig): number {
  const limit = openFilesLimit();
  if (limit === null) return Infinity;
  const workers = config.processGroups.reduce((sum, group) => sum + 2 * group.processes * (group.threads + PER_PROCESS), 0);
  return Math.max(1, limit - SPARE - workers);
}
