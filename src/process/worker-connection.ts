// One stream socket to a worker process, which a single worker thread serves.
// It carries one exchange at a time and is reused for the next (keep-alive).

import * as net from 'node:net';
import { BODY_END, decodeHead, encodeFrame, FrameDecoder, FrameType, frameHeader, WHOLE_FRAME_LIMIT, type Frame } from './framing';
import type { Exchange, RequestChannel } from './exchange';
import type { SilenceSweep } from './silence-sweep';

/** Response body pieces go to the client as they arrive, whatever the size of the worker's D frames. */
const STREAMED = new Set<number>([FrameType.Data]);

/** Errors that mean the request never got into the worker: a dead peer, or a stream already ended. */
const UNREAD_ERRORS = new Set(['EPIPE', 'ECONNRESET', 'ERR_STREAM_WRITE_AFTER_END', 'ERR_STREAM_DESTROYED']);

/** Per process group, in ms (0: none): WSGIDaemonProcess connect-, socket- and request-timeout. */
export interface ConnectionTimeouts {
  connect: number;
  socket: number;
  request: number;
  /** response-socket-timeout: how long the client may take none of the response (ms). */
  response: number;
}

export interface ConnectionOwner {
  readonly label: string;
  readonly settings: { readonly processGroup: string };
  readonly timeouts: ConnectionTimeouts;
  readonly headerLineLimit: number;
  /** Where socket-timeout looks at the connection. */
  readonly sweep: SilenceSweep;
  /** A request on this connection ran past request-timeout; it has been answered 504. */
  requestTimedOut(connection: WorkerConnection): void;
  /** The exchange finished and the connection can carry another one. */
  released(connection: WorkerConnection): void;
  /** The connection is gone, with or without an exchange on it; `peerGone` when the worker is unreachable. */
  closed(connection: WorkerConnection, peerGone: boolean): void;
}

export class WorkerConnection implements RequestChannel {
  private readonly socket: net.Socket;
  private readonly decoder = new FrameDecoder(STREAMED, WHOLE_FRAME_LIMIT);
  private exchange: Exchange | null = null;
  /** The last C frame written: the worker applies it to every request after it on this connection. */
  private constantSent: Buffer | null = null;
  private headSeen = false;
  private bodyClosed = false;
  /** No byte of the current exchange's response has arrived yet. */
  private silent = true;
  private connected = false;
  /** The worker cannot have read the current request: the connect or the write failed. */
  private unread = false;
  private dead = false;
  private requestTimer: NodeJS.Timeout | null = null;
  private connectTimer: NodeJS.Timeout | null = null;
  /** socket-timeout: the byte count at the last sweep, and since when it has not moved (-1: not yet seen). */
  private lastBytes = 0;
  private quietSince = -1;
  /** The client is slow, so the worker's silence is ours: socket-timeout does not count. */
  private paused = false;
  private pausedAt = 0;
  /** Answered 504 already; the thread is stuck, and the process is being replaced. */
  private pastRequestTimeout = false;

  constructor(path: string, readonly applicationGroup: string, private readonly owner: ConnectionOwner) {
    this.socket = net.connect(path);
    this.socket.setNoDelay?.(true);
    const { connect } = owner.timeouts;
    if (connect > 0) {
      this.connectTimer = setTimeout(() => {
        this.unread = true;
        this.lose(`connect-timeout (${connect / 1000} s) passed`);
      }, connect);
    }
    this.socket.on('connect', () => {
      this.connected = true;
      this.clearConnectTimer();
    });
    owner.sweep.track(this);
    this.socket.on('data', (chunk: Buffer) => this.received(chunk));
    this.socket.on('drain', () => this.exchange?.onDrain());
    this.socket.on('error', (err: NodeJS.ErrnoException) => {
      // Linux resets a UNIX stream socket whose peer closed with bytes still unread: the
      // worker died before taking the request, which is safe to send elsewhere.
      if (UNREAD_ERRORS.has(err.code ?? '') || !this.connected) this.unread = true;
      this.lose(`${err.code ?? 'error'}: ${err.message}`);
    });
    // At the worker's end of stream the connection leaves the pool at once, before 'close'
    // (a tick later), so that no request is written to it in between.
    this.socket.on('end', () => {
      if (this.exchange !== null) return;
      // Workers never close an idle connection: the process is going away.
      this.unread = true;
      this.lose('worker closed the connection');
    });
    this.socket.on('close', () => this.lose('worker closed the connection'));
  }

  get processLabel(): string {
    return this.owner.label;
  }

  get processGroup(): string {
    return this.owner.settings.processGroup;
  }

  get headerLineLimit(): number {
    return this.owner.headerLineLimit;
  }

  get busy(): boolean {
    return this.exchange !== null;
  }

