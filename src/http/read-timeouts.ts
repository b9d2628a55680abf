// RequestReadTimeout as mod_reqtimeout enforces it: a request head must arrive within its
// stage's seconds from its first byte, a body within its own from when it starts being
// read; each deadline moves a second later for every MinRate bytes received, up to the
// stage's maximum. A head past its deadline gets 408 and the connection closes; a body past
// its own is the request's to fail (HttpExchange answers 408).
//
// node:http's parser reads the socket itself, so bytes are seen through socket.bytesRead,
// looked at every SWEEP_MS; a deadline holds to within that.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { ReadTimeoutStage, ReadTimeoutStages } from '../config/request-read-timeout';
import type { ServerConfig, VirtualHost } from '../config/model';
import type { ErrorLog } from '../log/error-log';
import { rawErrorResponse } from '../host/error-page';
import type { BodyInProgress } from '../host/wsgi-host';

const SWEEP_MS = 250;

/** The stage `vhost` has: its own, else the main server's, else the default. */
export function stageOf(config: ServerConfig, vhost: VirtualHost, stage: keyof ReadTimeoutStages): ReadTimeoutStage {
  return vhost.requestReadTimeout[stage] ?? config.main.requestReadTimeout[stage] ?? config.readTimeoutDefaults[stage];
}

/** One stage's deadline, as mod_reqtimeout moves it. */
class Deadline {
  private at: number;
  private max: number;

  constructor(private readonly stage: ReadTimeoutStage, now: number, private bytes: number) {
    this.at = now + stage.seconds * 1000;
    this.max = stage.maxSeconds > 0 ? now + stage.maxSeconds * 1000 : Infinity;
  }

  /** False once it has passed, counting the bytes read since it last looked. */
  holds(now: number, bytes: number): boolean {
    if (this.stage.minRate > 0) this.at = Math.min(this.max, this.at + ((bytes - this.bytes) * 1000) / this.stage.minRate);
    this.bytes = bytes;
    return now <= this.at;
  }

  /** While tswsgi itself does not read (a full buffer), the client is not late. */
  postpone(ms: number): void {
    this.at += ms;
    this.max += ms;
  }
}

interface Connection {
  header: ReadTimeoutStage;
  /** Requests begun and not yet answered. */
  requests: number;
  /** Between requests: bytesRead when the last one was answered; the next head starts with the next byte. */
  idleAt: number | null;
  head: Deadline | null;
}

interface Body {
  req: IncomingMessage;
  inProgress: BodyInProgress;
  deadline: Deadline;
}

export class ReadTimeouts {
  private readonly connections = new Map<Socket, Connection>();
  private readonly bodies = new Set<Body>();
  /** Connections whose head came too late: whatever node:http still parses from them is not run. */
  private readonly cutOff = new WeakSet<Socket>();
  private readonly timer: NodeJS.Timeout;
  private sweptAt = Date.now();

  constructor(private readonly log: ErrorLog) {
    this.timer = setInterval(() => this.sweep(), SWEEP_MS).unref();
  }

  /** A connection now served, whose heads get `header` (the stage of the vhost its address selects). */
  watch(socket: Socket, header: ReadTimeoutStage): void {
    if (header.seconds === 0) return;
    this.connections.set(socket, { header, requests: 0, idleAt: socket.bytesRead, head: null });
    socket.once('close', () => this.connections.delete(socket));
  }

  /** A request's head has arrived: its connection is not read against the head's deadline until it is answered. */
  requestBegun(req: IncomingMessage, res: ServerResponse): void {
    const socket = req.socket;
    const connection = this.connections.get(socket);
    if (!connection) return;
    connection.requests++;
    connection.idleAt = null;
    connection.head = null;
    res.once('close', () => {
      if (--connection.requests === 0) connection.idleAt = socket.bytesRead;
    });
  }

  /** The body of `req` is being read for the application. */
  bodyStarted(req: IncomingMessage, res: ServerResponse, inProgress: BodyInProgress, stage: ReadTimeoutStage): void {
    if (stage.seconds === 0) return;
    const body: Body = { req, inProgress, deadline: new Deadline(stage, Date.now(), req.socket.bytesRead) };
    this.bodies.add(body);
    const done = () => this.bodies.delete(body);
    req.once('end', done);
    res.once('close', done);
  }

  /** Whether a late head got this connection closed. */
  wasCut(socket: Socket): boolean {
    return this.cutOff.has(socket);
  }

  close(): void {
    clearInterval(this.timer);
  }

  private sweep(): void {
    const now = Date.now();
    const elapsed = now - this.sweptAt;
    this.sweptAt = now;
    for (const [socket, connection] of this.connections) {
      const bytes = socket.bytesRead;
      if (connection.idleAt !== null && bytes > connection.idleAt) {
        // The next head has begun: its deadline runs from its first byte (seen up to a sweep late).
        connection.head = new Deadline(connection.header, now, connection.idleAt);
        connection.idleAt = null;
      }
      if (connection.head && !connection.head.holds(now, bytes)) this.headTimedOut(socket);
    }
    for (const body of this.bodies) {
      if (!body.inProgress.awaitingClient) {
        body.deadline.postpone(elapsed);
        continue;
      }
      if (body.deadline.holds(now, body.req.socket.bytesRead)) continue;
      this.bodies.delete(body);
      body.inProgress.readTimedOut('Request body read timeout (RequestReadTimeout)');
    }
  }

  private headTimedOut(socket: Socket): void {
    this.connections.delete(socket);
    this.cutOff.add(socket);
    this.log.info(`Request header read timeout (RequestReadTimeout) from ${socket.remoteAddress}; answering 408 and closing the connection`);
    socket.end(rawErrorResponse(408));
    socket.destroySoon();
  }
}
