// One HTTP request on its way through a worker: streams the request body to the
// worker and the response back to the client, each side pausing the other.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Exchange, ExpireOptions, RequestChannel } from '../process/exchange';
import type { ResponseHead } from '../process/framing';
import type { Dispatcher } from '../process/dispatcher';
import type { Logger } from '../log/error-log';
import { withDefaultCharset } from './content-type';
import { ERROR_PAGE_TYPE, errorPage, rawErrorResponse, reasonPhrase } from './error-page';

/** Hop-by-hop headers belong to one connection; node:http makes its own. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection', 'te', 'trailer']);
/** Apache's header filter drops these from a 204 or 304 answer, which has no body to describe. */
const BODY_HEADERS = new Set(['content-type', 'content-length']);
const MAX_RETRIES = 3;
/**
 * A request body up to this size is read whole before the request is given a Python thread:
 * a slow client then holds only its connection. A larger one is streamed from here on.
 */
export const HELD_BODY_BYTES = 64 * 1024;

export interface ExchangeContext {
  dispatcher: Dispatcher;
  log: Logger;
  /** Bytes the body may have; 0 means no limit. */
  limitRequestBody: number;
  script: string;
  /** Timeout: seconds the client may send no part of the body (Apache's Timeout). */
  clientTimeout: number;
  /** AddDefaultCharset of the scope (null: Off). */
  defaultCharset: string | null;
}

export class HttpExchange implements Exchange {
  bodyConsumed = false;
  /** When it was given to the dispatcher: the time spent reading a held body is not queue time. */
  arrivedAt = 0;
  private channel: RequestChannel | null = null;
  /** Body pieces read before a worker took the request; kept while the whole body fits, so a retry can send it again. */
  private held: Buffer[] = [];
  private heldBytes = 0;
  private dispatched = false;
  /** Reading from the client is paused by us (a full hold, or a worker that takes no more). */
  private clientPaused = false;
  private clientTimer: NodeJS.Timeout | null = null;
  private status = 0;
  private expected: number | null = null;
  private bodyBytes = 0;
  /** Response body bytes passed on from the worker. */
  private sent = 0;
  private bodyDone: boolean;
  /** The response is no longer ours to write: refused, answered with an error, or the client left. */
  private over = false;
  private retries = 0;

  constructor(
    readonly applicationGroup: string,
    readonly constantFrame: Buffer,
    readonly requestFrame: Buffer,
    readonly bodyless: boolean,
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
    private readonly context: ExchangeContext,
  ) {
    this.bodyDone = bodyless;
    res.on('close', () => this.closed());
  }

  /** Goes to the dispatcher now when bodyless, else once the body is read whole or fills the hold. */
  begin(): void {
    if (this.bodyDone) return this.dispatch();
    this.req.on('data', (chunk: Buffer) => this.body(chunk));
    this.req.on('end', () => {
      this.bodyDone = true;
      this.stopClientTimer();
      if (this.channel) this.channel.endBody();
      else this.dispatch();
    });
    this.resumeClient();
  }

  /** The client has sent all of the body, or none is being waited for (the worker's own silence is its fault). */
  get awaitingClient(): boolean {
    return !this.bodyDone && !this.clientPaused;
  }

  private dispatch(): void {
    if (this.dispatched || this.over) return;
    this.dispatched = true;
    this.arrivedAt = Date.now();
    this.context.dispatcher.dispatch(this);
    if (this.channel === null && !this.over) {
      this.context.log.debug(`Request for '${this.context.script}' waits for a free thread (${this.context.dispatcher.queued} waiting)`);
    }
  }

  start(channel: RequestChannel): void {
    this.channel = channel;
    let more = true;
    for (const chunk of this.held) more = channel.writeBody(chunk);
    if (this.bodyDone) {
      if (!this.bodyless) channel.endBody();
      return;
    }
    // The rest streams: what was held can no longer be sent again.
    this.bodyConsumed ||= this.heldBytes > 0;
    this.held = [];
    if (more) this.resumeClient();
    else this.pauseClient();
  }

  onDrain(): void {
    if (!this.bodyDone) this.resumeClient();
  }

  private pauseClient(): void {
    this.clientPaused = true;
    this.req.pause();
    this.stopClientTimer();
  }

