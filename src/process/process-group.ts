// The processes of one pool: spawned, watched until ready, replaced when they die, and
// replaced one at a time, new before old, when anything restarts them (rolling replacement).

import { EventEmitter } from 'node:events';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ProcessGroupConfig, ServerConfig } from '../config/model';
import type { WorkerSettings } from './worker-settings';
import type { ErrorLog } from '../log/error-log';
import { Dispatcher, type StartFailure } from './dispatcher';
import { checkCanSwitch, resolveCredentials, type Credentials } from './credentials';
import { jitteredLimit, recycleReason } from './recycling';
import type { ImportReport, ReadyReport } from './control-messages';
import type { RuntimeDir } from './runtime-dir';
import { WorkerProcess, type ExitReport, type LaunchOptions } from './worker-process';

export function groupLabel(name: string, applicationGroup = ''): string {
  const group = name === '' ? "process group '%{GLOBAL}'" : `process group '${name}'`;
  return applicationGroup === '' ? group : `${group} (application group '${applicationGroup}')`;
}

/**
 * WSGIDaemonProcess lang=, locale= and python-eggs= become LANG, LC_ALL and PYTHON_EGG_CACHE,
 * cpu-priority= the nice value, and user= the HOME, USER and LOGNAME of the processes (the
 * worker takes the uid, gid and groups itself: see WorkerSettings.runAs), as mod_wsgi sets them.
 */
function launchOptions(config: ProcessGroupConfig, credentials: Credentials | null, server: ServerConfig, runtime: RuntimeDir): LaunchOptions {
  const { lang, locale, pythonEggs, cpuPriority } = config.options;
  const env: NodeJS.ProcessEnv = {};
  if (lang !== null) env.LANG = lang;
  if (locale !== null) env.LC_ALL = locale;
  if (pythonEggs !== null) env.PYTHON_EGG_CACHE = pythonEggs;
  const priority = cpuPriority || undefined;
  const pythonFlags = new Array<string>(server.pythonOptimize).fill('-O');
  if (!credentials) return { env, pythonFlags, priority };
  Object.assign(env, { HOME: credentials.home, USER: credentials.user, LOGNAME: credentials.user });
  // Without home=, a process of another user starts in that user's home directory, if there is one.
  const cwd = config.home ?? (fs.existsSync(credentials.home) ? credentials.home : '/');
  return { env, cwd, pythonFlags, packageDir: runtime.workerPackage(), priority };
}

function interpreterSettings(serving: Serving, socket: string): Pick<WorkerSettings, 'applicationGroup' | 'interpreters' | 'applicationGroups'> {
  if (serving.mode === 'processes') return { applicationGroup: serving.applicationGroup, interpreters: 'main', applicationGroups: [] };
  return {
    applicationGroup: '',
    interpreters: 'sub',
    applicationGroups: serving.preload.map((name, i) => ({ name, socket: `${socket}.ag${i + 1}` })),
  };
}

const MAX_BACKOFF_MS = 10_000;
/** A process that served this long before dying is not in a crash loop. */
const STABLE_MS = 10_000;
/** A replacement that failed is tried again after this, doubling up to MAX_RETRY_MS. */
const FIRST_RETRY_MS = 1_000;
const MAX_RETRY_MS = 60_000;

/** How a process group runs application groups other than %{GLOBAL}. */
export type ApplicationGroupMode = 'sub-interpreters' | 'processes';

export type Serving =
  /** One set of processes for every application group, each in its own sub-interpreter. */
  | { mode: 'sub-interpreters'; preload: string[] }
  /** Processes of their own for one application group, run in their main interpreter. */
  | { mode: 'processes'; applicationGroup: string };

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

/** A group without a ready process whose processes die before they are ready. */
interface Outage {
  /** How the last of them ended ("exited with code 1 before it was ready"). */
  cause: string;
  /** Its refusal of requests was logged: once per outage, not once per request. */
  logged: boolean;
}

