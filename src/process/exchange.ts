// What a worker connection needs from the request it carries. The HTTP front end
// implements it; the process side never sees node:http objects.

import type { ResponseHead } from './framing';

/** The worker connection's side, handed to the exchange once it is bound. */
export interface RequestChannel {
  /** Sends a piece of the request body; false means wait for onDrain. */
  writeBody(chunk: Buffer): boolean;
  endBody(): void;
  abortBody(reason: string): void;
  /** Stop and restart reading response frames (back-pressure from a slow client). */
  pauseResponse(): void;
  resumeResponse(): void;
  /** The client is gone: drop the connection so the application's reads and writes fail. */
  close(): void;
  readonly processLabel: string;
  /** The process group's name ('' is %{GLOBAL}). */
  readonly processGroup: string;
  /** Longest response header line the process may send (header-buffer-size); 0: no limit. */
  readonly headerLineLimit: number;
}

export interface ExpireOptions {
  /** Seconds for the 503's Retry-After header. */
  retryAfter?: number;
  /** The cause was logged at error level once for many requests: each request's own line is then only info. */
  causeLogged?: boolean;
}

export interface Exchange {
  /** The interpreter the request runs in ("" is %{GLOBAL}): which socket of a process takes it. */
  readonly applicationGroup: string;
  /** The C frame: the environ's constant part for the request's script and scope (docs/protocol.md). */
  readonly constantFrame: Buffer;
  /** The R frame (the request's own environ strings, encoded once when it arrived), and the E frame after it when `bodyless`. */
  readonly requestFrame: Buffer;
  /** True when the request has no body: nothing more is sent for it. */
  readonly bodyless: boolean;
  /** Bound to a worker connection: start sending the body. */
  start(channel: RequestChannel): void;
  /** The channel can take more body. */
  onDrain(): void;
  onHead(head: ResponseHead): void;
  onData(chunk: Buffer): void;
  onEnd(): void;
  onFailure(message: string): void;
  /**
   * The connection to the worker was lost before the response ended. `reachedWorker`
   * is false when the worker cannot have read the request, so it may be sent again.
   */
  onLost(reason: string, reachedWorker: boolean): void;
  /**
   * A timeout ended the request: answer `status` if no head went out, else close the connection.
   * The worker's later frames are ignored.
   */
  expire(status: 503 | 504, reason: string, options?: ExpireOptions): void;
  /** The client has taken none of the response for too long: drop its connection. */
  clientStalled(reason: string): void;
  /** When the front end received the request (ms, Date.now()): queue-timeout counts from it. */
  readonly arrivedAt: number;
  /** True once body bytes went to a worker that the exchange cannot send again: such a request is never retried. */
  readonly bodyConsumed: boolean;
  /** The request body is still coming from the client and nothing holds it back: silence is the client's, not the worker's. */
  readonly awaitingClient: boolean;
}
