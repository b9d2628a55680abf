// When a serving process is due for replacement: the WSGIDaemonProcess options that
// recycle processes, checked by the supervisor once a second and after each request.

import type { ProcessGroupConfig } from '../config/model';

export interface RecycleLimits {
  /** Requests before replacement (0: never); jittered per process. */
  maximumRequests: number;
  /** Seconds of life (0: never). */
  restartInterval: number;
  /** Seconds idle (0: never). */
  inactivityTimeout: number;
  /** Bytes of resident memory (0: no limit). */
  memoryLimit: number;
  /** CPU seconds, user and system (0: no limit). */
  cpuTimeLimit: number;
}

/** What a check needs to know of a process. */
export interface RecycleFacts {
  requests: number;
  readyAt: number;
  lastActivity: number;
  busy: number;
  /** Read only when there is a memory limit: it costs a read of /proc. */
  residentBytes(): number | null;
  /** Read only when there is a CPU time limit, for the same reason. */
  cpuSeconds(): number | null;
}

/** A numeric WSGIDaemonProcess option, or `fallback` when it is not given. */
export function numericOption(config: ProcessGroupConfig, name: string, fallback = 0): number {
  const value = config.options[name];
  return typeof value === 'number' ? value : fallback;
}

export function recycleLimits(config: ProcessGroupConfig): RecycleLimits {
  return {
    maximumRequests: numericOption(config, 'maximum-requests'),
    restartInterval: numericOption(config, 'restart-interval'),
    inactivityTimeout: numericOption(config, 'inactivity-timeout'),
    memoryLimit: numericOption(config, 'memory-limit'),
    cpuTimeLimit: numericOption(config, 'cpu-time-limit'),
  };
}

/**
 * The request limit of one process: maximum-requests plus up to `jitter` more, drawn per
 * process so that processes started together do not all recycle together (gunicorn's
 * max_requests_jitter).
 */
export function jitteredLimit(maximumRequests: number, jitter: number): number {
  if (maximumRequests === 0) return 0;
  return maximumRequests + Math.floor(Math.random() * (jitter + 1));
}

/** Why the process should be replaced now, or null. `requestLimit` is its jittered maximum-requests. */
export function recycleReason(process: RecycleFacts, limits: RecycleLimits, requestLimit: number, now: number): string | null {
  if (requestLimit > 0 && process.requests >= requestLimit) return `maximum-requests (${requestLimit}) reached`;
  if (limits.restartInterval > 0 && now - process.readyAt >= limits.restartInterval * 1000) {
    return `restart-interval (${limits.restartInterval} s) reached`;
  }
  // A process that has served nothing has nothing to give back: replacing it would only churn.
  if (limits.inactivityTimeout > 0 && process.requests > 0 && process.busy === 0
    && now - process.lastActivity >= limits.inactivityTimeout * 1000) {
    return `inactivity-timeout (${limits.inactivityTimeout} s) reached`;
  }
  if (limits.memoryLimit > 0) {
    const rss = process.residentBytes();
    if (rss !== null && rss > limits.memoryLimit) return `memory-limit (${limits.memoryLimit} bytes) exceeded: ${rss} bytes resident`;
  }
  if (limits.cpuTimeLimit > 0) {
    const used = process.cpuSeconds();
    if (used !== null && used >= limits.cpuTimeLimit) return `cpu-time-limit (${limits.cpuTimeLimit} s) reached: ${used.toFixed(2)} s of CPU used`;
  }
  return null;
}
