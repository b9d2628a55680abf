// The WSGI host: owns the worker processes (through the supervisor) and serves a
// request, once resolved to a Mount, through its process group. It knows nothing of
// listeners, virtual hosts or Apache: the Apache front end and the library are its users.

import type * as http from 'node:http';
import * as path from 'node:path';
import type { ProcessGroupConfig, ServerConfig } from '../config/model';
import { ErrorLog, type RequestFacts } from '../log/error-log';
import type { ProcessGroup } from '../process/process-group';
import { probeSubInterpreters, probeSubInterpretersAsync, pythonProblemsAsync } from '../process/python-check';
import { RuntimeDir } from '../process/runtime-dir';
import { groupLabel, Supervisor, type ApplicationGroupMode } from '../process/supervisor';
import { EnvironBuilder, environFrame, environValue } from './environ';
import { FetchBridge } from './fetch-bridge';
import { nowMicros } from './clock';
import { HttpExchange } from './http-exchange';
import type { Mount } from './mount';
import { OwnMount } from './own-mount';
import { refuseRequest } from './refusal';
import { hostConfig, type WsgiHostOptions } from './start-options';

export type { WsgiHostOptions } from './start-options';

/** graceful: replaced processes finish their requests (eviction-timeout, else graceful-timeout); restart: shutdown-timeout only. */
export type RestartKind = 'graceful' | 'restart';

/** How a restart went, in the words the control socket and the log use. */
export interface RestartOutcome {
  ok: boolean;
  message: string;
}

/** A WSGI script its pool loads at start, which WSGIScriptReloading watches from then on. */
export interface PreloadedScript {
  script: string;
  processGroup: string;
  applicationGroup: string;
}

/** The pools to start before any request: (process group, application group) pairs, and their preloaded scripts to watch. */
export interface PoolPlan {
  pools: ReadonlyArray<[string, string]>;
  watched: readonly PreloadedScript[];
}

/** What the host is told of a request besides its Mount, and how it reports back (the access log's hooks). */
export interface RequestContext {
  /** Microseconds since the epoch when the request arrived (mod_wsgi.request_start). */
  readonly startMicros: number;
  /** Whether to answer `Expect: 100-continue` once the request is accepted (node:http does it itself without a checkContinue listener). */
  readonly answerContinue: boolean;
  /** The method the application sees, when not the request's: an ErrorDocument's internal redirect is a GET. */
  readonly method?: string;
  /** What the error log's lines for the request read, and whose ErrorLog takes them. */
  readonly errorFacts?: RequestFacts;
  /** The environ is built: its request id and a lookup of its variables. */
  environBuilt?(requestId: string, variable: (name: string) => string | undefined): void;
}

/** A request whose body is still being read: a malformed or late body is refused through it. */
export interface BodyInProgress {
  refuse(status: number): void;
  /** Whether the body is waiting on the client (not on tswsgi, whose buffers may be full). */
  readonly awaitingClient: boolean;
  /** The client is too slow sending the body (`why`, for the log): 408, and the connection closes. */
  readTimedOut(why: string): void;
}

/** What a host started by WsgiHost.start has beyond the Apache server's: its one mount, and its interpreters' sub-interpreter APIs, asked off the event loop. */
export interface LibraryParts {
  own: OwnMount;
  subInterpreters: ReadonlyMap<string, string | null>;
}

export class WsgiHost {
  readonly supervisor: Supervisor;
  private readonly runtime: RuntimeDir;
  private readonly environs = new EnvironBuilder();
  /** Per interpreter, its sub-interpreter API (null: none), asked once per host. */
  private readonly subInterpreters: Map<string, string | null>;
  /** The library's mount; null for the Apache server's host, which resolves each request's. */
  private readonly own: OwnMount | null;
  private requestCounter = 0;
  private closing: Promise<void> | null = null;
  private bridge: FetchBridge | null = null;

  /**
   * A host with its own mount, serving `handler`: resolves once every process has loaded its
   * import scripts. Throws when an option is wrong or the interpreter does not run.
   */
  static async start(options: WsgiHostOptions): Promise<WsgiHost> {
    const config = hostConfig(options);
    const problems = await pythonProblemsAsync(config.processGroups);
    if (problems.length > 0) throw new Error(problems.join('; '));
    const pythons = [...new Set(config.processGroups.map((group) => group.python))];
    const apis = await Promise.all(pythons.map(probeSubInterpretersAsync));
    const log = new ErrorLog(config.logLevel, { write: options.errorLog ?? ((line) => process.stderr.write(line)) });
    const own = new OwnMount(config);
    const host = new WsgiHost(config, log, own.plan(), { own, subInterpreters: new Map(pythons.map((python, i) => [python, apis[i]!])) });
    host.openRuntime();
    if (!(await host.startProcesses())) throw new Error('the host was closed before its processes were ready');
    return host;
  }

