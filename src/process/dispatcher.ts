// Per process group: sends each request to a ready process with a free thread in
// the request's interpreter, and holds requests in order while none has one.

import type { Exchange } from './exchange';
import type { WorkerProcess } from './worker-process';

export class Dispatcher {
  private readonly queue: Exchange[] = [];
  /** queue-timeout timers of the requests waiting. */
  private readonly deadlines = new Map<Exchange, NodeJS.Timeout>();
  private turn = 0;

  /** `queueTimeout`: seconds a request may wait for a free thread, counted from its arrival (0: no limit). */
  constructor(private readonly processes: () => readonly WorkerProcess[], private readonly queueTimeout: () => number) {}

  get queued(): number {
    return this.queue.length;
  }

  dispatch(exchange: Exchange): void {
    // Behind earlier requests of its application group, it waits its turn.
    const waiting = this.queue.some((queued) => queued.applicationGroup === exchange.applicationGroup);
    if (waiting || !this.run(exchange)) this.enqueue(exchange);
  }

  private enqueue(exchange: Exchange): void {
    this.queue.push(exchange);
    const limit = this.queueTimeout();
    if (limit <= 0) return;
    const left = exchange.arrivedAt + limit * 1000 - Date.now();
    this.deadlines.set(exchange, setTimeout(() => {
      this.cancel(exchange);
      exchange.expire(503, `no thread of the process group was free within queue-timeout (${limit} s)`, Math.ceil(limit));
    }, Math.max(0, left)));
  }

  /** Resolves once no request waits, or after `limitMs`. */
  drained(limitMs: number): Promise<void> {
    return new Promise((resolve) => {
      const started = Date.now();
      const poll = () => {
        if (this.queue.length === 0 || Date.now() - started >= limitMs) return resolve();
        setTimeout(poll, 20);
      };
      poll();
    });
  }

  /** The group is going away: requests still waiting get 503 rather than waiting forever. */
  abandon(reason: string): void {
    for (const exchange of this.queue.splice(0)) {
      this.clearDeadline(exchange);
      exchange.expire(503, reason, 1);
    }
  }

  /** A request whose client went away while it waited. */
  cancel(exchange: Exchange): void {
    const at = this.queue.indexOf(exchange);
    if (at >= 0) this.queue.splice(at, 1);
    this.clearDeadline(exchange);
  }

  /** Called when a thread frees up, a process becomes ready, or an interpreter is created. */
  pump(): void {
    const blocked = new Set<string>();
    for (let i = 0; i < this.queue.length; i++) {
      const exchange = this.queue[i]!;
      // Requests of one application group keep their order; another group may go ahead of them.
      if (blocked.has(exchange.applicationGroup)) continue;
      if (this.run(exchange)) {
        this.queue.splice(i--, 1);
        this.clearDeadline(exchange);
      } else {
        blocked.add(exchange.applicationGroup);
      }
    }
  }

  private clearDeadline(exchange: Exchange): void {
    const timer = this.deadlines.get(exchange);
    if (timer === undefined) return;
    clearTimeout(timer);
    this.deadlines.delete(exchange);
  }

  /**
   * The least busy ready process whose interpreter for the request's application group is
   * ready; rotating the start spreads ties. Processes that could create that interpreter
   * are asked to; when none can, the request fails rather than waiting forever.
   */
  private run(exchange: Exchange): boolean {
    const group = exchange.applicationGroup;
    const processes = this.processes();
    let best: WorkerProcess | null = null;
    let possible = false;
    for (let i = 0; i < processes.length; i++) {
      const candidate = processes[(this.turn + i) % processes.length]!;
      if (candidate.state !== 'ready') continue;
      const interpreter = candidate.interpreterState(group);
      if (interpreter === 'unknown') candidate.createInterpreter(group);
      if (interpreter !== 'failed') possible = true;
      if (interpreter !== 'ready' || candidate.free <= 0) continue;
      if (best === null || candidate.busy < best.busy) best = candidate;
    }
    const connection = best?.acquire(group);
    if (connection) {
      this.turn = (this.turn + 1) % processes.length;
      connection.run(exchange);
      return true;
    }
    if (!possible && processes.some((p) => p.state === 'ready')) {
      exchange.onFailure(`no process of this group could create an interpreter for application group '${group}'`);
      return true;
    }
    return false;
  }
}