/**
 * The processes of a process group: all of its application groups (in sub-interpreters),
 * or one of them (in processes of its own). Emits 'changed' whenever a process becomes
 * ready or is replaced, or the group starts stopping.
 */
export class ProcessGroup extends EventEmitter {
  readonly dispatcher: Dispatcher;
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
  /** Per process: its jittered maximum-requests. */
  private readonly requestLimits = new WeakMap<WorkerProcess, number>();
  private retryTimer: NodeJS.Timeout | null = null;
  private retryAt = Infinity;
  /** When each empty slot is to be filled again after a process died: a refused request's Retry-After. */
  private readonly respawns = new Map<number, number>();
  /** Set when a process dies before it is ready while no process is ready; cleared when one is. */
  private outage: Outage | null = null;
  private generation = 0;
  private started = false;
  private stopping = false;
  private credentials: Credentials | null;

  constructor(
    private config: ProcessGroupConfig,
    private serving: Serving,
    private readonly index: number,
    private server: ServerConfig,
    private readonly runtime: RuntimeDir,
    private readonly log: ErrorLog,
  ) {
    super();
    this.credentials = ProcessGroup.credentialsFor(config, server);
    this.resize(config.processes);
    this.dispatcher = new Dispatcher({
      processes: () => this.slots.filter((p): p is WorkerProcess => p !== null),
      queueTimeout: () => this.config.options.queueTimeoutSeconds,
      startFailure: () => this.startFailure(),
    });
  }

  /** As mod_wsgi's daemons: the group's own user=/group=, else the server's User/Group, which count only as root. */
  private static credentialsFor(config: ProcessGroupConfig, server: ServerConfig): Credentials | null {
    const root = process.getuid!() === 0;
    const { user, group, supplementaryGroups } = config.options;
    const credentials = resolveCredentials(
      user ?? (root ? server.user ?? undefined : undefined),
      group ?? (root ? server.group ?? undefined : undefined),
      supplementaryGroups ?? undefined);
    checkCanSwitch(credentials, config.name);
    return credentials;
  }

  get name(): string {
    return this.config.name;
  }

  get processGroupConfig(): ProcessGroupConfig {
    return this.config;
  }

  get label(): string {
    return groupLabel(this.config.name, this.serving.mode === 'processes' ? this.serving.applicationGroup : '');
  }

  private get hasReadyProcess(): boolean {
    return this.slots.some((p) => p?.state === 'ready');
  }

  /**
   * While the group's processes die before they are ready, a request waits for one only as long
   * as mod_wsgi would wait to connect to a daemon (connect-timeout), or as long as a start may
   * take when startup-timeout is set: rather a prompt 503 than a client held until it gives up.
   */
  private startFailure(): StartFailure | null {
    const outage = this.outage;
    if (!outage) return null;
    const { startupTimeoutSeconds, connectTimeoutSeconds } = this.config.options;
    const [option, wait] = startupTimeoutSeconds > 0 ? ['startup-timeout', startupTimeoutSeconds] : ['connect-timeout', connectTimeoutSeconds];
    return {
      wait,
      refuse: () => {
        const now = Date.now();
        const retryAfter = Math.max(1, Math.ceil((this.nextStartAt(now) - now) / 1000));
        if (!outage.logged) {
          outage.logged = true;
          this.log.error(`${this.label} has no ready process, and its last process ${outage.cause}: ` +
            `requests that wait ${option} (${wait} s) for it get 503 with Retry-After while it keeps starting processes`);
        }
        return { reason: `${this.label} has no ready process (its last one ${outage.cause}); next start in ${retryAfter} s`, retryAfter };
      },
    };
  }

  /** When the group next starts a process: now while one is starting, else its earliest scheduled start. */
  private nextStartAt(now: number): number {
    if ([...this.slots, ...this.incoming.values()].some((p) => p?.state === 'starting')) return now;
    const scheduled = [...this.respawns.values(), ...[...this.due.values()].map((due) => due.notBefore)];
    return scheduled.length > 0 ? Math.min(...scheduled) : now;
  }

