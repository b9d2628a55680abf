// The running server: one WSGI host for the Python processes, one front end for
// HTTP, and the signals and control commands that start, restart and stop them (as
// gunicorn's arbiter owns its loop).

import * as fs from 'node:fs';
import type { AddressInfo, Server as NetServer } from 'node:net';
import * as path from 'node:path';
import type { ServerConfig } from './config/model';
import { ErrorLog, NO_FORMATS, type ErrorLogRoutes } from './log/error-log';
import { LogOutputs } from './log/log-outputs';
import { AccessLog } from './http/access-log';
import { FrontEnd } from './http/front-end';
import { preloadPlan } from './http/preload-pools';
import { groupLabel } from './process/supervisor';
import { WsgiHost, type RestartKind } from './host/wsgi-host';
import { CONTROL_SOCKET, listenControl, type ControlCommand, type ControlReply } from './control-socket';

/** A control command once it has changed what it changes: its reply comes when the replacements it started are done. */
interface Begun {
  reply: Promise<ControlReply>;
}

const answered = (reply: ControlReply): Begun => ({ reply: Promise.resolve(reply) });

export class Server {
  readonly log: ErrorLog;
  readonly host: WsgiHost;
  private readonly frontEnd: FrontEnd;
  private stopping: Promise<void> | null = null;
  /** Control commands change the config and start replacements one after another. */
  private restarting: Promise<unknown> = Promise.resolve();
  private control: NetServer | null = null;
  /** Every log's files and piped programs. */
  private readonly outputs: LogOutputs;

  /** `reload` reads the config again for a graceful restart (null: the same config is used). */
  constructor(private config: ServerConfig, private readonly reload: (() => ServerConfig) | null = null) {
    this.log = new ErrorLog(config.logLevel);
    this.outputs = new LogOutputs(config.serverRoot, (message) => this.log.error(message));
    this.log.route(errorLogRoutes(config, this.outputs));
    this.host = new WsgiHost(config, this.log, preloadPlan(config));
    this.frontEnd = new FrontEnd(config, this.host, this.log, new AccessLog(config, this.outputs));
  }

  /**
   * Listens first, so that requests arriving during preload wait in the queue instead of being
   * refused, then makes the runtime directory (throwing if it cannot be trusted), then resolves
   * once every process has loaded its scripts and reported ready (null when the server was
   * stopped before that).
   */
  async start(): Promise<AddressInfo[] | null> {
    const addresses = await this.frontEnd.listen();
    const runtimeDir = this.host.openRuntime();
    this.log.info(`Runtime directory (sockets, control socket): ${runtimeDir}`);
    if (this.config.pidFile) fs.writeFileSync(this.config.pidFile, `${process.pid}\n`);
    this.control = listenControl(path.join(runtimeDir, CONTROL_SOCKET), (command) => this.command(command));
    return (await this.host.startProcesses()) ? addresses : null;
  }

  private command(command: ControlCommand): Promise<ControlReply> {
    switch (command.command) {
      case 'graceful':
      case 'restart':
        return this.restart(command.command);
      case 'restart-group':
        return this.restartGroup(command.group);
      default:
        return Promise.resolve({ ok: false, message: `unknown command '${(command as { command: string }).command}'` });
    }
  }

  /**
   * Runs `begin` once every earlier command has begun: config changes and the start of
   * replacements happen one after another. The wait for the replacements does not hold up later
   * commands, so a group whose processes cannot start delays only the replies that wait for it.
   */
  private async serially(begin: () => Promise<Begun>): Promise<ControlReply> {
    const begun = this.restarting.then(begin);
    this.restarting = begun.catch(() => {});
    return (await begun).reply;
  }

  /**
   * Reads the config again and moves to it without refusing or failing a request: new groups
   * start and become ready, then requests are routed by the new config, then every process
   * is replaced, one at a time per group, each only once its replacement is ready. A config
   * with errors changes nothing.
   */
  restart(kind: RestartKind): Promise<ControlReply> {
    return this.serially(async () => {
      if (this.stopping) return answered({ ok: false, message: 'tswsgi is stopping' });
      let config: ServerConfig;
      try {
        config = this.reload ? this.reload() : this.config;
      } catch (err) {
        return answered(this.refused(kind, (err as Error).message));
      }
      try {
        this.reopenLogs(config);
      } catch (err) {
        return answered(this.refused(kind, (err as Error).message));
      }
      if (config.runtimeDir !== this.config.runtimeDir) {
        // Sockets, pools and the control socket live there: it cannot move under running processes.
        this.log.warn(`The runtime directory changed (${this.config.runtimeDir} -> ${config.runtimeDir}); stop and start tswsgi for that to take effect`);
        config = { ...config, runtimeDir: this.config.runtimeDir };
      }
      const started = Date.now();
      this.log.notice(`${kind === 'graceful' ? 'Graceful restart' : 'Restart'} requested; replacing every process, new before old`);
      let moved;
      try {
        moved = await this.host.reconfigure(config, preloadPlan(config));
      } catch (err) {
        return answered(this.refused(kind, (err as Error).message));
      }
      if (moved === null) return answered(this.refused(kind, 'a process group it adds did not start (see the error log)'));
      const { kept, removed } = moved;
      const unbound = await this.frontEnd.reconfigure(config);
      for (const problem of unbound) this.log.error(`Could not listen on ${problem}`);
      this.config = config;
      const stopped = removed.map((pool) => {
        this.log.notice(`${pool.label} is no longer configured; stopping it once its requests finish`);
        return pool.stop(this.host.graceOf(pool, kind) + pool.processGroupConfig.options.shutdownTimeoutSeconds);
      });
      const replaced = this.host.replace(kind, kept, { reason: kind === 'graceful' ? 'graceful restart' : 'restart', kind }, started);
      return {
        reply: Promise.all([replaced, ...stopped]).then(([reply]) => unbound.length === 0 ? reply
          : { ok: false, message: `${reply.message}; could not listen on ${unbound.join(', ')}` }),
      };
    });
  }

