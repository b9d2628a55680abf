// The HTTP front end: node:http (llhttp) parses, this module refuses what Apache
// would refuse, maps the request to a mount, builds the environ and hands the
// request to its process group's dispatcher.

import * as http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { ListenAddress, MountConfig, ServerConfig } from '../config/model';
import type { ErrorLog } from '../log/error-log';
import type { Supervisor } from '../process/supervisor';
import type { Dispatcher } from '../process/dispatcher';
import { combinedLine } from './access-log';
import { buildEnviron, environFrame, mountEnviron } from './environ';
import { ERROR_PAGE_TYPE, errorPage, rawErrorResponse } from './error-page';
import { HttpExchange } from './http-exchange';
import { parseTarget, splitAtMount, TargetError } from './request-target';
import { checkRequest, parseErrorStatus } from './request-checks';

/** Statuses after which Apache closes the connection (its ap_status_drops_connection). */
const DROPS_CONNECTION = new Set([400, 408, 411, 413, 414, 431, 500, 501, 503]);

interface Mount {
  config: MountConfig;
  environ: string[];
  dispatcher: Dispatcher;
}

export class FrontEnd {
  private readonly servers: http.Server[] = [];
  private readonly mounts: Mount[];
  private readonly active = new WeakMap<Socket, HttpExchange>();
  private inFlight = 0;
  private idleWaiters: Array<() => void> = [];
  private requestCounter = 0;

  constructor(
    private readonly config: ServerConfig,
    supervisor: Supervisor,
    private readonly log: ErrorLog,
    private readonly accessLog: ((line: string) => void) | null,
  ) {
    this.mounts = config.mounts.map((mount) => {
      const group = supervisor.groups.get(mount.processGroup);
      if (!group) throw new Error(`No WSGI daemon process called '${mount.processGroup}' has been configured: ${mount.script}`);
      return { config: mount, environ: mountEnviron(mount, config), dispatcher: group.dispatcher };
    });
  }

  /** Starts listening on every address; resolves with the bound addresses. */
  async listen(): Promise<AddressInfo[]> {
    return Promise.all(this.config.listen.map((address) => this.listenOn(address)));
  }

