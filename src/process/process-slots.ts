// The rolling-replacement state machine of a process group: one serving process per slot,
// replaced new before old (the replacement takes over only once it is ready, and the old one
// finishes its requests), a few slots at a time, with backoff after crashes and failed attempts.

import { EventEmitter } from 'node:events';
import * as fs from 'node:fs';
import type { DaemonOptions } from '../config/daemon-options';
import type { ErrorLog } from '../log/error-log';
import type { ExitReport, WorkerProcess } from './worker-process';

/**
 * How an outgoing process leaves once its replacement is ready: it finishes its requests
 * within `grace` seconds (0: shutdown-timeout only) and is killed if they run past grace plus
 * shutdown-timeout.
 */
export interface Replacement {
  reason: string;
  grace: number;
}

interface DueSlot extends Replacement {
  /** Not before this time (after a failed attempt). */
  notBefore: number;
}

/** What the slots need of their process group. */
export interface SlotOwner {
  options(): DaemonOptions;
  /** Starts a process for a slot; `generation` counts the group's launches. */
  launch(slot: number, generation: number): WorkerProcess;
  /** A process became ready or took over a slot: waiting requests can run. */
  servingChanged(): void;
  /** A process died before it was ready, neither stopped nor replaced on purpose. */
  startDied(exit: ExitReport): void;
}

const MAX_BACKOFF_MS = 10_000;
/** A process that served this long before dying is not in a crash loop. */
const STABLE_MS = 10_000;
/** A replacement that failed is tried again after this, doubling up to MAX_RETRY_MS. */
const FIRST_RETRY_MS = 1_000;
const MAX_RETRY_MS = 60_000;

export function describeExit(exit: ExitReport): string {
  if (exit.startError !== undefined) return `could not be started (${exit.startError})`;
  return exit.signal ? `was killed by signal ${exit.signal}` : `exited with code ${exit.code}`;
}

/**
 * Emits 'changed' whenever a process becomes ready, takes over or leaves a slot, or the slots
 * start stopping; 'start-failed' when a serving process dies before it is ready;
 * 'replacement-failed' when a replacement does.
 */
export class ProcessSlots extends EventEmitter {
  /** The serving process of each slot (or the one starting, at first start and after a crash). */
  private readonly slots: Array<WorkerProcess | null> = [];
  /** Replacements being started, by slot: they take no request until they swap in. */
  private readonly incoming = new Map<number, WorkerProcess>();
  /** Slots waiting their turn to be replaced. */
  private readonly due = new Map<number, DueSlot>();
  /** Replaced processes finishing their requests. */
  private readonly retiring = new Set<WorkerProcess>();
  private readonly crashBackoff: number[] = [];
  private readonly retryBackoff: number[] = [];
  /** Per process: the count of launches when it was launched, to tell old processes from new. */
  private readonly generations = new WeakMap<WorkerProcess, number>();
  private retryTimer: NodeJS.Timeout | null = null;
  private retryAt = Infinity;
  /** When each empty slot is to be filled again after a process died: a refused request's Retry-After. */
  private readonly respawns = new Map<number, number>();
  private generation = 0;
  private started = false;
  private stopRequested = false;

  constructor(private readonly owner: SlotOwner, private readonly log: ErrorLog) {
    super();
  }

  /** The serving processes, ready or not. */
  get serving(): WorkerProcess[] {
    return this.slots.filter((p): p is WorkerProcess => p !== null);
  }

  /** Every live process: serving, starting as a replacement, or finishing its requests. */
  get processes(): WorkerProcess[] {
    return [...this.serving, ...this.incoming.values(), ...this.retiring];
  }

  /** Ready serving processes not already due for replacement or being replaced. */
  get recyclable(): WorkerProcess[] {
    return this.slots.filter((p, slot): p is WorkerProcess => p?.state === 'ready' && !this.due.has(slot) && !this.incoming.has(slot));
  }

  /** Set by stop(): no process is started again. */
  get stopping(): boolean {
    return this.stopRequested;
  }

  get hasReadyProcess(): boolean {
    return this.slots.some((p) => p?.state === 'ready');
  }

  private get allReady(): boolean {
    return this.slots.every((p) => p?.state === 'ready');
  }

  /** When the next process starts: now while one is starting, else the earliest scheduled start. */
  nextStartAt(now: number): number {
    if ([...this.slots, ...this.incoming.values()].some((p) => p?.state === 'starting')) return now;
    const scheduled = [...this.respawns.values(), ...[...this.due.values()].map((due) => due.notBefore)];
    return scheduled.length > 0 ? Math.min(...scheduled) : now;
  }

  start(): void {
    this.started = true;
    for (let slot = 0; slot < this.slots.length; slot++) this.fill(slot);
  }