  /**
   * Opens the error log and access logs again, at the paths the config names now, and takes its
   * LogLevel: as Apache on a graceful restart, so that logrotate's postrotate can move the files
   * and then ask for one. A piped program the new config still names keeps running (Apache
   * starts it again), so that no line is lost meanwhile.
   */
  private reopenLogs(config: ServerConfig): void {
    this.outputs.renew();
    let routes: ErrorLogRoutes;
    let accessLog: AccessLog;
    try {
      routes = errorLogRoutes(config, this.outputs);
      accessLog = new AccessLog(config, this.outputs);
    } catch (err) {
      // A log that cannot be opened refuses the restart: the previous logs stay.
      this.outputs.restore();
      throw err;
    }
    this.log.level = config.logLevel;
    this.log.route(routes);
    this.frontEnd.replaceAccessLog(accessLog);
    this.outputs.retire(PIPE_GRACE_MS);
  }

  private refused(kind: RestartKind, why: string): ControlReply {
    const message = `${kind} refused, still serving the previous configuration: ${why}`;
    this.log.error(message);
    return { ok: false, message };
  }

  /** Rolling restart of one process group, as a graceful signal to its processes. */
  restartGroup(name: string): Promise<ControlReply> {
    return this.serially(async () => {
      const group = name === '%{GLOBAL}' ? '' : name;
      const pools = this.host.supervisor.poolsOf(group);
      if (pools === null) return answered({ ok: false, message: `no process group called '${name}' is configured` });
      this.log.notice(`Restart of ${groupLabel(group)} requested`);
      const what = `restart-group ${name}`;
      return { reply: this.host.replace(what, pools, { reason: what, kind: 'graceful' }, Date.now()) };
    });
  }

  /** Drains: no new connections, in-flight and queued requests finish (bounded), then the workers stop. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      const timeout = this.config.shutdownTimeout;
      this.control?.close();
      await this.frontEnd.close(timeout);
      await this.host.stop(timeout);
      await this.outputs.close(PIPE_GRACE_MS);
      if (this.config.pidFile) fs.rmSync(this.config.pidFile, { force: true });
    })();
    return this.stopping;
  }

  /**
   * As Apache's: SIGTERM and SIGINT drain and exit 0, a second one exits at once; SIGUSR1 is a
   * graceful restart, SIGHUP a restart (both rolling here, re-reading the config).
   */
  handleSignals(): void {
    let received = 0;
    const onStop = (signal: NodeJS.Signals) => {
      received++;
      if (received > 1) {
        this.log.notice(`${signal} received again; exiting without waiting`);
        this.host.supervisor.killAll();
        process.exit(1);
      }
      this.log.notice(`${signal} received; finishing in-flight requests, then exiting`);
      this.stop().then(() => process.exit(0), (err) => {
        this.log.error(`Error while stopping: ${(err as Error).stack}`);
        process.exit(1);
      });
    };
    process.on('SIGTERM', onStop);
    process.on('SIGINT', onStop);
    process.on('SIGUSR1', () => { void this.restart('graceful'); });
    process.on('SIGHUP', () => { void this.restart('restart'); });
  }
}

/** How long a piped log program has to exit after end-of-file before it gets SIGTERM (Apache's wait for its log programs). */
const PIPE_GRACE_MS = 3000;

/** The main server's ErrorLog and ErrorLogFormat, and those of the vhosts with their own. */
function errorLogRoutes(config: ServerConfig, outputs: LogOutputs): ErrorLogRoutes {
  const main = { write: outputs.writer(config.errorLog ?? { kind: 'stderr' }), formats: config.main.errorLogFormats ?? NO_FORMATS };
  const vhosts = new Map(config.vhosts.filter((vhost) => vhost.errorLog || vhost.errorLogFormats).map((vhost) => [vhost.source, {
    write: vhost.errorLog ? outputs.writer(vhost.errorLog) : main.write,
    formats: vhost.errorLogFormats ?? main.formats,
  }]));
  return { main, serverName: config.main.serverName, vhosts };
}