  private resumeClient(): void {
    this.clientPaused = false;
    this.req.resume();
    const seconds = this.context.clientTimeout;
    if (seconds <= 0) return;
    if (this.clientTimer) this.clientTimer.refresh();
    else this.clientTimer = setTimeout(() => this.readTimedOut(`no part of the body arrived within Timeout (${seconds} s)`), seconds * 1000);
  }

  private stopClientTimer(): void {
    if (this.clientTimer) clearTimeout(this.clientTimer);
    this.clientTimer = null;
  }

  /**
   * Apache's Timeout or RequestReadTimeout passed while it reads the body: the client's fault, so
   * 408 (not a gateway's 504), and the connection closes.
   */
  readTimedOut(why: string): void {
    this.stopClientTimer();
    if (this.over || this.bodyDone) return;
    this.context.log.info(`Request for '${this.context.script}' from ${this.req.socket.remoteAddress}: ${why}; answering 408`);
    this.context.dispatcher.cancel(this);
    this.abortBody(`the client was too slow sending the body: ${why}`);
    this.res.shouldKeepAlive = false;
    this.fail(408);
  }

  onHead(head: ResponseHead): void {
    if (this.over) return;
    if (this.oversizedHeader(head)) {
      this.context.log.error(`Truncated or oversized response headers received from daemon process '${this.channel?.processGroup}': ${this.context.script}`);
      this.respondWithError(500);
      return;
    }
    const code = Number(head.status.slice(0, 3));
    const reason = head.status.slice(4);
    const headers: string[] = [];
    for (let i = 0; i < head.headers.length; i += 2) {
      const name = head.headers[i]!;
      const lower = name.toLowerCase();
      if (HOP_BY_HOP.has(lower) || ((code === 204 || code === 304) && BODY_HEADERS.has(lower))) continue;
      if (lower === 'content-length') {
        const length = Number(head.headers[i + 1]);
        // Two lengths are a framing ambiguity a client or proxy may resolve either way (RFC 9112 §6.3).
        if (this.expected !== null && this.expected !== length) {
          this.context.log.error(`Response for '${this.context.script}' from ${this.channel?.processLabel} has conflicting Content-Length headers`);
          this.respondWithError(500);
          return;
        }
        if (this.expected !== null) continue;
        this.expected = length;
      }
      headers.push(name, lower === 'content-type' ? withDefaultCharset(head.headers[i + 1]!, this.context.defaultCharset) : head.headers[i + 1]!);
    }
    try {
      this.res.writeHead(code, reason, headers);
      this.status = code;
    } catch (err) {
      this.context.log.error(`Invalid response head from ${this.channel?.processLabel} for '${this.context.script}': ${(err as Error).message}`);
      this.respondWithError(500);
    }
  }

  /** A header line ("Name: value" and its CRLF) longer than the process group's header-buffer-size. */
  private oversizedHeader(head: ResponseHead): boolean {
    const limit = this.channel?.headerLineLimit ?? 0;
    if (limit === 0) return false;
    for (let i = 0; i < head.headers.length; i += 2) {
      if (head.headers[i]!.length + head.headers[i + 1]!.length + 4 > limit) return true;
    }
    return false;
  }

  onData(chunk: Buffer): void {
    if (this.over) return;
    this.sent += chunk.length;
    if (!this.res.write(chunk)) {
      this.channel?.pauseResponse();
      this.res.once('drain', () => this.channel?.resumeResponse());
    }
  }

  onEnd(): void {
    this.channel = null;
    if (this.over) return;
    this.over = true;
    const bodyAllowed = this.req.method !== 'HEAD' && this.status !== 204 && this.status !== 304;
    const { sent } = this;
    const short = bodyAllowed && this.expected !== null && sent < this.expected;
    this.res.end();
    // A body shorter than its Content-Length: closing is the only way to tell the client.
    if (short) {
      this.context.log.info(`Response for '${this.context.script}' was shorter than its Content-Length (${sent} of ${this.expected} bytes); closing the connection`);
      this.res.once('finish', () => this.req.socket.destroySoon());
    }
  }

  /** The worker's X frame starts with the status to answer with when no head went out (docs/protocol.md). */
  onFailure(message: string): void {
    this.channel = null;
    this.context.log.debug(`Request for '${this.context.script}' failed in the worker: ${message}`);
    const status = /^([1-5]\d\d) /.exec(message);
    this.fail(status ? Number(status[1]) : 500);
  }