  constructor(private config: ServerConfig, readonly log: ErrorLog, plan: PoolPlan, library: LibraryParts | null = null) {
    this.own = library?.own ?? null;
    this.subInterpreters = new Map(library?.subInterpreters);
    this.runtime = new RuntimeDir(config.runtimeDir);
    this.supervisor = new Supervisor(config, this.runtime, log, plan.pools, (group) => this.applicationGroupMode(group));
    this.watchPreloaded(plan.watched);
  }

  /** Scripts loaded at start are watched from then on, not from their first request (as mod_wsgi compares with the loaded file). */
  private watchPreloaded(watched: readonly PreloadedScript[]): void {
    for (const { script, processGroup, applicationGroup } of watched) {
      const pool = this.supervisor.pool(processGroup, applicationGroup);
      if (pool) this.supervisor.noteScript(script, pool);
    }
  }

  /** Sub-interpreters as mod_wsgi has them, unless asked otherwise or the group's Python has none. */
  private applicationGroupMode(group: ProcessGroupConfig): ApplicationGroupMode {
    const wanted = this.config.applicationGroups;
    if (wanted === 'processes') return 'processes';
    if (!this.subInterpreters.has(group.python)) this.subInterpreters.set(group.python, probeSubInterpreters(group.python));
    if (this.subInterpreters.get(group.python)) return 'sub-interpreters';
    const how = `${group.python} has no sub-interpreters that can run threads; each application group of ${groupLabel(group.name)} runs in processes of its own`;
    if (wanted === 'sub-interpreters') this.log.warn(how);
    else this.log.info(how);
    return 'processes';
  }

  /** Makes the runtime directory (sockets), throwing if it cannot be trusted; returns its path. */
  openRuntime(): string {
    return this.runtime.open();
  }

  /** Starts every planned pool; resolves true once each process has loaded its import scripts, false if stopped before. */
  startProcesses(): Promise<boolean> {
    return this.supervisor.start();
  }

