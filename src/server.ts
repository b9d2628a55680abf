// The running server: one supervisor for the Python processes, one front end for
// HTTP, and the signals that start and stop them (as gunicorn's arbiter owns its loop).

import * as fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { ProcessGroupConfig, ServerConfig } from './config/model';
import { ErrorLog } from './log/error-log';
import { AccessLog } from './http/access-log';
import { FrontEnd } from './http/front-end';
import { preloadPools } from './http/preload-pools';
import { groupLabel, Supervisor, type ApplicationGroupMode } from './process/supervisor';
import { probeSubInterpreters } from './process/python-check';

export class Server {
  readonly log: ErrorLog;
  readonly supervisor: Supervisor;
  private readonly frontEnd: FrontEnd;
  private stopping: Promise<void> | null = null;

  constructor(readonly config: ServerConfig) {
    const errorFile = config.errorLog === null ? null : fs.createWriteStream(config.errorLog, { flags: 'a' });
    this.log = new ErrorLog(config.logLevel, errorFile ? { write: (line) => errorFile.write(line) } : undefined);
    this.supervisor = new Supervisor(config, this.log, preloadPools(config), (group) => this.applicationGroupMode(group));
    this.frontEnd = new FrontEnd(config, this.supervisor, this.log, new AccessLog(config.accessLogs));
  }

  /** Sub-interpreters as mod_wsgi has them, unless asked otherwise or the group's Python has none. */
  private applicationGroupMode(group: ProcessGroupConfig): ApplicationGroupMode {
    const wanted = this.config.applicationGroups;
    if (wanted === 'processes') return 'processes';
    const api = probeSubInterpreters(group.python);
    if (api) return 'sub-interpreters';
    const how = `${group.python} has no sub-interpreters that can run threads; each application group of ${groupLabel(group.name)} runs in processes of its own`;
    if (wanted === 'sub-interpreters') this.log.warn(how);
    else this.log.info(how);
    return 'processes';
  }

  /**
   * Listens first, so that requests arriving during preload wait in the queue instead of being
   * refused, then resolves once every process has loaded its scripts and reported ready
   * (null when the server was stopped before that).
   */
  async start(): Promise<AddressInfo[] | null> {
    const addresses = await this.frontEnd.listen();
    if (this.config.pidFile) fs.writeFileSync(this.config.pidFile, `${process.pid}\n`);
    return (await this.supervisor.start()) ? addresses : null;
  }

  /** Drains: no new connections, in-flight requests finish (bounded), then the workers stop. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      const timeout = this.config.shutdownTimeout;
      await this.frontEnd.close(timeout);
      await this.supervisor.stop(timeout);
      fs.rmSync(this.config.runtimeDir, { recursive: true, force: true });
      if (this.config.pidFile) fs.rmSync(this.config.pidFile, { force: true });
    })();
    return this.stopping;
  }

  /** SIGTERM and SIGINT drain and exit 0; a second one exits at once. */
  handleSignals(): void {
    let received = 0;
    const onSignal = (signal: NodeJS.Signals) => {
      received++;
      if (received > 1) {
        this.log.notice(`${signal} received again; exiting without waiting`);
        this.supervisor.killAll();
        process.exit(1);
      }
      this.log.notice(`${signal} received; finishing in-flight requests, then exiting`);
      this.stop().then(() => process.exit(0), (err) => {
        this.log.error(`Error while stopping: ${(err as Error).stack}`);
        process.exit(1);
      });
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  }
}
