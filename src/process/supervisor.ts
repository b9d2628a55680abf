// Owns every pool of worker processes: starts them with the server, starts the ones
// a request needs first, restarts them (rolling) on a graceful restart, a group restart,
// a changed script or a recycling limit, and stops them all.

import type { ProcessGroupConfig, ServerConfig } from '../config/model';
import type { ErrorLog } from '../log/error-log';
import type { ApplicationGroupMode, Serving } from './launch-settings';
import { ProcessGroup } from './process-group';
import type { RuntimeDir } from './runtime-dir';
import { ScriptWatch } from './script-watch';
import { SilenceSweep } from './silence-sweep';

export { groupLabel } from './process-group';
export type { ApplicationGroupMode } from './launch-settings';

/** How often the health checks (deadlock-timeout, recycling limits) run and WSGI scripts are checked. */
const TICK_MS = 1_000;

/** How long a graceful restart waits for a group it adds: its startup-timeout, else two minutes. */
function startLimitMs(config: ProcessGroupConfig): number {
  const startup = config.options.startupTimeoutSeconds;
  return startup > 0 ? (startup + 5) * 1000 : 120_000;
}

/** Per process group, the application groups to create at start (sub-interpreter mode). */
function preloadOf(server: ServerConfig, initial: ReadonlyArray<[string, string]>): Map<string, Set<string>> {
  const preload = new Map<string, Set<string>>();
  for (const [name, applicationGroup] of startingPairs(server, initial)) {
    if (!preload.has(name)) preload.set(name, new Set());
    if (applicationGroup !== '') preload.get(name)!.add(applicationGroup);
  }
  return preload;
}

/** The (process group, application group) pairs a config starts with, plus those its import scripts name. */
function startingPairs(server: ServerConfig, initial: ReadonlyArray<[string, string]>): Array<[string, string]> {
  return [...initial, ...server.processGroups.flatMap((g) => g.importScripts.map((s): [string, string] => [g.name, s.applicationGroup]))];
}

export class Supervisor {
  private configs = new Map<string, ProcessGroupConfig>();
  private readonly pools = new Map<string, ProcessGroup>();
  /** Per process group, the application groups to create at start (sub-interpreter mode). */
  private preload = new Map<string, Set<string>>();
  private readonly scripts = new ScriptWatch<ProcessGroup>((script, pools) => this.scriptChanged(script, pools));
  private nextIndex = 0;
  private started = false;
  private ticker: NodeJS.Timeout | null = null;
  /** socket-timeout's one timer, for this supervisor's connections only. */
  private readonly sweep = new SilenceSweep();

  /**
   * `initial`: the (process group, application group) pairs to start with the server;
   * `modes`: how each process group runs its application groups.
   */
  constructor(private server: ServerConfig, private readonly runtime: RuntimeDir, private readonly log: ErrorLog,
    initial: ReadonlyArray<[string, string]>,
    private readonly modes: (group: ProcessGroupConfig) => ApplicationGroupMode) {
    this.adopt(server, initial);
    for (const [name, applicationGroup] of startingPairs(server, initial)) this.pool(name, applicationGroup);
  }

  /** Takes a config's groups and the application groups to preload into each. */
  private adopt(server: ServerConfig, initial: ReadonlyArray<[string, string]>): void {
    this.server = server;
    this.configs = new Map(server.processGroups.map((config) => [config.name, config]));
    this.preload = preloadOf(server, initial);
  }

  /** The declared process group of this name, if any. */
  group(name: string): ProcessGroupConfig | undefined {
    return this.configs.get(name);
  }

  private keyOf(config: ProcessGroupConfig, applicationGroup: string, preload = this.preload): { key: string; serving: Serving } {
    const mode = this.modes(config);
    return mode === 'sub-interpreters'
      ? { key: config.name, serving: { mode, preload: [...(preload.get(config.name) ?? [])] } }
      : { key: `${config.name}\0${applicationGroup}`, serving: { mode, applicationGroup } };
  }

  /** The processes for an application group of a process group, started on first use. */
  pool(name: string, applicationGroup: string): ProcessGroup | undefined {
    const config = this.configs.get(name);
    if (!config) return undefined;
    const { key, serving } = this.keyOf(config, applicationGroup);
    let pool = this.pools.get(key);
    if (!pool) {
      pool = new ProcessGroup(config, serving, this.nextIndex++, this.server, this.runtime, this.log, this.sweep);
      this.pools.set(key, pool);
      this.log.info(`${pool.label} runs application groups ${serving.mode === 'sub-interpreters' ? 'in sub-interpreters of its processes' : 'in processes of their own'}`);
      if (this.started) {
        this.log.info(`Starting ${pool.label} for its first request`);
        pool.start();
      }
    }
    return pool;
  }