  run(exchange: Exchange): void {
    this.exchange = exchange;
    this.headSeen = false;
    this.silent = true;
    this.bodyClosed = exchange.bodyless;
    this.quietSince = -1;
    this.pastRequestTimeout = false;
    const { request } = this.owner.timeouts;
    if (request > 0) {
      this.requestTimer = setTimeout(() => {
        this.requestTimer = null;
        this.pastRequestTimeout = true;
        // The worker's thread is still in the request: the connection stays busy, and what
        // the worker sends later goes nowhere (the exchange ignores it once expired).
        exchange.expire(504, `the request ran past request-timeout (${request / 1000} s) in ${this.owner.label}`);
        this.owner.requestTimedOut(this);
      }, request);
    }
    if (exchange.constantFrame === this.constantSent) {
      this.socket.write(exchange.requestFrame);
    } else {
      // The worker keeps the last C frame's strings for the requests after it on this connection.
      this.constantSent = exchange.constantFrame;
      this.socket.write(Buffer.concat([exchange.constantFrame, exchange.requestFrame]));
    }
    exchange.start(this);
  }

  writeBody(chunk: Buffer): boolean {
    if (this.bodyClosed || this.dead) return true;
    this.socket.cork();
    this.socket.write(frameHeader(FrameType.Body, chunk.length));
    const more = this.socket.write(chunk);
    this.socket.uncork();
    return more;
  }

  endBody(): void {
    if (this.bodyClosed || this.dead) return;
    this.bodyClosed = true;
    this.socket.write(BODY_END);
  }

  abortBody(reason: string): void {
    if (this.bodyClosed || this.dead) return;
    this.bodyClosed = true;
    this.socket.write(encodeFrame(FrameType.Abort, Buffer.from(reason, 'latin1')));
  }

  pauseResponse(): void {
    this.socket.pause();
    this.paused = true;
    this.pausedAt = Date.now();
  }

  resumeResponse(): void {
    this.socket.resume();
    this.paused = false;
    this.quietSince = -1;
  }

  /**
   * socket-timeout, from the sweep: no byte either way for that long while a request runs and
   * the client keeps up; response-socket-timeout: the client took none of the response for that
   * long. Accurate to two sweeps, which is plenty for limits counted in seconds.
   */
  checkSilence(now: number): void {
    const exchange = this.exchange;
    if (exchange === null || this.pastRequestTimeout) return;
    if (this.paused) {
      const stalled = this.owner.timeouts.response;
      if (stalled <= 0 || now - this.pausedAt < stalled) return;
      exchange.clientStalled(`the client took none of the response within response-socket-timeout (${stalled / 1000} s)`);
      this.lose('response-socket-timeout');
      return;
    }
    const limit = this.owner.timeouts.socket;
    // A worker waiting for body the client has not sent is not silent: the front end's Timeout answers that.
    if (limit <= 0 || exchange.awaitingClient) {
      this.quietSince = -1;
      return;
    }
    const bytes = this.socket.bytesRead + this.socket.bytesWritten;
    if (this.quietSince < 0 || bytes !== this.lastBytes) {
      this.lastBytes = bytes;
      this.quietSince = now;
      return;
    }
    if (now - this.quietSince < limit) return;
    exchange.expire(504, `no response from ${this.owner.label} within socket-timeout (${limit / 1000} s)`);
    this.lose('socket-timeout');
  }

  close(): void {
    this.socket.destroy();
  }

  private received(chunk: Buffer): void {
    let frames: Frame[];
    try {
      frames = this.decoder.feed(chunk);
    } catch (err) {
      this.lose(`protocol error from worker: ${(err as Error).message}`);
      return;
    }
    for (const frame of frames) {
      if (!this.handle(frame)) return;
    }
  }

  /** Returns false when the connection can no longer be used. */
  private handle(frame: Frame): boolean {
    const exchange = this.exchange;
    if (exchange === null) {
      this.lose('protocol error from worker: frame without a request');
      return false;
    }
    this.silent = false;
    switch (frame.type) {
      case FrameType.Head:
        if (this.headSeen) return this.lose('protocol error from worker: second response head');
        this.headSeen = true;
        try {
          exchange.onHead(decodeHead(frame.payload));
        } catch (err) {
          return this.lose(`protocol error from worker: ${(err as Error).message}`);
        }
        return true;
      case FrameType.Data:
        if (!this.headSeen) return this.lose('protocol error from worker: body before head');
        exchange.onData(frame.payload);
        return true;
      case FrameType.End:
        if (!this.headSeen) return this.lose('protocol error from worker: end without head');
        this.finish();
        exchange.onEnd();
        return true;
      case FrameType.Failure:
        this.finish();
        exchange.onFailure(frame.payload.toString('latin1'));
        return true;
      default:
        return this.lose(`protocol error from worker: unexpected frame '${String.fromCharCode(frame.type)}'`);
    }
  }

  /** The response is over: close the request body so the worker can read the next request. */
  private finish(): void {
    this.endBody();
    this.stopTimers();
    this.exchange = null;
    this.socket.resume();
    this.owner.released(this);
  }

  private clearConnectTimer(): void {
    if (this.connectTimer) clearTimeout(this.connectTimer);
    this.connectTimer = null;
  }

  private stopTimers(): void {
    this.clearConnectTimer();
    if (this.requestTimer) clearTimeout(this.requestTimer);
    this.requestTimer = null;
  }

  private lose(reason: string): false {
    if (this.dead) return false;
    this.dead = true;
    this.owner.sweep.untrack(this);
    this.stopTimers();
    this.socket.destroy();
    const exchange = this.exchange;
    this.owner.closed(this, this.unread);
    this.exchange = null;
    if (exchange) exchange.onLost(reason, !(this.silent && this.unread));
    return false;
  }
}
