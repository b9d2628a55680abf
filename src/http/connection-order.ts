// HTTP/1.1 pipelining as Apache serves it. node:http parses every request a client sends
// ahead and emits them at once; here a connection's requests run one at a time, in order
// (RFC 9112 §9.3.2: only the client may assume they can overlap), nothing after an answer
// that closes the connection is run, and a parse error behind valid requests is answered
// after their answers instead of in place of them.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/**
 * Requests parsed ahead of the one running that a connection may hold. A client that sends
 * more has its connection closed once those are answered: each would hold memory until then.
 */
export const MAX_PIPELINED = 32;

interface Connection {
  running: boolean;
  waiting: Array<() => void>;
  /** Whatever follows is never run: an answer closed the connection. */
  closing: boolean;
  /** No more are taken: the connection closes once those waiting are answered. */
  full: boolean;
  /** The raw answer to a parse error behind the requests still to be answered. */
  parseError: Buffer | null;
}

export class ConnectionOrder {
  private readonly connections = new WeakMap<Socket, Connection>();

  private stateOf(socket: Socket): Connection {
    let state = this.connections.get(socket);
    if (!state) this.connections.set(socket, (state = { running: false, waiting: [], closing: false, full: false, parseError: null }));
    return state;
  }

  /**
   * Runs `start` now, or once every request ahead of it on its connection has been answered;
   * never if one of them closed the connection. Returns false when it will never run.
   */
  admit(req: IncomingMessage, res: ServerResponse, start: () => void): boolean {
    const socket = req.socket;
    const state = this.stateOf(socket);
    if (state.closing || state.full) return false;
    const run = () => {
      state.running = true;
      res.once('close', () => this.answered(socket, state, res));
      start();
    };
    if (!state.running) {
      run();
      return true;
    }
    if (state.waiting.length >= MAX_PIPELINED) {
      state.full = true;
      return false;
    }
    state.waiting.push(run);
    return true;
  }

  /**
   * A parse error on this connection: true when it comes behind requests still to be answered,
   * whose answers go out first (`answer` after them, unless one of them closes the connection);
   * false when nothing is pending and the caller answers it now.
   */
  failBehind(socket: Socket, answer: Buffer): boolean {
    const state = this.connections.get(socket);
    if (!state || (!state.running && state.waiting.length === 0)) return false;
    state.parseError ??= answer;
    return true;
  }

  private answered(socket: Socket, state: Connection, res: ServerResponse): void {
    state.running = false;
    // node:http has ended or destroyed the socket by now when the answer closes the connection.
    if (!res.writableFinished || socket.writableEnded || socket.destroyed) state.closing = true;
    const next = state.closing ? undefined : state.waiting.shift();
    if (next) return next();
    if (state.closing) {
      state.waiting = [];
      return;
    }
    if (state.full || state.parseError) {
      state.closing = true;
      // A parse error behind dropped requests is theirs to report, not the client's next answer.
      if (state.parseError && !state.full) socket.end(state.parseError);
      socket.destroySoon();
    }
  }
}
