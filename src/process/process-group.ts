// A process group: its processes (kept in slots and replaced new before old, process-slots.ts),
// started with settings worked out from its options (launch-settings.ts), watched by the
// health checks (health-checks.ts), and the dispatcher that gives them requests.

import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DaemonOptions } from '../config/daemon-options';
import type { ProcessGroupConfig, ServerConfig } from '../config/model';
import type { ErrorLog } from '../log/error-log';
import { Dispatcher, type StartFailure } from './dispatcher';
import { checkCanSwitch, resolveCredentials, type Credentials } from './credentials';
import type { ImportReport, ReadyReport } from './control-messages';
import { HealthChecks } from './health-checks';
import { launchSettings, type Serving } from './launch-settings';
import { describeExit, ProcessSlots, type Replacement } from './process-slots';
import type { SilenceSweep } from './silence-sweep';
import type { RuntimeDir } from './runtime-dir';
import { WorkerProcess, type ExitReport } from './worker-process';

export function groupLabel(name: string, applicationGroup = ''): string {
  const group = name === '' ? "process group '%{GLOBAL}'" : `process group '${name}'`;
  return applicationGroup === '' ? group : `${group} (application group '${applicationGroup}')`;
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
 * or one of them (in processes of its own).
 */
export class ProcessGroup {
  readonly dispatcher: Dispatcher;
  private readonly slots: ProcessSlots;
  private readonly health: HealthChecks;
  /** Set when a process dies before it is ready while no process is ready; cleared when one is. */
  private outage: Outage | null = null;
  private credentials: Credentials | null;

  constructor(
    private config: ProcessGroupConfig,
    private serving: Serving,
    private readonly index: number,
    private server: ServerConfig,
    private readonly runtime: RuntimeDir,
    private readonly log: ErrorLog,
    private readonly sweep: SilenceSweep,
  ) {
    this.credentials = ProcessGroup.credentialsFor(config, server);
    const options = (): DaemonOptions => this.config.options;
    this.slots = new ProcessSlots({
      options,
      launch: (slot, generation) => this.launch(slot, generation),
      servingChanged: () => this.servingChanged(),
      startDied: (exit) => this.startDied(exit),
    }, log);
    this.health = new HealthChecks({
      options,
      processes: () => this.slots.processes,
      recyclable: () => this.slots.recyclable,
      replace: (worker, replacement) => this.slots.replace(worker, replacement),
    }, log);
    this.slots.resize(config.processes);
    this.dispatcher = new Dispatcher({
      processes: () => this.slots.serving,
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

  /** Every live process: serving, starting as a replacement, or finishing its requests. */
  get processes(): WorkerProcess[] {
    return this.slots.processes;
  }

  /** graceful-timeout: how long a replaced process may finish its requests. */
  get gracefulTimeout(): number {
    return this.config.options.gracefulTimeoutSeconds;
  }

  /** For a graceful signal (mod_wsgi's eviction): eviction-timeout if set, else graceful-timeout. */
  get evictionTimeout(): number {
    return this.config.options.evictionTimeoutSeconds || this.gracefulTimeout;
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
        const retryAfter = Math.max(1, Math.ceil((this.slots.nextStartAt(now) - now) / 1000));
        if (!outage.logged) {
          outage.logged = true;
          this.log.error(`${this.label} has no ready process, and its last process ${outage.cause}: ` +
            `requests that wait ${option} (${wait} s) for it get 503 with Retry-After while it keeps starting processes`);
        }
        return { reason: `${this.label} has no ready process (its last one ${outage.cause}); next start in ${retryAfter} s`, retryAfter };
      },
    };
  }

  /** A process died before it was ready: with none ready, the group is failing until one is. */
  private startDied(exit: ExitReport): void {
    if (this.slots.hasReadyProcess) return;
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
    if (this.outage && this.slots.hasReadyProcess) {
      this.outage = null;
      this.log.notice(`${this.label} has a ready process again`);
      this.dispatcher.reschedule();
    }
  }

  start(): void {
    this.runtime.makePoolDir(this.index, this.credentials);
    this.slots.start();
  }

  private get socketDir(): string {
    return this.runtime.poolDir(this.index);
  }

  /** Resolves true when every slot has a ready process, false if the group stops first. */
  whenReady(): Promise<boolean> {
    return this.slots.whenReady();
  }

  /** See ProcessSlots.whenStarted: for a group a graceful restart adds. */
  whenStarted(limitMs: number): Promise<boolean> {
    return this.slots.whenStarted(limitMs);
  }

  /** Replaces every process, rolling; see ProcessSlots.restart. */
  restart(replacement: Replacement): Promise<boolean> {
    return this.slots.restart(replacement);
  }

  /** Takes a new config (graceful restart): new processes use it; the count of slots follows it. */
  reconfigure(config: ProcessGroupConfig, serving: Serving, server: ServerConfig): void {
    this.credentials = ProcessGroup.credentialsFor(config, server);
    this.config = config;
    this.serving = serving;
    this.server = server;
    // user= may have changed: the replacements must be able to enter the socket directory.
    if (this.credentials) fs.chownSync(this.socketDir, this.credentials.uid, this.credentials.gid);
    this.slots.resize(config.processes);
  }

  /** Throws what reconfigure() would, without changing anything (a bad user= in a new config). */
  static check(config: ProcessGroupConfig, server: ServerConfig): void {
    ProcessGroup.credentialsFor(config, server);
  }

  /** Checks each process against deadlock-timeout and the recycling options; the supervisor calls this every second. */
  checkHealth(now = Date.now()): void {
    this.health.check(now);
  }

  /**
   * Lets requests still queued for the group run (bounded by `timeoutSeconds`; those left get
   * 503), then stops every process once its requests finish.
   */
  async stop(timeoutSeconds: number): Promise<void> {
    if (!this.slots.stopping && this.slots.hasReadyProcess) await this.dispatcher.drained(timeoutSeconds * 1000);
    this.dispatcher.abandon(`${this.label} is stopping`);
    await this.slots.stop(timeoutSeconds);
  }

  private launch(slot: number, generation: number): WorkerProcess {
    const config = this.config;
    const socket = path.join(this.socketDir, `p${slot}-${generation}.sock`);
    fs.rmSync(socket, { force: true });
    const credentials = this.credentials;
    const userSwitch = credentials && {
      credentials, packageDir: this.runtime.workerPackage(), homeExists: fs.existsSync(credentials.home),
    };
    const settings = launchSettings(config, this.serving, socket, userSwitch, this.server);
    const worker = new WorkerProcess(this.label, config.python, settings.worker, this.log, this.sweep, settings.launch);
    worker.timeouts = settings.timeouts;
    worker.headerLineLimit = settings.headerLineLimit;
    this.log.info(`Starting ${worker.label} with ${config.threads} threads (${config.python})`);
    worker.on('import', (report: ImportReport) => this.logImport(worker, report));
    worker.on('ready', (report: ReadyReport) => {
      const seconds = ((worker.readyAt - worker.startedAt) / 1000).toFixed(3);
      this.log.info(`${worker.label} is ready after ${seconds} s (Python ${report.python}, interpreters: ${report.interpreters})`);
    });
    worker.on('slot', () => this.dispatcher.pump());
    worker.on('interpreter', () => this.dispatcher.pump());
    // Unreachable but not gone (a refused or timed-out connect): replace it, and kill it if it lingers.
    worker.on('lost', () => this.slots.replace(worker, { reason: 'its socket stopped taking connections', grace: 0 }));
    worker.on('request-timeout', () => {
      // Its other requests finish in the old process while a fresh one takes over.
      this.log.error(`A request ran past request-timeout in ${worker.label}; its Python stacks follow, and the process is replaced`);
      worker.dumpStacks();
      this.slots.replace(worker, { reason: 'request-timeout', grace: this.gracefulTimeout });
    });
    this.health.watch(worker, this.server.maximumRequestsJitter);
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
}
