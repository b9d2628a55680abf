// What one request's access log line is made of, gathered while it is served: the body
// bytes of its answer, its connection's byte and request counts (mod_logio's %I and %O,
// %k), its start and end, and what routing found (vhost, file, handler, variables).

import * as http from 'node:http';
import type { Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import type { VirtualHost } from '../config/model';
import type { ConnectionFacts, RequestFacts } from '../log/error-log';
import { nowMicros } from '../host/clock';
import { parseHost, plainAddress } from '../host/environ';
import type { RequestContext } from '../host/wsgi-host';
import type { Handler, Route } from './router';

/** Statuses whose answers have no body (and HEAD has none either), as node:http treats them. */
const BODYLESS = new Set([204, 304]);

/** node:http's response, counting the body bytes it is given (%b and %B count only those, not the head). */
export class MeteredResponse extends http.ServerResponse {
  bodyBytes = 0;

  // node:http's overloads, passed on as they come.
  override write(chunk: any, encoding?: any, callback?: any): boolean {
    this.count(chunk, encoding);
    return super.write(chunk, encoding, callback);
  }

  override end(chunk?: any, encoding?: any, callback?: any): this {
    if (typeof chunk !== 'function') this.count(chunk, encoding);
    return super.end(chunk, encoding, callback);
  }

  private count(chunk: unknown, encoding: unknown): void {
    if (chunk === undefined || chunk === null || this.req.method === 'HEAD' || this.statusCode < 200 || BODYLESS.has(this.statusCode)) return;
    this.bodyBytes += typeof chunk === 'string' ? Buffer.byteLength(chunk, typeof encoding === 'string' ? encoding as BufferEncoding : 'utf8')
      : (chunk as Uint8Array).byteLength;
  }
}

/** A node:http server whose responses are MeteredResponses. */
export type MeteredServer = http.Server<typeof http.IncomingMessage, typeof MeteredResponse>;

/** Per connection: requests begun on it, and its byte counts when the last one ended. */
interface ConnectionCounts {
  requests: number;
  bytesRead: number;
  bytesWritten: number;
}

const connections = new WeakMap<Socket, ConnectionCounts>();

function countsOf(socket: Socket): ConnectionCounts {
  let counts = connections.get(socket);
  if (!counts) connections.set(socket, (counts = { requests: 0, bytesRead: 0, bytesWritten: 0 }));
  return counts;
}

const address = (host: string | undefined, port: number | undefined) => `${plainAddress(host)}:${port ?? 0}`;

/** Per connection: what ErrorLogFormat's connection fields read, made when a line is first logged for one of its requests. */
const connectionFacts = new WeakMap<Socket, ConnectionFacts>();

function connectionOf(socket: Socket): ConnectionFacts {
  let facts = connectionFacts.get(socket);
  if (!facts) {
    facts = {
      remote: address(socket.remoteAddress, socket.remotePort),
      local: address(socket.localAddress, socket.localPort),
      keepalives: () => Math.max(0, countsOf(socket).requests - 1),
      // As Apache's: 8 random-looking bytes in base64, without the trailing '='.
      logId: randomBytes(8).toString('base64').slice(0, 11),
      logged: false,
    };
    connectionFacts.set(socket, facts);
  }
  return facts;
}

/** Also the WSGI host's context of a request: it reads the start time and reports the request id and environ back. */
export class RequestRecord implements RequestContext {
  /** Microseconds since the epoch when it was taken up (%t, and the start of %D and %T). */
  readonly startMicros = nowMicros();
  /** Requests its connection carried before it (%k). */
  readonly keepalives: number;
  endMicros = 0;
  /** Bytes read from and written to the connection for it, head and body (%I, %O). */
  bytesIn = 0;
  bytesOut = 0;
  /** %X: 'X' when the answer was cut short, '+' when the connection stays open after it, '-' when it closes. */
  connectionStatus: 'X' | '+' | '-' = '-';
  /** The vhost that answered; null when it was refused before one was chosen (the main server's logs take it). */
  vhost: VirtualHost | null = null;
  /** The decoded URL path (%U); null until the target was read. */
  uri: string | null = null;
  filename: string | null = null;
  handler: Handler | null = null;
  /** The request id a WSGI request gets (mod_wsgi.request_id), which %L shows. */
  logId: string | null = null;
  /** The request's variables (%e, CustomLog env=): a WSGI request's environ, else SetEnvIf's and SetEnv's. */
  variable: (name: string) => string | undefined = () => undefined;
  /** The front end answers 100 Continue itself, once the request is known to be acceptable. */
  readonly answerContinue = true;
  private ended = false;
  private facts: RequestFacts | null = null;

  constructor(readonly req: http.IncomingMessage, readonly res: MeteredResponse) {
    this.keepalives = countsOf(req.socket).requests++;
    // At 'finish' the answer is all in the socket and the next request on the connection has not begun.
    res.once('finish', () => this.end());
  }

  /** What the error log's lines for it read (ErrorLogFormat's fields, its vhost's ErrorLog). */
  get errorFacts(): RequestFacts {
    if (this.facts) return this.facts;
    const { req } = this;
    const record = this;
    this.facts = {
      connection: connectionOf(req.socket),
      remote: address(req.socket.remoteAddress, req.socket.remotePort),
      header: (name) => {
        const value = req.headers[name.toLowerCase()];
        return Array.isArray(value) ? value.join(', ') : value;
      },
      variable: (name) => record.variable(name),
      get logId() { return record.logId; },
      get serverName() { return record.vhost?.serverName ?? null; },
      // UseCanonicalName Off: the Host header's name, else ServerName.
      get hostName() { return req.headers.host ? parseHost(req.headers.host).name : record.vhost?.serverName ?? null; },
      get vhost() { return record.vhost?.source ?? null; },
      logged: false,
    };
    return this.facts;
  }

  environBuilt(requestId: string, variable: (name: string) => string | undefined): void {
    this.logId = requestId;
    this.variable = variable;
  }

  /** Takes the end time and the connection's counts; once, at 'finish', or at 'close' for an answer cut short. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.endMicros = nowMicros();
    const socket = this.req.socket;
    const counts = countsOf(socket);
    this.bytesIn = socket.bytesRead - counts.bytesRead;
    this.bytesOut = socket.bytesWritten - counts.bytesWritten;
    counts.bytesRead = socket.bytesRead;
    counts.bytesWritten = socket.bytesWritten;
    // node:http has ended the socket by now if the answer closes the connection.
    this.connectionStatus = !this.res.writableFinished ? 'X' : socket.writableEnded || socket.destroyed ? '-' : '+';
  }

  /**
   * What routing found: the file and handler Apache would have in r->filename and r->handler, and
   * the request's variables (until a WSGI request's environ takes their place).
   */
  routed(route: Route, variables: { get(name: string): string | undefined }): void {
    this.vhost = route.vhost;
    this.variable = (name) => variables.get(name);
    if (route.kind === 'wsgi') {
      this.filename = route.script;
      this.handler = 'wsgi-script';
      return;
    }
    this.filename = route.file;
    this.handler = route.kind === 'static' ? null : route.handler;
    if (route.kind === 'static') this.uri = route.uri;
  }
}