  /** Resolves true when every slot has a ready process, false if the slots stop first. */
  whenReady(): Promise<boolean> {
    return new Promise((resolve) => {
      const check = () => {
        const ready = this.allReady;
        if (!ready && !this.stopping) return;
        this.off('changed', check);
        resolve(ready);
      };
      this.on('changed', check);
      check();
    });
  }

  /**
   * For a group a graceful restart adds: true once every slot is ready; false as soon as a
   * process dies before it is ready, or after `limitMs`, so a broken new group is found out
   * instead of waited for.
   */
  whenStarted(limitMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => finish(false), limitMs);
      const finish = (ok: boolean) => {
        clearTimeout(timer);
        this.off('changed', check).off('start-failed', failed);
        resolve(ok);
      };
      const check = () => { if (this.allReady) finish(true); };
      const failed = () => finish(false);
      this.on('changed', check).on('start-failed', failed);
      check();
    });
  }

  /**
   * Replaces every process, one at a time, each only once its replacement is ready. Resolves
   * true when all of them were replaced, false when an attempt failed (it is retried) or the
   * slots stopped.
   */
  restart(replacement: Replacement): Promise<boolean> {
    const before = this.generation;
    for (let slot = 0; slot < this.slots.length; slot++) this.due.set(slot, { ...replacement, notBefore: 0 });
    this.advance();
    return new Promise((resolve) => {
      const check = (failed?: boolean) => {
        const done = this.slots.every((p) => p !== null && p.state === 'ready' && this.generationOf(p) > before);
        if (!done && !failed && !this.stopping) return;
        this.off('changed', check).off('replacement-failed', onFailure);
        resolve(done);
      };
      const onFailure = () => check(true);
      this.on('changed', check).on('replacement-failed', onFailure);
      check();
    });
  }

  /** Replaces one serving process (a recycling trigger, or a request past request-timeout). */
  replace(worker: WorkerProcess, replacement: Replacement): void {
    const slot = this.slots.indexOf(worker);
    if (slot < 0 || this.stopping) return;
    const due = this.due.get(slot);
    if (!due && !this.incoming.has(slot)) this.log.info(`Replacing ${worker.label}: ${replacement.reason}`);
    // A replacement that failed a moment ago waits out its backoff.
    this.due.set(slot, { ...replacement, notBefore: due?.notBefore ?? 0 });
    this.advance();
  }

  /** Grows or shrinks to `processes` slots; removed slots' processes finish their requests. */
  resize(processes: number): void {
    while (this.slots.length > processes) {
      const slot = this.slots.length - 1;
      this.due.delete(slot);
      const starting = this.incoming.get(slot);
      this.incoming.delete(slot);
      if (starting) this.retire(starting, { reason: 'processes= lowered', grace: 0 });
      const worker = this.slots.pop();
      this.crashBackoff.pop();
      this.retryBackoff.pop();
      if (worker) this.retire(worker, { reason: 'processes= lowered', grace: this.owner.options().gracefulTimeoutSeconds });
    }
    while (this.slots.length < processes) {
      this.slots.push(null);
      this.crashBackoff.push(0);
      this.retryBackoff.push(0);
      if (this.started && !this.stopping) this.fill(this.slots.length - 1);
    }
    this.advance();
  }

  /** Stops every process once its requests finish (within `timeoutSeconds`), and starts none again. */
  async stop(timeoutSeconds: number): Promise<void> {
    this.stopRequested = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.due.clear();
    this.emit('changed');
    await Promise.all(this.processes.map((p) => stopProcess(p, timeoutSeconds)));
  }

  /** Starts due replacements while fewer than the bound are under way. */
  private advance(): void {
    if (!this.started || this.stopping) return;
    // A few at a time in big groups; one at a time otherwise, so a group never loses capacity.
    const bound = Math.max(1, Math.floor(this.slots.length / 4));
    const now = Date.now();
    let soonest = Infinity;
    for (const [slot, due] of this.due) {
      if (this.incoming.size >= bound) break;
      if (this.incoming.has(slot)) continue;
      if (due.notBefore > now) {
        soonest = Math.min(soonest, due.notBefore);
        continue;
      }
      this.due.delete(slot);
      this.startReplacement(slot, due);
    }
    if (soonest < this.retryAt) {
      if (this.retryTimer) clearTimeout(this.retryTimer);
      this.retryAt = soonest;
      this.retryTimer = setTimeout(() => { this.retryTimer = null; this.retryAt = Infinity; this.advance(); }, soonest - now);
      this.retryTimer.unref();
    }
  }

  private startReplacement(slot: number, replacement: Replacement): void {
    const old = this.slots[slot];
    const worker = this.launch(slot);
    this.incoming.set(slot, worker);
    this.log.info(`Starting ${worker.label} to replace ${old ? old.label : `the process of slot ${slot}`} (${replacement.reason})`);
    worker.once('ready', () => {
      // Dropped meanwhile (processes= lowered, or the group stopping).
      if (this.incoming.get(slot) !== worker) return;
      this.incoming.delete(slot);
      const current = this.slots[slot] ?? null;
      if (current && worker.importFailures > current.importFailures) {
        this.retire(worker, { reason: 'refused', grace: 0 });
        this.replacementFailed(slot, replacement, current,
          `${worker.importFailures} of its import scripts failed (see above), ${current.importFailures} in the process it was to replace`);
        return;
      }
      this.retryBackoff[slot] = 0;
      this.slots[slot] = worker;
      if (current) this.retire(current, replacement);
      this.log.info(`${worker.label} took over${current ? ` from ${current.label}` : ''} (${replacement.reason})`);
      this.servingChanged();
      this.advance();
    });
    worker.once('exit', (exit: ExitReport) => {
      if (this.incoming.get(slot) !== worker) return;
      this.incoming.delete(slot);
      if (this.stopping) return;
      const how = describeExit(exit);
      const current = this.slots[slot] ?? null;
      if (current === null) {
        // The process it was to replace died meanwhile: the slot is empty, so start afresh. A
        // restart waiting for this replacement has failed all the same (else, with processes
        // that die at start, it would wait for ever).
        this.log.error(`${worker.label} ${how} before it was ready`);
        this.respawnLater(slot);
        this.emit('replacement-failed');
        this.advance();
        return;
      }
      this.replacementFailed(slot, replacement, current, `it ${how} before it was ready`);
    });
  }

  /** Bad new code never takes the group down: the old process keeps serving, and the replacement is tried again later. */
  private replacementFailed(slot: number, replacement: Replacement, current: WorkerProcess, why: string): void {
    const delay = this.retryBackoff[slot] = Math.min(MAX_RETRY_MS, Math.max(FIRST_RETRY_MS, this.retryBackoff[slot]! * 2));
    this.log.error(`Replacement for ${current.label} failed: ${why}; it keeps serving, and the replacement is tried again in ${delay / 1000} s`);
    this.due.set(slot, { ...replacement, notBefore: Date.now() + delay });
    this.emit('replacement-failed');
    this.advance();
  }

  private retire(worker: WorkerProcess, replacement: Replacement): void {
    this.retiring.add(worker);
    worker.stop(replacement.grace + this.owner.options().shutdownTimeoutSeconds);
  }

  private generationOf(worker: WorkerProcess): number {
    return this.generations.get(worker) ?? 0;
  }

  private servingChanged(): void {
    this.owner.servingChanged();
    this.emit('changed');
  }

  /** Puts a new process straight into an empty slot (first start, crash). */
  private fill(slot: number): void {
    this.slots[slot] = this.launch(slot);
  }

  private launch(slot: number): WorkerProcess {
    const worker = this.owner.launch(slot, ++this.generation);
    this.generations.set(worker, this.generation);
    worker.on('ready', () => this.servingChanged());
    worker.on('exit', (exit: ExitReport) => this.exited(worker, exit));
    return worker;
  }

  private exited(worker: WorkerProcess, exit: ExitReport): void {
    fs.rmSync(worker.settings.socket, { force: true });
    this.retiring.delete(worker);
    if (worker.readyAt === 0 && !exit.expected && !this.stopping) this.owner.startDied(exit);
    const slot = this.slots.indexOf(worker);
    if (slot < 0) return;
    if (exit.expected || this.stopping) {
      this.slots[slot] = null;
      return;
    }
    const how = describeExit(exit);
    const lived = Date.now() - worker.startedAt;
    this.crashBackoff[slot] = lived > STABLE_MS ? 0 : Math.min(MAX_BACKOFF_MS, Math.max(250, this.crashBackoff[slot]! * 2));
    this.slots[slot] = null;
    if (worker.readyAt === 0) this.emit('start-failed');
    this.emit('changed');
    if (this.incoming.has(slot)) {
      this.log.error(`${worker.label} ${how}; its replacement, already starting, takes its place`);
      return;
    }
    this.due.delete(slot);
    this.log.error(`${worker.label} ${how}; starting a replacement${this.crashBackoff[slot] ? ` in ${this.crashBackoff[slot]} ms` : ''}`);
    this.respawnLater(slot);
  }

  private respawnLater(slot: number): void {
    const delay = this.crashBackoff[slot] ?? 0;
    this.respawns.set(slot, Date.now() + delay);
    setTimeout(() => {
      this.respawns.delete(slot);
      if (!this.stopping && this.slots[slot] === null && !this.incoming.has(slot) && slot < this.slots.length) this.fill(slot);
    }, delay).unref();
  }
}

function stopProcess(worker: WorkerProcess, timeoutSeconds: number): Promise<void> {
  if (worker.state === 'exited') return Promise.resolve();
  return new Promise((resolve) => {
    worker.once('exit', () => resolve());
    worker.stop(timeoutSeconds);
  });
}
