// Per process group: sends each request to a ready process with a free thread,
// and holds requests in order while none has one.

import type { Exchange } from './exchange';
import type { WorkerProcess } from './worker-process';

export class Dispatcher {
  private readonly queue: Exchange[] = [];
  private turn = 0;

  constructor(private readonly processes: () => readonly WorkerProcess[]) {}

  get queued(): number {
    return this.queue.length;
  }

  dispatch(exchange: Exchange): void {
    if (this.queue.length > 0 || !this.run(exchange)) this.queue.push(exchange);
  }

  /** A request whose client went away while it waited. */
  cancel(exchange: Exchange): void {
    const at = this.queue.indexOf(exchange);
    if (at >= 0) this.queue.splice(at, 1);
  }

  /** Called when a thread frees up or a process becomes ready. */
  pump(): void {
    while (this.queue.length > 0 && this.run(this.queue[0]!)) this.queue.shift();
  }

  /** Least busy ready process; rotating the start spreads ties across processes. */
  private run(exchange: Exchange): boolean {
    const processes = this.processes();
    let best: WorkerProcess | null = null;
    for (let i = 0; i < processes.length; i++) {
      const candidate = processes[(this.turn + i) % processes.length]!;
      if (candidate.state !== 'ready' || candidate.free <= 0) continue;
      if (best === null || candidate.busy < best.busy) best = candidate;
    }
    const connection = best?.acquire();
    if (!connection) return false;
    this.turn = (this.turn + 1) % processes.length;
    connection.run(exchange);
    return true;
  }
}