  /** A request for this WSGI script went to this pool: a change to the file restarts it (WSGIScriptReloading). */
  noteScript(script: string, pool: ProcessGroup): void {
    this.scripts.add(script, pool);
  }

  get all(): ProcessGroup[] {
    return [...this.pools.values()];
  }

  /** Resolves true once every process of every pool is ready; false if stopped before that. */
  async start(): Promise<boolean> {
    this.started = true;
    for (const pool of this.pools.values()) pool.start();
    this.ticker = setInterval(() => this.tick(), TICK_MS);
    this.ticker.unref();
    const ready = await Promise.all(this.all.map((g) => g.whenReady()));
    return ready.every(Boolean);
  }

  private tick(): void {
    for (const pool of this.pools.values()) pool.checkHealth();
    void this.scripts.poll();
  }

  private scriptChanged(script: string, pools: ProcessGroup[]): void {
    for (const pool of pools) {
      this.log.notice(`WSGI script '${script}' changed; restarting ${pool.label}`);
      void pool.restart({ reason: `WSGI script '${script}' changed`, grace: pool.gracefulTimeout });
    }
  }

  /** The running pools of a process group ('' is %{GLOBAL}); null when there is no such group. */
  poolsOf(name: string): ProcessGroup[] | null {
    return this.configs.has(name) ? this.all.filter((pool) => pool.name === name) : null;
  }

  /**
   * A graceful restart's new config, in two steps so that a broken one changes nothing: the
   * pools it adds start first, and only once they are ready (false if one of their processes
   * dies first, or none is ready in time) does the rest move to the new config. Pools of
   * groups that remain take the new settings; those whose group is gone are returned, to be
   * stopped once requests no longer go to them. Throws (changing nothing) on a group it
   * cannot run, such as a user= that cannot be switched to.
   */
  async reconfigure(server: ServerConfig, initial: ReadonlyArray<[string, string]>): Promise<{ kept: ProcessGroup[]; removed: ProcessGroup[] } | null> {
    for (const config of server.processGroups) ProcessGroup.check(config, server);
    const configs = new Map(server.processGroups.map((config) => [config.name, config]));
    const preload = preloadOf(server, initial);
    const added = new Map<string, ProcessGroup>();
    for (const [name, applicationGroup] of startingPairs(server, initial)) {
      const config = configs.get(name);
      if (!config) continue;
      const { key, serving } = this.keyOf(config, applicationGroup, preload);
      if (this.pools.has(key) || added.has(key)) continue;
      const pool = new ProcessGroup(config, serving, this.nextIndex++, server, this.runtime, this.log, this.sweep);
      this.log.info(`Starting ${pool.label}, which the new configuration adds`);
      pool.start();
      added.set(key, pool);
    }
    const started = await Promise.all([...added.values()].map((pool) => pool.whenStarted(startLimitMs(pool.processGroupConfig))));
    if (!started.every(Boolean)) {
      await Promise.all([...added.values()].map((pool) => pool.stop(pool.processGroupConfig.options.shutdownTimeoutSeconds)));
      return null;
    }
    this.adopt(server, initial);
    const kept: ProcessGroup[] = [];
    const removed: ProcessGroup[] = [];
    for (const [key, pool] of this.pools) {
      const config = this.configs.get(pool.name);
      const applicationGroup = key.includes('\0') ? key.slice(key.indexOf('\0') + 1) : '';
      const next = config ? this.keyOf(config, applicationGroup) : null;
      if (!config || next!.key !== key) {
        this.pools.delete(key);
        this.scripts.remove(pool);
        removed.push(pool);
        continue;
      }
      pool.reconfigure(config, next!.serving, server);
      kept.push(pool);
    }
    for (const [key, pool] of added) this.pools.set(key, pool);
    return { kept, removed };
  }

  async stop(timeoutSeconds: number): Promise<void> {
    if (this.ticker) clearInterval(this.ticker);
    await Promise.all(this.all.map((g) => g.stop(timeoutSeconds)));
  }

  killAll(): void {
    for (const group of this.pools.values()) for (const worker of group.processes) worker.kill();
  }
}