  onLost(reason: string, reachedWorker: boolean): void {
    const label = this.channel?.processLabel ?? 'the worker';
    this.channel = null;
    if (this.over) return;
    if (!reachedWorker && !this.bodyConsumed && this.retries < MAX_RETRIES) {
      this.retries++;
      this.context.log.info(`Request for '${this.context.script}' never reached ${label} (${reason}); sending it to another process`);
      this.context.dispatcher.dispatch(this);
      return;
    }
    this.context.log.error(`Lost the connection to ${label} during a request for '${this.context.script}' (${reason})`);
    // Never reached a worker at all: the service is unavailable, as mod_wsgi's failed connect.
    this.fail(reachedWorker ? 502 : 503);
  }

  expire(status: 503 | 504, reason: string, { retryAfter, causeLogged = false }: ExpireOptions = {}): void {
    if (this.over) return;
    this.context.log.log(causeLogged ? 'info' : 'error', `Request for '${this.context.script}' from ${this.req.socket.remoteAddress} answered ${status}: ${reason}`);
    this.abortBody(reason);
    if (retryAfter !== undefined && !this.res.headersSent) this.res.setHeader('Retry-After', String(retryAfter));
    this.fail(status);
  }

  clientStalled(reason: string): void {
    if (this.over) return;
    this.over = true;
    this.context.log.error(`Request for '${this.context.script}' from ${this.req.socket.remoteAddress}: ${reason}; closing the connection`);
    this.abortBody(reason);
    // Not destroySoon: what is still queued would wait for this client for ever.
    this.req.socket.destroy();
  }

  /** The front end refuses the request after it was accepted (a malformed body). */
  refuse(status: number): void {
    if (this.over) return;
    this.context.dispatcher.cancel(this);
    this.abortBody('the request was malformed');
    if (!this.res.headersSent) {
      this.over = true;
      this.status = status;
      this.res.statusCode = status;
      this.req.socket.end(rawErrorResponse(status));
    }
    this.req.socket.destroySoon();
  }

  private body(chunk: Buffer): void {
    this.bodyBytes += chunk.length;
    const limit = this.context.limitRequestBody;
    if (limit > 0 && this.bodyBytes > limit) {
      this.pauseClient();
      this.context.dispatcher.cancel(this);
      this.abortBody(`the request body exceeds the limit of ${limit} bytes`);
      this.fail(413);
      return;
    }
    this.clientTimer?.refresh();
    if (this.channel) {
      this.bodyConsumed = true;
      if (!this.channel.writeBody(chunk)) this.pauseClient();
      return;
    }
    this.held.push(chunk);
    this.heldBytes += chunk.length;
    if (this.heldBytes >= HELD_BODY_BYTES) {
      this.pauseClient();
      this.dispatch();
    }
  }

  private abortBody(reason: string): void {
    this.held = [];
    if (this.bodyDone) return;
    this.bodyDone = true;
    this.stopClientTimer();
    this.channel?.abortBody(reason);
  }

  /** An error status if the head is not out yet; otherwise the only signal left is closing. */
  private fail(status: number): void {
    if (this.over) return;
    if (this.res.headersSent) {
      // What was written still goes out; the missing end (last chunk or bytes) tells the client.
      this.over = true;
      this.req.socket.destroySoon();
    } else {
      this.respondWithError(status);
    }
  }

  private respondWithError(status: number): void {
    this.over = true;
    this.status = status;
    const page = errorPage(status, { method: this.req.method });
    this.res.removeHeader('content-length');
    // A writeHead that threw (an invalid header from the app) left the app's reason phrase behind.
    this.res.writeHead(status, reasonPhrase(status), { 'Content-Type': ERROR_PAGE_TYPE, 'Content-Length': page.length });
    this.res.end(page);
  }

  private closed(): void {
    this.stopClientTimer();
    const complete = this.res.writableFinished;
    if (!complete) {
      // The client went away: a queued request is dropped; a running one loses its worker connection,
      // so the application's next read or write fails instead of working for nobody.
      this.context.dispatcher.cancel(this);
      this.abortBody('the client closed the connection');
      if (this.channel && !this.over) {
        this.over = true;
        this.channel.close();
      }
      this.over = true;
    }
  }
}