  /** A process died before it was ready: with none ready, the group is failing until one is. */
  private startDied(exit: ExitReport): void {
    if (this.hasReadyProcess) return;
    const cause = exit.startError !== undefined ? describeExit(exit) : `${describeExit(exit)} before it was ready`;
    if (this.outage) {
      this.outage.cause = cause;
      return;
    }
    this.outage = { cause, logged: false };
    this.dispatcher.reschedule();
  }

  /** A process became ready or took over a slot: waiting requests run, and an outage ends. */
  private servingChanged(): void {
    this.dispatcher.pump();
    if (this.outage && this.hasReadyProcess) {
      this.outage = null;
      this.log.notice(`${this.label} has a ready process again`);
      this.dispatcher.reschedule();
    }
    this.emit('changed');
  }

  /** Every live process: serving, starting as a replacement, or finishing its requests. */
  get processes(): WorkerProcess[] {
    return [...this.slots.filter((p): p is WorkerProcess => p !== null), ...this.incoming.values(), ...this.retiring];
  }


  start(): void {
    this.started = true;
    this.runtime.makePoolDir(this.index, this.credentials);
    for (let slot = 0; slot < this.slots.length; slot++) this.fill(slot);
  }

  private get socketDir(): string {
    return this.runtime.poolDir(this.index);
  }

