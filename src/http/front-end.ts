// The HTTP front end: node:http (llhttp) parses, this module refuses what Apache
// would refuse, routes the request, builds the environ and hands the request to
// its process group's dispatcher (or serves a static file).

import * as http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { ListenAddress, ServerConfig, VirtualHost } from '../config/model';
import type { ErrorLog } from '../log/error-log';
import { parseHost, plainAddress } from '../host/environ';
import { ERROR_PAGE_TYPE, errorPage, rawErrorResponse } from '../host/error-page';
import { logRefusal, refuseRequest, sendErrorPage } from '../host/refusal';
import { parseTarget, TargetError } from '../host/request-target';
import type { BodyInProgress, RequestContext, WsgiHost } from '../host/wsgi-host';
import type { AccessLog } from './access-log';
import { ConnectionOrder } from './connection-order';
import { ConnectionSlots } from './connection-slots';
import { ReadTimeouts, stageOf } from './read-timeouts';
import { connectionLimit } from './descriptor-limit';
import { CONDITIONAL_HEADERS, errorDocumentFor, redirectVariables } from './error-documents';
import { expandGroupName } from './group-names';
import { checkBodyLength, checkRequest, parseErrorStatus, validHost, type ParseError } from './request-checks';
import { MeteredResponse, RequestRecord, type MeteredServer } from './request-record';
import { accessGranted } from './access';
import { applyConditions, applySetEnv, RequestVariables } from './request-env';
import { Router, type ResolvedDir, type Route } from './router';
import { serveStatic } from './static-files';
import { answerTrace } from './trace';

type WsgiRoute = Extract<Route, { kind: 'wsgi' }>;

/** A request once routed: what an ErrorDocument for its refusal needs (its scope, and how to serve another URL in its place). */
interface Routed {
  dir: ResolvedDir;
  vhost: VirtualHost;
  listener: ListenAddress;
  record: RequestRecord;
  /** The decoded URL path and the raw query string. */
  uri: string;
  query: string;
}

export class FrontEnd {
  /** The listening sockets, each with the Listen address it was opened for. */
  private listeners: Array<{ server: MeteredServer; address: ListenAddress }> = [];
  /** Every listening socket opened, also those a graceful restart retired, whose connections may linger. */
  private readonly servers = new Set<MeteredServer>();
  /** Addresses a graceful restart removed: requests still arriving on their connections close them. */
  private readonly retired = new WeakSet<ListenAddress>();
  private router: Router;
  private readonly order = new ConnectionOrder();
  private readonly slots: ConnectionSlots;
  private readonly readTimeouts: ReadTimeouts;
  /** Per connection, the request node:http parsed last: a parse error while its body is incomplete is that request's. */
  private readonly lastRequest = new WeakMap<Socket, http.IncomingMessage>();
  /** Requests whose body is still being read: a malformed body is refused through them. */
  private readonly active = new WeakMap<http.IncomingMessage, BodyInProgress>();
  /** Requests waiting behind others on their connection whose body turned out malformed: refused when their turn comes. */
  private readonly malformed = new WeakMap<http.IncomingMessage, number>();
  /** When the front end last said it was at its connection limit (once per burst). */
  private droppedAt = 0;
  private inFlight = 0;
  private idleWaiters: Array<() => void> = [];
  /** Each request's record, for the error log lines logged for it. */
  private readonly records = new WeakMap<http.IncomingMessage, RequestRecord>();

  constructor(
    private config: ServerConfig,
    private readonly host: WsgiHost,
    private readonly log: ErrorLog,
    private accessLog: AccessLog,
  ) {
    this.router = new Router(config);
    this.slots = new ConnectionSlots(config.maxRequestWorkers, log);
    this.readTimeouts = new ReadTimeouts(log);
  }

  /** From now on requests are logged to `log` (a graceful restart reopens the files, as Apache's does). */
  replaceAccessLog(log: AccessLog): void {
    this.accessLog = log;
  }

