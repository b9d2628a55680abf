// Per process group: sends each request to a ready process with a free thread in
// the request's interpreter, and holds requests in order while none has one.

import type { Exchange } from './exchange';
import type { WorkerProcess } from './worker-process';

/** First in, first out, with a shift that does not move the items behind it. */
class Fifo<T> {
  private items: (T | undefined)[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  peek(): T | undefined {
    return this.items[this.head];
  }

  shift(): void {
    this.items[this.head++] = undefined;
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }

  remove(match: (item: T) => boolean): void {
    const at = this.items.findIndex((item, index) => index >= this.head && match(item!));
    if (at >= 0) this.items.splice(at, 1);
  }

  takeAll(): T[] {
    const all = this.items.slice(this.head) as T[];
    this.items = [];
    this.head = 0;
    return all;
  }
}

/** A request waiting, and when it came (a count, so that ties cannot happen). */
interface Waiting {
  exchange: Exchange;
  arrival: number;
}

export class Dispatcher {
  /**
   * Waiting requests per application group, each in order of arrival. A freed thread takes the
   * earliest arrival among the groups that can run now, so groups sharing threads keep their
   * overall order, and a group waiting for its interpreter does not hold up the others.
   */
  private readonly queues = new Map<string, Fifo<Waiting>>();
  private arrivals = 0;
  private readonly drainWaiters: Array<() => void> = [];
  /** queue-timeout timers of the requests waiting. */
  private readonly deadlines = new Map<Exchange, NodeJS.Timeout>();
  private turn = 0;

  /** `queueTimeout`: seconds a request may wait for a free thread, counted from its arrival (0: no limit). */
  constructor(private readonly processes: () => readonly WorkerProcess[], private readonly queueTimeout: () => number) {}

  get queued(): number {
    let count = 0;
    for (const queue of this.queues.values()) count += queue.length;
    return count;
  }

  dispatch(exchange: Exchange): void {
    // Behind earlier requests of its application group, it waits its turn.
    const waiting = (this.queues.get(exchange.applicationGroup)?.length ?? 0) > 0;
    if (waiting || !this.run(exchange)) this.enqueue(exchange);
  }

  private enqueue(exchange: Exchange): void {
    let queue = this.queues.get(exchange.applicationGroup);
    if (!queue) this.queues.set(exchange.applicationGroup, (queue = new Fifo()));
    queue.push({ exchange, arrival: this.arrivals++ });
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
    if (this.queued === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, limitMs);
      const waiters = this.drainWaiters;
      function done(): void {
        clearTimeout(timer);
        const at = waiters.indexOf(done);
        if (at >= 0) waiters.splice(at, 1);
        resolve();
      }
      waiters.push(done);
    });
  }

  /** Wakes drained() once the last waiting request has left the queues. */
  private settle(): void {
    if (this.drainWaiters.length === 0 || this.queued > 0) return;
    for (const wake of [...this.drainWaiters]) wake();
  }

  /** The group is going away: requests still waiting get 503 rather than waiting forever. */
  abandon(reason: string): void {
    for (const queue of this.queues.values()) {
      for (const { exchange } of queue.takeAll()) {
        this.clearDeadline(exchange);
        exchange.expire(503, reason, 1);
      }
    }
    this.settle();
  }

  /** A request whose client went away while it waited. */
  cancel(exchange: Exchange): void {
    this.queues.get(exchange.applicationGroup)?.remove((waiting) => waiting.exchange === exchange);
    this.clearDeadline(exchange);
    this.settle();
  }

  /** Called when a thread frees up, a process becomes ready, or an interpreter is created. */
  pump(): void {
    const blocked = new Set<Fifo<Waiting>>();
    for (;;) {
      let earliest: Fifo<Waiting> | undefined;
      for (const queue of this.queues.values()) {
        if (queue.length === 0 || blocked.has(queue)) continue;
        if (!earliest || queue.peek()!.arrival < earliest.peek()!.arrival) earliest = queue;
      }
      if (!earliest) {
        this.settle();
        return;
      }
      const { exchange } = earliest.peek()!;
      if (this.run(exchange)) {
        earliest.shift();
        this.clearDeadline(exchange);
      } else {
        blocked.add(earliest);
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
