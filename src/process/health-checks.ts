// The checks that find a process of a group that must go: a start past startup-timeout, a
// Python GIL held past deadlock-timeout, and the recycling limits (their rules are in
// recycling.ts). Run once a second by the supervisor, and after each request for maximum-requests.

import type { DaemonOptions } from '../config/daemon-options';
import type { ErrorLog } from '../log/error-log';
import { jitteredLimit, recycleReason } from './recycling';
import type { Replacement } from './process-slots';
import type { WorkerProcess } from './worker-process';

/** What the checks need of the group they watch. */
export interface CheckedGroup {
  options(): DaemonOptions;
  /** Every live process: serving, starting as a replacement, or finishing its requests. */
  processes(): readonly WorkerProcess[];
  /** Ready serving processes not already being replaced: the ones recycling may replace. */
  recyclable(): readonly WorkerProcess[];
  replace(worker: WorkerProcess, replacement: Replacement): void;
}

export class HealthChecks {
  /** Per process: its jittered maximum-requests. */
  private readonly requestLimits = new WeakMap<WorkerProcess, number>();

  constructor(private readonly group: CheckedGroup, private readonly log: ErrorLog) {}

  /** Watches a process just launched: its start against startup-timeout, its requests against maximum-requests. */
  watch(worker: WorkerProcess, maximumRequestsJitter: number): void {
    const options = this.group.options();
    const limit = jitteredLimit(options.maximumRequests, maximumRequestsJitter);
    this.requestLimits.set(worker, limit);
    // Checked as a request ends, not only on the next tick: run-once and small limits are exact.
    worker.on('slot', () => { if (limit > 0 && worker.requests >= limit) this.check(); });
    const startup = options.startupTimeoutSeconds;
    if (startup > 0) {
      const timer = setTimeout(() => {
        if (worker.state !== 'starting') return;
        this.log.error(`${worker.label} was not ready within startup-timeout (${startup} s); killing it`);
        worker.kill();
      }, startup * 1000);
      worker.once('ready', () => clearTimeout(timer)).once('exit', () => clearTimeout(timer));
    }
  }

  /** Checks every process against deadlock-timeout, and the serving ones against the recycling limits. */
  check(now = Date.now()): void {
    const options = this.group.options();
    this.killDeadlocked(options.deadlockTimeoutSeconds, now);
    for (const worker of this.group.recyclable()) {
      const reason = recycleReason(worker, options, this.requestLimits.get(worker) ?? 0, now);
      if (reason) this.group.replace(worker, { reason, grace: options.gracefulTimeoutSeconds });
    }
  }

  /**
   * Kills a process whose GIL has been held for deadlock-timeout (its heartbeat stopped): it can
   * finish nothing, so, as in mod_wsgi, it goes at once and is replaced as after a crash.
   */
  private killDeadlocked(timeout: number, now: number): void {
    if (timeout <= 0) return;
    for (const worker of this.group.processes()) {
      if (worker.state === 'exited' || now - worker.aliveAt < timeout * 1000) continue;
      this.log.error(`${worker.label}: deadlock-timeout (${timeout} s) expired, the Python GIL has not been free since; killing the process`);
      worker.kill();
    }
  }
}