  /**
   * For node:http's 'request' event, or an Express or Connect app's use(): serves the request
   * through the host's own mount. Only for a host made by WsgiHost.start.
   */
  readonly handler = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    if (!this.own) throw new Error('handler serves only a host made by WsgiHost.start');
    if (this.closing) return refuseRequest(this.log, req, res, 503, 'the WSGI host is closing');
    const resolved = this.own.resolve(req);
    if ('status' in resolved) return refuseRequest(this.log, req, res, resolved.status, resolved.message);
    // node:http answers 100 Continue itself when its server has no checkContinue listener.
    this.serve(req, res, resolved.mount, { startMicros: nowMicros(), answerContinue: false });
  };

  /** Serves a WHATWG Request (Hono, fetch-style servers) as `handler` serves a node:http one; SCRIPT_NAME is the mount point. */
  fetch(request: Request): Promise<Response> {
    if (!this.own) throw new Error('fetch serves only a host made by WsgiHost.start');
    this.bridge ??= new FetchBridge(this.handler, path.join(this.runtime.path, 'fetch.sock'));
    return this.bridge.fetch(request);
  }

  /** A rolling restart of every process, new before old, as `tswsgi graceful`. */
  graceful(): Promise<RestartOutcome> {
    this.log.notice('Graceful restart requested; replacing every process, new before old');
    return this.replace('graceful', this.supervisor.all, { reason: 'graceful restart', kind: 'graceful' }, Date.now());
  }

  /** Refuses new requests, lets those in flight finish (within shutdownTimeout), and stops every worker. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.bridge?.close();
      await this.stop(this.config.shutdownTimeout);
    })();
    return this.closing;
  }

  /**
   * Serves one request through its mount's process group, or refuses it as mod_wsgi would.
   * Returns the request while its body is still being read, else null.
   */
  serve(req: http.IncomingMessage, res: http.ServerResponse, mount: Mount, context: RequestContext): BodyInProgress | null {
    const { settings } = mount;
    if (req.headers['transfer-encoding'] !== undefined && !settings.chunkedRequest) {
      refuseRequest(this.log, req, res, 411, 'Received request requiring chunked transfer encoding, but optional support for chunked transfer encoding has not been enabled.', 'error');
      return null;
    }
    const refusal = this.groupRefusal(mount);
    if (refusal) {
      refuseRequest(this.log, req, res, 500, refusal, 'error');
      return null;
    }
    const { processGroup, applicationGroup } = mount;
    const group = this.supervisor.pool(processGroup, applicationGroup)!;
    if (settings.scriptReloading && !mount.module) this.supervisor.noteScript(mount.script, group);

    const method = context.method ?? (req.method === 'HEAD' && settings.mapHeadToGet === 'on' ? 'GET' : (req.method ?? 'GET'));
    const requestId = `${process.pid.toString(36)}-${(++this.requestCounter).toString(36)}`;
    const setEnv = settings.setEnv ?? [];
    const environ = this.environs.build(req, {
      script: { script: mount.script, module: mount.module, documentRoot: mount.documentRoot, context: mount.context, processGroup, applicationGroup, callableObject: mount.callableObject, scriptReloading: settings.scriptReloading },
      method,
      scriptName: mount.scriptName,
      pathInfo: mount.pathInfo,
      query: mount.query,
      serverName: mount.serverName,
      serverPort: mount.serverPort,
      listenerHost: mount.listenerHost,
      listenerPort: mount.listenerPort,
      passAuthorization: settings.passAuthorization,
      setEnv,
      trustedProxyHeaders: settings.trustedProxyHeaders,
      trustedProxies: settings.trustedProxies,
      startMicros: context.startMicros,
      requestId,
    });
    context.environBuilt?.(requestId, (name) => environValue(environ, name));
    const length = req.headers['content-length'];
    const bodyless = req.headers['transfer-encoding'] === undefined && (length === undefined || length === '0');
    const exchange = new HttpExchange(applicationGroup, environ.constant, environFrame(environ, bodyless), bodyless, req, res, {
      dispatcher: group.dispatcher,
      log: context.errorFacts ? this.log.forRequest(context.errorFacts) : this.log,
      limitRequestBody: settings.limitRequestBody,
      script: mount.script,
      clientTimeout: this.config.timeout,
      defaultCharset: settings.addDefaultCharset ?? null,
    });
    if (context.answerContinue && req.headers.expect?.toLowerCase() === '100-continue') res.writeContinue();
    exchange.begin();
    return !bodyless && !req.complete ? exchange : null;
  }

  /** mod_wsgi's checks on the process group a request resolved to, with its messages. */
  private groupRefusal(mount: Mount): string | null {
    const { processGroup: name, script } = mount;
    const restrict = mount.settings.restrictProcess;
    if (restrict && !restrict.includes(name)) {
      return `Daemon process called '${name}' cannot be accessed by this WSGI application as not a member of allowed groups: ${script}`;
    }
    if (name === '' && this.config.restrictEmbedded) return `Embedded mode of mod_wsgi disabled by runtime configuration: ${script}`;
    const group = this.supervisor.group(name);
    if (!group) return `No WSGI daemon process called '${name}' has been configured: ${script}`;
    const owner = group.vhostServerName;
    if (owner !== null && owner !== mount.serverName) {
      return `Daemon process called '${name}' cannot be accessed by this WSGI application: ${script}`;
    }
    return null;
  }

  /**
   * Moves to a new config in two steps (see Supervisor.reconfigure): null when a pool it adds
   * did not start, and nothing changed; else the pools kept and those to stop.
   */
  async reconfigure(config: ServerConfig, plan: PoolPlan): Promise<{ kept: ProcessGroup[]; removed: ProcessGroup[] } | null> {
    const moved = await this.supervisor.reconfigure(config, plan.pools);
    if (moved === null) return null;
    this.config = config;
    this.watchPreloaded(plan.watched);
    return moved;
  }

  graceOf(pool: ProcessGroup, kind: RestartKind): number {
    return kind === 'restart' ? 0 : pool.evictionTimeout;
  }

  /**
   * Starts the rolling replacement of these pools at once; resolves with the outcome once it is
   * done or has failed, naming the pools where a replacement failed.
   */
  async replace(what: string, pools: ProcessGroup[], how: { reason: string; kind: RestartKind }, started: number): Promise<RestartOutcome> {
    const done = await Promise.all(pools.map((pool) => pool.restart({ reason: how.reason, grace: this.graceOf(pool, how.kind) })));
    const failed = pools.filter((_, i) => !done[i]).map((pool) => pool.label);
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    const message = failed.length === 0 ? `${what}: every process replaced in ${seconds} s`
      : `${what}: some replacements failed after ${seconds} s in ${failed.join(', ')}; any process they were to replace keeps serving (see the error log)`;
    this.log.notice(message);
    return { ok: failed.length === 0, message };
  }

  /** Stops every worker, letting in-flight requests finish within the timeout, and removes the runtime directory. */
  async stop(timeoutSeconds: number): Promise<void> {
    await this.supervisor.stop(timeoutSeconds);
    this.runtime.remove();
  }
}
