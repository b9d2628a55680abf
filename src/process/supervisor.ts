// Owns every worker process: spawns each group's processes, waits for them to
// report ready, replaces the ones that die, and stops them all.

import { EventEmitter } from 'node:events';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ProcessGroupConfig, ServerConfig } from '../config/model';
import type { WorkerSettings } from './worker-settings';
import type { ErrorLog } from '../log/error-log';
import { Dispatcher } from './dispatcher';
import { checkCanSwitch, resolveCredentials, type Credentials } from './credentials';
import { PYTHON_PACKAGE_DIR, WorkerProcess, type ExitReport, type ImportReport, type LaunchOptions, type ReadyReport } from './worker-process';

export function groupLabel(name: string, applicationGroup = ''): string {
  const group = name === '' ? "process group '%{GLOBAL}'" : `process group '${name}'`;
  return applicationGroup === '' ? group : `${group} (application group '${applicationGroup}')`;
}

/**
 * WSGIDaemonProcess lang= and locale= become LANG and LC_ALL, and user= the uid, gid and
 * HOME, USER and LOGNAME of the processes, as mod_wsgi sets them.
 */
function launchOptions(config: ProcessGroupConfig, credentials: Credentials | null, server: ServerConfig): LaunchOptions {
  const env: NodeJS.ProcessEnv = {};
  if (typeof config.options.lang === 'string') env.LANG = config.options.lang;
  if (typeof config.options.locale === 'string') env.LC_ALL = config.options.locale;
  const pythonFlags = new Array<string>(server.pythonOptimize).fill('-O');
  if (!credentials) return { env, pythonFlags };
  Object.assign(env, { HOME: credentials.home, USER: credentials.user, LOGNAME: credentials.user });
  // Without home=, a process of another user starts in that user's home directory, if there is one.
  const cwd = config.home ?? (fs.existsSync(credentials.home) ? credentials.home : '/');
  return { env, uid: credentials.uid, gid: credentials.gid, cwd, pythonFlags, packageDir: workerPackageFor(server) };
}

/**
 * The worker package where any user can read it: its own folder if every folder above it
 * lets others in, else a copy in the runtime directory (a checkout under /root, say).
 */