  /**
   * A graceful restart's new config: requests from now on are routed by it. Listening sockets
   * whose address stays are kept, so no connection is refused meanwhile; new addresses are
   * bound, and addresses no longer listed stop taking connections (their connections close after
   * the request they carry). Resolves with what could not be bound, each as "host:port: error".
   */
  async reconfigure(config: ServerConfig): Promise<string[]> {
    this.config = config;
    this.router = new Router(config);
    this.slots.setLimit(config.maxRequestWorkers);
    // Each Listen line keeps a socket opened for the same host:port, if one is left over.
    const kept = new Set<(typeof this.listeners)[number]>();
    const added: ListenAddress[] = [];
    for (const address of config.listen) {
      const same = this.listeners.find((l) => !kept.has(l) && listenKey(l.address) === listenKey(address));
      if (same) kept.add(same);
      else added.push(address);
    }
    for (const listener of this.listeners) {
      if (kept.has(listener)) continue;
      this.retired.add(listener.address);
      listener.server.close();
      listener.server.closeIdleConnections();
      this.log.notice(`No longer listening on ${listenKey(listener.address)}`);
    }
    this.listeners = [...kept];
    const problems: string[] = [];
    for (const address of added) {
      try {
        await this.listenOn(address);
        this.log.notice(`Listening on ${listenKey(address)}`);
      } catch (err) {
        problems.push(`${listenKey(address)}: ${(err as Error).message}`);
      }
    }
    return problems;
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
    this.slots.dropWaiting();
    if (this.inFlight > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, timeoutSeconds * 1000);
        this.idleWaiters.push(() => { clearTimeout(timer); resolve(); });
      });
    }
    this.readTimeouts.close();
    for (const server of this.servers) server.closeAllConnections();
  }

  private listenOn(address: ListenAddress): Promise<AddressInfo> {
    const limits = this.config;
    const server: MeteredServer = http.createServer<typeof http.IncomingMessage, typeof MeteredResponse>({
      ServerResponse: MeteredResponse,
      maxHeaderSize: Math.min(1 << 20, limits.limitRequestLine + 1 + limits.limitRequestFields * (limits.limitRequestFieldSize + 3) + 4),
      // Missing Host and unknown expectations are refused by checkRequest, in turn with the requests
      // pipelined around them: node:http's own answers to them would overtake those, and a response
      // queued behind one that closes the connection would never be written (nor counted done).
      requireHostHeader: false,
      keepAliveTimeout: limits.keepAlive ? limits.keepAliveTimeout * 1000 : 0,
      // Long uploads are fine; the request head is bounded instead, and the body by Timeout between its pieces.
      requestTimeout: 0,
      headersTimeout: limits.timeout * 1000,
      // node:http looks for heads past headersTimeout this often (30 s by default): Timeout holds to within a second.
      connectionsCheckingInterval: 1000,
    });
    server.maxHeadersCount = Math.max(2000, limits.limitRequestFields + 1);
    // A client that shuts down its sending side after its requests (`nc -N`, `printf ... | nc`) is
    // answered, as Apache answers it; by default node:http drops every request of such a connection.
    (server as unknown as { httpAllowHalfOpen: boolean }).httpAllowHalfOpen = true;
    if (limits.maxKeepAliveRequests > 0) server.maxRequestsPerSocket = limits.maxKeepAliveRequests;
    // Past it, new connections are closed at once instead of the process running out of descriptors.
    server.maxConnections = Math.max(1, Math.floor(connectionLimit(this.config) / Math.max(1, this.config.listen.length)));
    server.on('drop', () => this.atConnectionLimit(server.maxConnections));
    // Heads are read under the RequestReadTimeout of the vhost the connection's address selects, as Apache's base server.
    this.slots.gate(server, (socket) => this.readTimeouts.watch(socket, stageOf(this.config,
      this.router.selectVhost(plainAddress(socket.localAddress), socket.localPort ?? address.port, null), 'header')));
    server.on('request', (req, res) => this.admit(req, res, address));
    // Answering 100 Continue only once the request is known to be acceptable saves the client a refused upload.
    server.on('checkContinue', (req, res) => this.admit(req, res, address));
    server.on('checkExpectation', (req, res) => this.admit(req, res, address));
    server.on('clientError', (err: ParseError, socket: Socket) => this.clientError(err, socket));
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(address.port, address.host, () => {
        server.off('error', reject);
        this.listeners.push({ server, address });
        this.servers.add(server);
        resolve(server.address() as AddressInfo);
      });
    });
  }

  private atConnectionLimit(limit: number): void {
    const now = Date.now();
    if (now - this.droppedAt > 10_000) {
      this.log.warn(`At the limit of ${limit} client connections per listener (from the open files limit); closing new connections until some end`);
    }
    this.droppedAt = now;
  }

  /** A request node:http parsed: it runs once the requests ahead of it on its connection are answered. */
  private admit(req: http.IncomingMessage, res: MeteredResponse, listener: ListenAddress): void {
    // The rest of a head that came after RequestReadTimeout cut its connection: not a request to run.
    if (this.readTimeouts.wasCut(req.socket)) return;
    this.lastRequest.set(req.socket, req);
    this.slots.requestBegun(req, res);
    this.readTimeouts.requestBegun(req, res);
    const admitted = this.order.admit(req, res, () => {
      const failed = this.malformed.get(req);
      if (failed === undefined) return this.handle(req, res, listener);
      this.startRecord(req, res);
      this.refuse(req, res, failed, 'malformed request body');
    });
    if (!admitted) this.log.debug(`Not running ${req.method} ${req.url} from ${req.socket.remoteAddress}: it came after an answer that closes its connection`);
  }

  /** Counts the request in flight until its answer is done, then writes its access log line. */
  private startRecord(req: http.IncomingMessage, res: MeteredResponse): RequestRecord {
    const record = new RequestRecord(req, res);
    this.records.set(req, record);
    this.inFlight++;
    res.on('close', () => {
      record.end();
      if (record.logId !== null) this.log.requestEnded(record.logId);
      this.accessLog.write(record);
      this.requestDone();
    });
    return record;
  }

  private handle(req: http.IncomingMessage, res: MeteredResponse, listener: ListenAddress): void {
    const record = this.startRecord(req, res);
    if (!this.config.keepAlive || this.retired.has(listener)) res.shouldKeepAlive = false;
    const problem = checkRequest(req, this.config);
    if (problem) return this.refuse(req, res, problem.status, problem.message);
    if (req.url === '*') return this.asterisk(req, res);
    let target;
    try {
      target = parseTarget(req.url ?? '/');
    } catch (err) {
      if (err instanceof TargetError) return this.refuse(req, res, err.status, err.message);
      throw err;
    }
    record.uri = target.path;
    // RFC 9112 §3.2.2, as Apache: an absolute-form target's authority replaces the Host header.
    if (target.authority !== null) {
      if (!validHost(target.authority)) return this.refuse(req, res, 400, `malformed host in the request target '${req.url}'`);
      replaceHost(req, target.authority);
    }
    const hostName = req.headers.host?.replace(/:\d*$/, '').toLowerCase() ?? null;
    const localPort = req.socket.localPort ?? listener.port;
    const local = plainAddress(req.socket.localAddress);
    const client = plainAddress(req.socket.remoteAddress);
    const vhost = this.router.selectVhost(local, localPort, hostName);
    // Apache's post-read-request phase: SetEnvIf outside sections, on the path as sent.
    const variables = new RequestVariables();
    const early = this.router.serverConditions(vhost);
    if (early.length > 0) applyConditions(early, { req, client, local, uri: target.rawPath }, variables);
    if (req.method === 'TRACE') {
      return answerTrace(req, res, vhost.traceEnable ?? this.config.main.traceEnable ?? 'on', (status, message) => this.refuse(req, res, status, message));
    }
    const route = this.router.route(vhost, target.path);
    record.routed(route, variables);
    const routed: Routed = { dir: route.dir, vhost, listener, record, uri: target.path, query: target.query };
    // A refusal of Apache's handler (a file not found) comes after the access checks, as in Apache.
    if (route.kind !== 'refuse' || route.afterAccess) {
      // The header-parser phase (SetEnvIf in sections), the access check, then the fixups (SetEnv).
      if (route.dir.envConditions) applyConditions(route.dir.envConditions, { req, client, local, uri: target.path }, variables);
      const facts = { client, local, method: req.method ?? 'GET', variable: (name: string) => variables.get(name) };
      if (!accessGranted(route.dir, facts)) {
        return this.refuse(req, res, 403, `client denied by server configuration: ${route.kind === 'wsgi' ? route.script : route.file}`, 'error', routed);
      }
      if (route.dir.setEnv) applySetEnv(route.dir.setEnv, variables);
    }
    // As Apache's protocol handling: the connection closes after this answer (Debian sets it for old browsers).
    if (variables.get('nokeepalive') !== undefined) res.shouldKeepAlive = false;
    if (route.kind === 'refuse') return this.refuse(req, res, route.status, route.message, route.status === 404 ? 'info' : 'error', routed);
    const tooLarge = checkBodyLength(req, route.dir.limitRequestBody);
    if (tooLarge) return this.refuse(req, res, tooLarge.status, tooLarge.message, 'info', routed);
    if (route.kind === 'redirect') return this.slashRedirect(req, res, route.vhost, route.path, target.query);
    if (route.kind === 'static') return serveStatic(req, res, route, this.config, (status, message) => this.refuse(req, res, status, message, 'info', routed));
    this.runScript(req, res, listener, route, target.query, record, variables.pairs());
  }

  /**
   * Resolves the Mount (the groups' %{...} names expanded) and hands the request to the WSGI host,
   * with `setEnv`, the request's variables (SetEnvIf's, then SetEnv's), for the environ.
   */
  private runScript(req: http.IncomingMessage, res: MeteredResponse, listener: ListenAddress, route: WsgiRoute,
    query: string, context: RequestContext, setEnv: Array<[string, string]>): void {
    const { dir, vhost } = route;
    const expansion = {
      serverName: vhost.serverName,
      // Apache's ap_get_server_port, as for SERVER_PORT: the Host header's port, else ServerName's, else 80.
      port: Number(req.headers.host ? parseHost(req.headers.host).port : null) || vhost.serverPort || 80,
      scriptName: route.scriptName,
      hostHeader: req.headers.host,
      setEnv,
    };
    const callableObject = /^%\{ENV:[^}]+\}$/.test(dir.callableObject) ? (expandGroupName(dir.callableObject, expansion).replace(/^%.*/, 'application')) : dir.callableObject;
    const inProgress = this.host.serve(req, res, {
      script: route.script,
      module: route.module,
      callableObject,
      processGroup: expandGroupName(dir.processGroup, expansion),
      applicationGroup: expandGroupName(dir.applicationGroup, expansion),
      scriptName: route.scriptName,
      pathInfo: route.pathInfo,
      query,
      documentRoot: vhost.documentRoot,
      context: route.context,
      serverName: vhost.serverName,
      serverPort: vhost.serverPort,
      listenerHost: listener.host,
      listenerPort: listener.port,
      settings: { ...dir, setEnv },
    }, context);
    // The worker's lines for it carry its id: they go to its vhost's ErrorLog, with its fields.
    const record = this.records.get(req)!;
    if (record.logId !== null) this.log.noteRequest(record.logId, record.errorFacts);
    if (inProgress) {
      this.active.set(req, inProgress);
      this.readTimeouts.bodyStarted(req, res, inProgress, stageOf(this.config, vhost, 'body'));
      const done = () => this.active.delete(req);
      req.once('end', done);
      res.once('close', done);
    }
  }

  /** `OPTIONS *` asks about the server itself: Apache's core answers 200 with no body; any other method is a 400. */
  private asterisk(req: http.IncomingMessage, res: MeteredResponse): void {
    if (req.method !== 'OPTIONS') return this.refuse(req, res, 400, `request target '*' with method ${req.method}`);
    res.writeHead(200, { 'Content-Length': 0 });
    res.end();
  }

  /**
   * mod_dir's DirectorySlash 301. The URL is built as ap_construct_url does: the Host header's
   * name and port (else ServerName's), port 80 left out, the path escaped as ap_escape_uri does.
   */
  private slashRedirect(req: http.IncomingMessage, res: http.ServerResponse, vhost: VirtualHost,
    urlPath: string, query: string): void {
    const host = req.headers.host ? parseHost(req.headers.host) : null;
    const port = host?.port || String(vhost.serverPort ?? 80);
    const escaped = urlPath.replace(/[^A-Za-z0-9$\-_.+!*'(),:@&=/~]/g, (c) => '%' + c.charCodeAt(0).toString(16).padStart(2, '0'));
    const location = `http://${host?.name || vhost.serverName}${port === '80' ? '' : ':' + port}${escaped}${query ? '?' + query : ''}`;
    this.log.info(`Redirected ${req.method} ${req.url} to ${location} (the URL names a directory)`);
    const page = errorPage(301, { location });
    res.writeHead(301, { Location: location, 'Content-Type': ERROR_PAGE_TYPE, 'Content-Length': page.length });
    res.end(page);
  }

  /** An error response of the front end's own: the canned page, or once routed, the scope's ErrorDocument for it. */
  private refuse(req: http.IncomingMessage, res: MeteredResponse, status: number, message: string,
    level: 'info' | 'error' = 'info', routed?: Routed): void {
    const document = routed ? errorDocumentFor(routed.dir, status) : null;
    const log = this.log.forRequest(this.records.get(req)!.errorFacts);
    if (!document) return refuseRequest(log, req, res, status, message, level);
    logRefusal(log, req, status, message, level);
    if (document.kind === 'text') return sendErrorPage(req, res, status, Buffer.from(document.text, 'latin1'));
    // Apache sends a 302 to a full URL, whatever the error was.
    if (document.kind === 'remote') return sendErrorPage(req, res, 302, errorPage(302, { location: document.url }), { Location: document.url });
    this.errorDocument(req, res, status, document.path, routed!);
  }

  /**
   * ErrorDocument's local URL, as Apache's internal redirect: routed afresh in the same vhost as a
   * GET. A static file goes out with the error's status; a WSGI script answers with its own, seeing
   * the REDIRECT_* variables. If that request fails in turn, the canned page says so.
   */
  private errorDocument(req: http.IncomingMessage, res: MeteredResponse, status: number, url: string, routed: Routed): void {
    // Apache's page names the status the redirected request carried, the first error's, whatever the second was.
    const failed = (second: number, message: string) => {
      this.log.forRequest(routed.record.errorFacts).info(`ErrorDocument ${url} for ${req.method} ${req.url} failed with ${second}: ${message}`);
      sendErrorPage(req, res, status, errorPage(status, { method: req.method, recursive: status }));
    };
    let target;
    try {
      target = parseTarget(url);
    } catch (err) {
      if (err instanceof TargetError) return failed(err.status, err.message);
      throw err;
    }
    const route = this.router.route(routed.vhost, target.path);
    const facts = { client: plainAddress(req.socket.remoteAddress), local: plainAddress(req.socket.localAddress), method: 'GET', variable: () => undefined };
    if ((route.kind !== 'refuse' || route.afterAccess) && !accessGranted(route.dir, facts)) return failed(403, 'client denied by server configuration');
    if (route.kind === 'refuse') return failed(route.status, route.message);
    if (route.kind === 'redirect') return failed(301, 'the ErrorDocument names a directory without its trailing slash');
    for (const name of CONDITIONAL_HEADERS) delete req.headers[name];
    if (route.kind === 'static') return serveStatic(req, res, route, this.config, (second, message) => failed(second, message), status);
    const { record } = routed;
    const context: RequestContext = {
      startMicros: record.startMicros,
      answerContinue: record.answerContinue,
      environBuilt: (id, variable) => record.environBuilt(id, variable),
      errorFacts: record.errorFacts,
      method: 'GET',
    };
    const setEnv = [...(route.dir.setEnv ?? []), ...redirectVariables(routed.uri, routed.query, status, req.method ?? 'GET')];
    this.runScript(req, res, routed.listener, route, target.query, context, setEnv);
  }

  /**
   * What node:http could not parse. In the body of the request parsed last, it is that request's
   * error; after it, it is a later request's, answered once those before it are (as Apache does).
   */
  private clientError(err: ParseError, socket: Socket): void {
    // A connection that never sent a byte gets no answer when Timeout passes, as in Apache.
    if (!socket.writable || err.code === 'ECONNRESET' || (err.code === 'ERR_HTTP_REQUEST_TIMEOUT' && socket.bytesRead === 0)) {
      socket.destroy();
      return;
    }
    const status = parseErrorStatus(err);
    const last = this.lastRequest.get(socket);
    const inBody = last !== undefined && !last.complete;
    this.log.info(`Refused a malformed request${inBody ? ' body' : ''} from ${socket.remoteAddress} with ${status}: ${err.code ?? err.message}`);
    if (inBody) {
      const exchange = this.active.get(last);
      if (exchange) {
        this.active.delete(last);
        exchange.refuse(status);
        return;
      }
      this.malformed.set(last, status);
    }
    const answer = rawErrorResponse(status);
    if (this.order.failBehind(socket, answer)) return;
    socket.end(answer);
    socket.destroySoon();
  }

  private requestDone(): void {
    this.inFlight--;
    if (this.inFlight === 0) for (const wake of this.idleWaiters.splice(0)) wake();
  }
}

const listenKey = (address: ListenAddress) => `${address.host}:${address.port}`;

/** Puts `authority` in place of every Host header, for the router and the environ alike. */
function replaceHost(req: http.IncomingMessage, authority: string): void {
  req.headers.host = authority;
  const raw = req.rawHeaders;
  let found = false;
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i]!.toLowerCase() !== 'host') continue;
    if (found) {
      raw.splice(i, 2);
      i -= 2;
    } else {
      raw[i + 1] = authority;
      found = true;
    }
  }
  if (!found) raw.push('Host', authority);
}