  /** Stops accepting, waits for in-flight requests up to `timeoutSeconds`, then closes every connection. */
  async close(timeoutSeconds: number): Promise<void> {
    for (const server of this.servers) {
      server.close();
      server.closeIdleConnections();
    }
    if (this.inFlight > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, timeoutSeconds * 1000);
        this.idleWaiters.push(() => { clearTimeout(timer); resolve(); });
      });
    }
    for (const server of this.servers) server.closeAllConnections();
  }

  private listenOn(address: ListenAddress): Promise<AddressInfo> {
    const limits = this.config;
    const server = http.createServer({
      maxHeaderSize: Math.min(1 << 20, limits.limitRequestLine + limits.limitRequestFields * (limits.limitRequestFieldSize + 2) + 4),
      requireHostHeader: true,
      keepAliveTimeout: limits.keepAliveTimeout * 1000,
      // Long uploads are fine; the header read is bounded instead (slow clients).
      requestTimeout: 0,
      headersTimeout: 60_000,
    });
    server.maxHeadersCount = Math.max(2000, limits.limitRequestFields + 1);
    server.on('request', (req, res) => this.handle(req, res, address));
    // Answering 100 Continue only once the request is known to be acceptable saves the client a refused upload.
    server.on('checkContinue', (req, res) => this.handle(req, res, address));
    server.on('clientError', (err: NodeJS.ErrnoException & { rawPacket?: Buffer }, socket: Socket) => this.clientError(err, socket));
    this.servers.push(server);
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(address.port, address.host, () => {
        server.off('error', reject);
        resolve(server.address() as AddressInfo);
      });
    });
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse, listener: ListenAddress): void {
    const startMicros = Math.round((performance.timeOrigin + performance.now()) * 1000);
    this.inFlight++;
    res.on('close', () => this.requestDone());
    const problem = checkRequest(req, this.config);
    if (problem) return this.refuse(req, res, problem.status, problem.message);
    let target;
    try {
      target = parseTarget(req.url ?? '/');
    } catch (err) {
      if (err instanceof TargetError) return this.refuse(req, res, err.status, err.message);
      throw err;
    }
    let mount: Mount | undefined;
    let split: { scriptName: string; pathInfo: string } | null = null;
    for (const candidate of this.mounts) {
      split = splitAtMount(target.path, candidate.config.mountPoint);
      if (split) {
        mount = candidate;
        break;
      }
    }
    if (!mount || !split) return this.refuse(req, res, 404, `No mount point matches '${target.path}'`, 'info');

    const environ = buildEnviron(req, {
      mount: mount.config,
      mountEnviron: mount.environ,
      scriptName: split.scriptName,
      pathInfo: split.pathInfo,
      query: target.query,
      serverName: this.config.serverName,
      listenerHost: listener.host,
      listenerPort: listener.port,
      startMicros,
      requestId: `${process.pid.toString(36)}-${(++this.requestCounter).toString(36)}`,
    });
    const length = req.headers['content-length'];
    const bodyless = req.headers['transfer-encoding'] === undefined && (length === undefined || length === '0');
    const exchange = new HttpExchange(environFrame(environ), bodyless, req, res, {
      dispatcher: mount.dispatcher,
      log: this.log,
      limitRequestBody: this.config.limitRequestBody,
      script: mount.config.script,
      finished: (status, bytes) => this.accessLog?.(combinedLine(req, status, bytes)),
    });
    if (req.headers.expect?.toLowerCase() === '100-continue') res.writeContinue();
    if (bodyless) {
      mount.dispatcher.dispatch(exchange);
      return;
    }
    // A body that fails to parse in the same packet as the head is refused before Python sees the request.
    this.active.set(req.socket, exchange);
    res.on('close', () => this.active.delete(req.socket));
    queueMicrotask(() => {
      if (this.active.get(req.socket) === exchange && !res.writableEnded) mount.dispatcher.dispatch(exchange);
    });
  }

  private refuse(req: http.IncomingMessage, res: http.ServerResponse, status: number, message: string, level: 'info' | 'error' = 'info'): void {
    this.log.log(level, `Refused ${req.method} ${req.url} from ${req.socket.remoteAddress} with ${status}: ${message}`);
    const page = errorPage(status);
    const hasBody = req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined;
    const headers: http.OutgoingHttpHeaders = { 'Content-Type': ERROR_PAGE_TYPE, 'Content-Length': page.length };
    // Reading an unwanted body just to keep the connection open is not worth it; and after a
    // malformed request the connection's state is doubtful, so Apache closes it too.
    if (hasBody || DROPS_CONNECTION.has(status)) headers.Connection = 'close';
    res.writeHead(status, headers);
    res.end(page);
    this.accessLog?.(combinedLine(req, status, page.length));
  }

  private clientError(err: NodeJS.ErrnoException & { rawPacket?: Buffer }, socket: Socket): void {
    const status = parseErrorStatus(err, this.config);
    const exchange = this.active.get(socket);
    if (exchange) {
      this.log.info(`Refused a malformed request body from ${socket.remoteAddress} with ${status}: ${err.code ?? err.message}`);
      this.active.delete(socket);
      exchange.refuse(status);
      return;
    }
    if (!socket.writable || err.code === 'ECONNRESET') {
      socket.destroy();
      return;
    }
    this.log.info(`Refused a malformed request from ${socket.remoteAddress} with ${status}: ${err.code ?? err.message}`);
    socket.end(rawErrorResponse(status));
    socket.destroySoon();
  }

  private requestDone(): void {
    this.inFlight--;
    if (this.inFlight === 0) for (const wake of this.idleWaiters.splice(0)) wake();
  }
}