function workerPackageFor(server: ServerConfig): string {
  const readable = (dir: string): boolean => {
    for (let at = dir; ; at = path.dirname(at)) {
      if ((fs.statSync(at).mode & 0o005) !== 0o005) return false;
      if (at === path.dirname(at)) return true;
    }
  };
  if (readable(PYTHON_PACKAGE_DIR)) return PYTHON_PACKAGE_DIR;
  const copy = path.join(server.runtimeDir, 'python');
  if (!fs.existsSync(copy)) {
    fs.cpSync(path.join(PYTHON_PACKAGE_DIR, 'tswsgi_worker'), path.join(copy, 'tswsgi_worker'), {
      recursive: true, filter: (source) => !source.includes('__pycache__'),
    });
    fs.chmodSync(copy, 0o755);
  }
  return copy;
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

/** How a process group runs application groups other than %{GLOBAL}. */
export type ApplicationGroupMode = 'sub-interpreters' | 'processes';

export type Serving =
  /** One set of processes for every application group, each in its own sub-interpreter. */
  | { mode: 'sub-interpreters'; preload: string[] }
  /** Processes of their own for one application group, run in their main interpreter. */
  | { mode: 'processes'; applicationGroup: string };

/**
 * The processes of a process group: all of its application groups (in sub-interpreters),
 * or one of them (in processes of its own). Emits 'changed' whenever a process becomes
 * ready or the group starts stopping.
 */
export class ProcessGroup extends EventEmitter {
  readonly dispatcher: Dispatcher;
  private readonly slots: Array<WorkerProcess | null>;
  private readonly backoff: number[];
  private generation = 0;
  private stopping = false;
  private readonly credentials: Credentials | null;

  constructor(
    readonly config: ProcessGroupConfig,
    readonly serving: Serving,
    private readonly index: number,
    private readonly server: ServerConfig,
    private readonly log: ErrorLog,
  ) {
    super();
    // As mod_wsgi's daemons: the group's own user=/group=, else the server's User/Group, which count only as root.
    const root = process.getuid!() === 0;
    this.credentials = resolveCredentials(
      (config.options.user as string | undefined) ?? (root ? server.user ?? undefined : undefined),
      (config.options.group as string | undefined) ?? (root ? server.group ?? undefined : undefined));
    checkCanSwitch(this.credentials, config.name);
    this.slots = new Array(config.processes).fill(null);
    this.backoff = new Array(config.processes).fill(0);
    this.dispatcher = new Dispatcher(() => this.slots.filter((p): p is WorkerProcess => p !== null));
  }

  get label(): string {
    return groupLabel(this.config.name, this.serving.mode === 'processes' ? this.serving.applicationGroup : '');
  }

  get processes(): WorkerProcess[] {
    return this.slots.filter((p): p is WorkerProcess => p !== null);
  }

  start(): void {
    // Each pool's sockets live in a directory only its processes' user (and the front end, as root) may enter.
    fs.mkdirSync(this.socketDir, { recursive: true, mode: 0o700 });
    if (this.credentials) fs.chownSync(this.socketDir, this.credentials.uid, this.credentials.gid);
    for (let slot = 0; slot < this.slots.length; slot++) this.spawn(slot);
  }

  private get socketDir(): string {
    return path.join(this.server.runtimeDir, `pool${this.index}`);
  }

  /** Resolves true when every process has reported ready, false if the group stops first. */
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

  async stop(timeoutSeconds: number): Promise<void> {
    this.stopping = true;
    this.emit('changed');
    await Promise.all(this.processes.map((p) => stopProcess(p, timeoutSeconds)));
  }

  private spawn(slot: number): void {
    const config = this.config;
    const socket = path.join(this.socketDir, `p${slot}-${++this.generation}.sock`);
    fs.rmSync(socket, { force: true });
    const worker = new WorkerProcess(this.label, config.python, {
      socket,
      processGroup: config.name,
      ...interpreterSettings(this.serving, socket),
      threads: config.threads,
      importScripts: this.serving.mode === 'sub-interpreters' ? config.importScripts
        : config.importScripts.filter((s) => s.applicationGroup === (this.serving as { applicationGroup: string }).applicationGroup),
      pythonPath: config.pythonPath,
      home: config.home,
      logLevel: this.server.logLevel,
      multiprocess: config.multiprocess,
      multithread: config.threads !== 1,
      runOnce: config.threads === 1 && config.options['maximum-requests'] === 1,
      umask: typeof config.options.umask === 'number' ? config.options.umask : null,
      locale: typeof config.options.locale === 'string' ? config.options.locale : null,
      displayName: typeof config.options['display-name'] === 'string'
        ? config.options['display-name'].replace('%{GROUP}', `(wsgi:${config.name})`) : null,
    }, this.log, launchOptions(config, this.credentials, this.server));
    this.slots[slot] = worker;
    if (config.startupTimeout > 0) {
      const timer = setTimeout(() => {
        if (worker.state !== 'starting') return;
        this.log.error(`${worker.label} was not ready within startup-timeout (${config.startupTimeout} s); killing it`);
        worker.kill();
      }, config.startupTimeout * 1000);
      worker.once('ready', () => clearTimeout(timer)).once('exit', () => clearTimeout(timer));
    }
    this.log.info(`Starting ${worker.label} with ${config.threads} threads (${config.python})`);
    worker.on('import', (report: ImportReport) => this.logImport(worker, report));
    worker.on('ready', (report: ReadyReport) => {
      const seconds = ((worker.readyAt - worker.startedAt) / 1000).toFixed(3);
      this.log.info(`${worker.label} is ready after ${seconds} s (Python ${report.python}, interpreters: ${report.interpreters})`);
      this.dispatcher.pump();
      this.emit('changed');
    });
    worker.on('slot', () => this.dispatcher.pump());
    worker.on('interpreter', () => this.dispatcher.pump());
    worker.on('exit', (exit: ExitReport) => this.exited(slot, worker, exit));
  }

  private logImport(worker: WorkerProcess, report: ImportReport): void {
    const where = `into application group '${report.applicationGroup === '' ? '%{GLOBAL}' : report.applicationGroup}' of ${worker.label}`;
    if (report.ok) {
      this.log.info(`Loaded import script '${report.script}' ${where} in ${report.seconds.toFixed(3)} s`);
    } else {
      this.log.error(`Import script '${report.script}' failed ${where} after ${report.seconds.toFixed(3)} s: ${report.error ?? 'see the traceback above'}`);
    }
  }

  private exited(slot: number, worker: WorkerProcess, exit: ExitReport): void {
    fs.rmSync(worker.settings.socket, { force: true });
    if (this.slots[slot] !== worker) return;
    if (exit.expected || this.stopping) {
      this.slots[slot] = null;
      return;
    }
    const how = exit.signal ? `was killed by signal ${exit.signal}` : `exited with code ${exit.code}`;
    const lived = Date.now() - worker.startedAt;
    this.backoff[slot] = lived > STABLE_MS ? 0 : Math.min(MAX_BACKOFF_MS, Math.max(250, this.backoff[slot]! * 2));
    const delay = this.backoff[slot]!;
    this.log.error(`${worker.label} ${how}; starting a replacement${delay ? ` in ${delay} ms` : ''}`);
    this.slots[slot] = null;
    setTimeout(() => { if (!this.stopping) this.spawn(slot); }, delay).unref();
  }
}

function stopProcess(worker: WorkerProcess, timeoutSeconds: number): Promise<void> {
  if (worker.state === 'exited') return Promise.resolve();
  return new Promise((resolve) => {
    worker.once('exit', () => resolve());
    worker.stop(timeoutSeconds);
  });
}

export class Supervisor {
  private readonly configs = new Map<string, ProcessGroupConfig>();
  private readonly pools = new Map<string, ProcessGroup>();
  /** Per process group, the application groups to create at start (sub-interpreter mode). */
  private readonly preload = new Map<string, Set<string>>();
  private started = false;

  /**
   * `initial`: the (process group, application group) pairs to start with the server;
   * `modes`: how each process group runs its application groups.
   */
  constructor(private readonly server: ServerConfig, private readonly log: ErrorLog, initial: ReadonlyArray<[string, string]>,
    private readonly modes: (group: ProcessGroupConfig) => ApplicationGroupMode) {
    for (const config of server.processGroups) this.configs.set(config.name, config);
    // Every application group something is preloaded into starts with the server, too.
    const pairs = [...initial, ...server.processGroups.flatMap((g) => g.importScripts.map((s): [string, string] => [g.name, s.applicationGroup]))];
    for (const [name, applicationGroup] of pairs) {
      if (!this.preload.has(name)) this.preload.set(name, new Set());
      if (applicationGroup !== '') this.preload.get(name)!.add(applicationGroup);
    }
    for (const [name, applicationGroup] of pairs) this.pool(name, applicationGroup);
  }

  /** The declared process group of this name, if any. */
  group(name: string): ProcessGroupConfig | undefined {
    return this.configs.get(name);
  }

  /** The processes for an application group of a process group, started on first use. */
  pool(name: string, applicationGroup: string): ProcessGroup | undefined {
    const config = this.configs.get(name);
    if (!config) return undefined;
    const mode = this.modes(config);
    const key = mode === 'sub-interpreters' ? name : `${name}\0${applicationGroup}`;
    let pool = this.pools.get(key);
    if (!pool) {
      const serving: Serving = mode === 'sub-interpreters'
        ? { mode, preload: [...(this.preload.get(name) ?? [])] }
        : { mode, applicationGroup };
      pool = new ProcessGroup(config, serving, this.pools.size, this.server, this.log);
      this.pools.set(key, pool);
      this.log.info(`${pool.label} runs application groups ${mode === 'sub-interpreters' ? 'in sub-interpreters of its processes' : 'in processes of their own'}`);
      if (this.started) {
        this.log.info(`Starting ${pool.label} for its first request`);
        pool.start();
      }
    }
    return pool;
  }

  get all(): ProcessGroup[] {
    return [...this.pools.values()];
  }

  /** Resolves true once every process of every pool is ready; false if stopped before that. */
  async start(): Promise<boolean> {
    fs.mkdirSync(this.server.runtimeDir, { recursive: true, mode: 0o711 });
    this.started = true;
    for (const pool of this.pools.values()) pool.start();
    const ready = await Promise.all(this.all.map((g) => g.whenReady()));
    return ready.every(Boolean);
  }

  async stop(timeoutSeconds: number): Promise<void> {
    await Promise.all(this.all.map((g) => g.stop(timeoutSeconds)));
  }

  killAll(): void {
    for (const group of this.pools.values()) for (const worker of group.processes) worker.kill();
  }
}