  /** Resolves true when every slot has a ready process, false if the group stops first. */
  whenReady(): Promise<boolean> {
    return new Promise((resolve) => {
      const check = () => {
        const ready = this.slots.every((p) => p?.state === 'ready');
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
      const check = () => { if (this.slots.every((p) => p?.state === 'ready')) finish(true); };
      const failed = () => finish(false);
      this.on('changed', check).on('start-failed', failed);
      check();
    });
  }

  /**
   * Replaces every process, one at a time, each only once its replacement is ready. Resolves
   * true when all of them were replaced, false when an attempt failed (it is retried) or the
   * group stopped.
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

  /** Takes a new config (graceful restart): new processes use it; the count of slots follows it. */
  reconfigure(config: ProcessGroupConfig, serving: Serving, server: ServerConfig): void {
    this.credentials = ProcessGroup.credentialsFor(config, server);
    this.config = config;
    this.serving = serving;
    this.server = server;
    // user= may have changed: the replacements must be able to enter the socket directory.
    if (this.credentials) fs.chownSync(this.socketDir, this.credentials.uid, this.credentials.gid);
    this.resize(config.processes);
  }

  /** Throws what reconfigure() would, without changing anything (a bad user= in a new config). */
  static check(config: ProcessGroupConfig, server: ServerConfig): void {
    ProcessGroup.credentialsFor(config, server);
  }

  private resize(processes: number): void {
    while (this.slots.length > processes) {
      const slot = this.slots.length - 1;
      this.due.delete(slot);
      const starting = this.incoming.get(slot);
      this.incoming.delete(slot);
      if (starting) this.retire(starting, { reason: 'processes= lowered', grace: 0 });
      const worker = this.slots.pop();
      this.crashBackoff.pop();
      this.retryBackoff.pop();
      if (worker) this.retire(worker, { reason: 'processes= lowered', grace: this.gracefulTimeout });
    }
    while (this.slots.length < processes) {
      this.slots.push(null);
      this.crashBackoff.push(0);
      this.retryBackoff.push(0);
      if (this.started && !this.stopping) this.fill(this.slots.length - 1);
    }
    this.advance();
  }

  /** graceful-timeout (mod_wsgi's default 15 s): how long a replaced process may finish its requests. */
  get gracefulTimeout(): number {
    return this.config.options.gracefulTimeoutSeconds;
  }

  /** For a graceful signal (mod_wsgi's eviction): eviction-timeout if set, else graceful-timeout. */
  get evictionTimeout(): number {
    return this.config.options.evictionTimeoutSeconds || this.gracefulTimeout;
  }

  /** deadlock-timeout (mod_wsgi's default 300 s; 0: off). */
  private get deadlockTimeout(): number {
    return this.config.options.deadlockTimeoutSeconds;
  }

  /**
   * Kills a process whose GIL has been held for deadlock-timeout (its heartbeat stopped): it can
   * finish nothing, so, as in mod_wsgi, it goes at once and is replaced as after a crash.
   */
  private checkDeadlocks(now: number): void {
    const timeout = this.deadlockTimeout;
    if (timeout <= 0) return;
    for (const worker of [...this.slots, ...this.incoming.values(), ...this.retiring]) {
      if (!worker || worker.state === 'exited' || now - worker.aliveAt < timeout * 1000) continue;
      this.log.error(`${worker.label}: deadlock-timeout (${timeout} s) expired, the Python GIL has not been free since; killing the process`);
      worker.kill();
    }
  }

  /** Checks each process against deadlock-timeout and the recycling options; the supervisor calls this every second. */
  checkRecycling(now = Date.now()): void {
    this.checkDeadlocks(now);
    const limits = this.config.options;
    for (const [slot, worker] of this.slots.entries()) {
      if (worker?.state !== 'ready' || this.due.has(slot) || this.incoming.has(slot)) continue;
      const reason = recycleReason(worker, limits, this.requestLimits.get(worker) ?? 0, now);
      if (reason) this.replace(worker, { reason, grace: this.gracefulTimeout });
    }
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

  /**
   * Lets requests still queued for the group run (bounded by `timeoutSeconds`; those left get
   * 503), then stops every process once its requests finish.
   */
  async stop(timeoutSeconds: number): Promise<void> {
    if (!this.stopping && this.hasReadyProcess) await this.dispatcher.drained(timeoutSeconds * 1000);
    this.dispatcher.abandon(`${this.label} is stopping`);
    this.stopping = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.due.clear();
    this.emit('changed');
    await Promise.all(this.processes.map((p) => stopProcess(p, timeoutSeconds)));
  }

  /** Starts due replacements while fewer than the group's bound are under way. */
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
    worker.stop(replacement.grace + this.config.options.shutdownTimeoutSeconds);
  }

  private generationOf(worker: WorkerProcess): number {
    return this.generations.get(worker) ?? 0;
  }

  /** Puts a new process straight into an empty slot (first start, crash). */
  private fill(slot: number): void {
    this.slots[slot] = this.launch(slot);
  }

  private launch(slot: number): WorkerProcess {
    const config = this.config;
    const options = config.options;
    const socket = path.join(this.socketDir, `p${slot}-${++this.generation}.sock`);
    fs.rmSync(socket, { force: true });
    const worker = new WorkerProcess(this.label, config.python, {
      socket,
      processGroup: config.name,
      ...interpreterSettings(this.serving, socket),
      threads: config.threads,
      processes: config.processes,
      runAs: this.credentials && { user: this.credentials.user, uid: this.credentials.uid, gid: this.credentials.gid, groups: this.credentials.groups },
      importScripts: this.serving.mode === 'sub-interpreters' ? config.importScripts
        : config.importScripts.filter((s) => s.applicationGroup === (this.serving as { applicationGroup: string }).applicationGroup),
      pythonPath: config.pythonPath,
      home: config.home,
      logLevel: this.server.logLevel,
      multiprocess: config.multiprocess,
      multithread: config.threads !== 1,
      runOnce: config.threads === 1 && options.maximumRequests === 1,
      umask: options.umask,
      locale: options.locale,
      displayName: options.displayName?.replace('%{GROUP}', `(wsgi:${config.name})`) ?? null,
      stackSize: options.stackSizeBytes,
      virtualMemoryLimit: options.virtualMemoryLimitBytes || null,
      listenBacklog: options.listenBacklog,
      sendBufferSize: options.sendBufferSizeBytes || null,
      receiveBufferSize: options.receiveBufferSizeBytes || null,
      deadlockTimeout: this.deadlockTimeout,
    }, this.log, launchOptions(config, this.credentials, this.server, this.runtime));
    this.generations.set(worker, this.generation);
    // mod_wsgi's defaults: Apache's Timeout, and for the client's side socket-timeout.
    const socketTimeout = (options.socketTimeoutSeconds || this.server.timeout) * 1000;
    worker.timeouts = {
      connect: options.connectTimeoutSeconds * 1000,
      socket: socketTimeout,
      request: options.requestTimeoutSeconds * 1000,
      response: options.responseSocketTimeoutSeconds * 1000 || socketTimeout,
    };
    // mod_wsgi's daemon processes pass response headers through a buffer of header-buffer-size
    // (32 KiB by default); embedded mode, which %{GLOBAL} stands for, has none.
    worker.headerLineLimit = config.name === '' ? 0 : options.headerBufferSizeBytes || 32768;
    this.requestLimits.set(worker, jitteredLimit(options.maximumRequests, this.server.maximumRequestsJitter));
    const startupTimeout = options.startupTimeoutSeconds;
    if (startupTimeout > 0) {
      const timer = setTimeout(() => {
        if (worker.state !== 'starting') return;
        this.log.error(`${worker.label} was not ready within startup-timeout (${startupTimeout} s); killing it`);
        worker.kill();
      }, startupTimeout * 1000);
      worker.once('ready', () => clearTimeout(timer)).once('exit', () => clearTimeout(timer));
    }
    this.log.info(`Starting ${worker.label} with ${config.threads} threads (${config.python})`);
    worker.on('import', (report: ImportReport) => this.logImport(worker, report));
    worker.on('ready', (report: ReadyReport) => {
      const seconds = ((worker.readyAt - worker.startedAt) / 1000).toFixed(3);
      this.log.info(`${worker.label} is ready after ${seconds} s (Python ${report.python}, interpreters: ${report.interpreters})`);
      this.servingChanged();
    });
    worker.on('slot', () => {
      this.dispatcher.pump();
      const limit = this.requestLimits.get(worker) ?? 0;
      if (limit > 0 && worker.requests >= limit) this.checkRecycling();
    });
    worker.on('interpreter', () => this.dispatcher.pump());
    // Unreachable but not gone (a refused or timed-out connect): replace it, and kill it if it lingers.
    worker.on('lost', () => this.replace(worker, { reason: 'its socket stopped taking connections', grace: 0 }));
    worker.on('request-timeout', () => {
      // Its other requests finish in the old process while a fresh one takes over.
      this.log.error(`A request ran past request-timeout in ${worker.label}; its Python stacks follow, and the process is replaced`);
      worker.dumpStacks();
      this.replace(worker, { reason: 'request-timeout', grace: this.gracefulTimeout });
    });
    worker.on('exit', (exit: ExitReport) => this.exited(worker, exit));
    return worker;
  }

  private logImport(worker: WorkerProcess, report: ImportReport): void {
    const where = `into application group '${report.applicationGroup === '' ? '%{GLOBAL}' : report.applicationGroup}' of ${worker.label}`;
    if (report.ok) {
      this.log.info(`Loaded import script '${report.script}' ${where} in ${report.seconds.toFixed(3)} s`);
    } else {
      this.log.error(`Import script '${report.script}' failed ${where} after ${report.seconds.toFixed(3)} s: ${report.error ?? 'see the traceback above'}`);
    }
  }

  private exited(worker: WorkerProcess, exit: ExitReport): void {
    fs.rmSync(worker.settings.socket, { force: true });
    this.retiring.delete(worker);
    if (worker.readyAt === 0 && !exit.expected && !this.stopping) this.startDied(exit);
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

function describeExit(exit: ExitReport): string {
  if (exit.startError !== undefined) return `could not be started (${exit.startError})`;
  return exit.signal ? `was killed by signal ${exit.signal}` : `exited with code ${exit.code}`;
}

function stopProcess(worker: WorkerProcess, timeoutSeconds: number): Promise<void> {
  if (worker.state === 'exited') return Promise.resolve();
  return new Promise((resolve) => {
    worker.once('exit', () => resolve());
    worker.stop(timeoutSeconds);
  });
}
