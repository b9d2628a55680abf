// MaxRequestWorkers: how many client connections are served at once. One past the limit
// waits, accepted by the kernel but not read (as in Apache's listen backlog), until a slot
// frees; then it is served. None is refused for it.
//
// node:http would close connections past server.maxConnections instead, so the server's own
// 'connection' listener (which attaches the parser) is taken out and called here when a slot
// is free, on a socket accepted paused (pauseOnConnect), so nothing is read before that.
//
// A connection idle between keep-alive requests holds its slot only while nobody waits: as
// Apache's event MPM, which keeps no worker for such connections and closes them when all its
// workers are busy, the one idle longest is closed to make room for a waiting connection.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Server, Socket } from 'node:net';
import type { ErrorLog } from '../log/error-log';

export class ConnectionSlots {
  private readonly serving = new Set<Socket>();
  private readonly waiting: Array<{ socket: Socket; serve: () => void }> = [];
  /** Requests begun and not yet answered, per connection served. */
  private readonly busy = new Map<Socket, number>();
  /** Connections between requests, longest idle first, with the bytes they had read when they went idle. */
  private readonly idle = new Map<Socket, number>();
  /** Apache says once that the limit was reached. */
  private reported = false;

  /** `limit` null: no limit. */
  constructor(private limit: number | null, private readonly log: ErrorLog) {}

  /** A graceful restart's MaxRequestWorkers; connections waiting are let in if it grew. */
  setLimit(limit: number | null): void {
    this.limit = limit;
    this.reported = false;
    this.admitWaiting();
  }

  /** Makes `server` take its connections through the slots; `started` runs for each once it is served. */
  gate(server: Server, started: (socket: Socket) => void): void {
    const listeners = server.listeners('connection') as Array<(this: Server, socket: Socket) => void>;
    for (const listener of listeners) server.off('connection', listener);
    (server as unknown as { pauseOnConnect: boolean }).pauseOnConnect = true;
    server.on('connection', (socket: Socket) => {
      const serve = () => {
        this.serving.add(socket);
        socket.once('close', () => this.released(socket));
        for (const listener of listeners) listener.call(server, socket);
        started(socket);
        socket.resume();
      };
      if (!this.full()) return serve();
      // Nothing reads a waiting socket, so only a write could fail; it is let go then.
      socket.once('error', () => socket.destroy());
      this.waiting.push({ socket, serve });
      this.atLimit();
      this.closeAnIdleConnection();
    });
  }

  /** A request on a connection served: the connection is busy until it is answered. */
  requestBegun(req: IncomingMessage, res: ServerResponse): void {
    const socket = req.socket;
    this.idle.delete(socket);
    this.busy.set(socket, (this.busy.get(socket) ?? 0) + 1);
    res.once('close', () => {
      const left = (this.busy.get(socket) ?? 1) - 1;
      if (left > 0) {
        this.busy.set(socket, left);
        return;
      }
      this.busy.delete(socket);
      if (socket.destroyed) return;
      this.idle.set(socket, socket.bytesRead);
      if (this.waiting.length > 0) this.closeAnIdleConnection();
    });
  }

  /** Closes the connections waiting for a slot (the server is stopping), as closing a listen backlog does. */
  dropWaiting(): void {
    for (const { socket } of this.waiting.splice(0)) socket.destroy();
  }

  private full(): boolean {
    return this.limit !== null && this.serving.size >= this.limit;
  }

  private released(socket: Socket): void {
    this.serving.delete(socket);
    this.busy.delete(socket);
    this.idle.delete(socket);
    this.admitWaiting();
  }

  private admitWaiting(): void {
    while (this.waiting.length > 0 && !this.full()) this.waiting.shift()!.serve();
  }

  /** The connection idle longest, unless a request has begun arriving on it since. */
  private closeAnIdleConnection(): void {
    for (const [socket, bytesRead] of this.idle) {
      this.idle.delete(socket);
      if (socket.bytesRead !== bytesRead) continue;
      this.log.debug(`Closing a connection idle between requests from ${socket.remoteAddress}: a new connection waits for a slot (MaxRequestWorkers)`);
      socket.destroy();
      return;
    }
  }

  private atLimit(): void {
    if (this.reported) return;
    this.reported = true;
    this.log.error(`server reached MaxRequestWorkers setting (${this.limit}), consider raising the MaxRequestWorkers setting; new connections wait until one ends`);
  }
}
