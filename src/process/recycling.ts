// When a serving process is due for replacement: the WSGIDaemonProcess options that
// recycle processes, checked by the supervisor once a second and after each request.

import type { DaemonOptions } from '../config/daemon-options';

/** The options that recycle a process (each 0: never); maximum-requests is jittered per process. */
export type RecycleLimits = Pick<DaemonOptions,
  'maximumRequests' | 'restartIntervalSeconds' | 'inactivityTimeoutSeconds' | 'memoryLimitBytes' | 'cpuTimeLimitSeconds'>;

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
  if (limits.restartIntervalSeconds > 0 && now - process.readyAt >= limits.restartIntervalSeconds * 1000) {
    return `restart-interval (${limits.restartIntervalSeconds} s) reached`;
  }
  // A process that has served nothing has nothing to give back: replacing it would only churn.
  if (limits.inactivityTimeoutSeconds > 0 && process.requests > 0 && process.busy === 0
    && now - process.lastActivity >= limits.inactivityTimeoutSeconds * 1000) {
    return `inactivity-timeout (${limits.inactivityTimeoutSeconds} s) reached`;
  }
  if (limits.memoryLimitBytes > 0) {
    const rss = process.residentBytes();
    if (rss !== null && rss > limits.memoryLimitBytes) return `memory-limit (${limits.memoryLimitBytes} bytes) exceeded: ${rss} bytes resident`;
  }
  if (limits.cpuTimeLimitSeconds > 0) {
    const used = process.cpuSeconds();
    if (used !== null && used >= limits.cpuTimeLimitSeconds) return `cpu-time-limit (${limits.cpuTimeLimitSeconds} s) reached: ${used.toFixed(2)} s of CPU used`;
  }
  return null;
}
