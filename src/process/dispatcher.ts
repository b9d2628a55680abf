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

  *[Symbol.iterator](): IterableIterator<T> {
    for (let at = this.head; at < this.items.length; at++) yield this.items[at]!;
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

/** Why a process group's requests may wait for it only so long: its processes die before they are ready. */
export interface StartFailure {
  /** Seconds a request may wait for a ready process, counted from its arrival. */
  readonly wait: number;
  /** For a request that waited that long: the reason its log line gives and its Retry-After; the group logs the cause itself. */
  refuse(): { reason: string; retryAfter: number };
}

/** What the dispatcher asks of its process group. */
export interface DispatchSource {
  /** The serving processes. */
  processes(): readonly WorkerProcess[];
  /** queue-timeout: seconds a request may wait for a free thread, counted from its arrival (0: no limit). */
  queueTimeout(): number;
  /** Set while the group has no ready process and the last start died; null while it serves or starts normally. */
  startFailure(): StartFailure | null;
}

/** One bound on a request's wait: when it runs out, and how the request is then answered. */
interface Limit {
  at: number;
  expire(): void;
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
  /** One timer per waiting request whose wait has a bound, armed for the earliest bound. */
  private readonly deadlines = new Map<Exchange, NodeJS.Timeout>();
  private turn = 0;

  constructor(private readonly source: DispatchSource) {}

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
    this.arm(exchange);
  }

  /** The bounds on a waiting request's wait that apply now. */
  private limits(exchange: Exchange): Limit[] {
    const limits: Limit[] = [];
    const queueTimeout = this.source.queueTimeout();
    if (queueTimeout > 0) {
      limits.push({
        at: exchange.arrivedAt + queueTimeout * 1000,
        expire: () => exchange.expire(503, `no thread of the process group was free within queue-timeout (${queueTimeout} s)`,
          { retryAfter: Math.ceil(queueTimeout) }),
      });
    }
    const failure = this.source.startFailure();
    if (failure) {
      limits.push({
        at: exchange.arrivedAt + failure.wait * 1000,
        expire: () => {
          const { reason, retryAfter } = failure.refuse();
          exchange.expire(503, reason, { retryAfter, causeLogged: true });
        },
      });
    }
    return limits;
  }

  private firstLimit(exchange: Exchange): Limit | undefined {
    return this.limits(exchange).reduce<Limit | undefined>((first, limit) => (first && first.at <= limit.at ? first : limit), undefined);
  }

  /** Arms the request's deadline for the earliest bound on its wait; none while nothing bounds it. */
  private arm(exchange: Exchange): void {
    this.clearDeadline(exchange);
    const limit = this.firstLimit(exchange);
    if (!limit) return;
    this.deadlines.set(exchange, setTimeout(() => this.deadlineReached(exchange, limit.at), Math.max(0, limit.at - Date.now())));
  }

  /** The bounds may have moved since the timer was armed (the group serves again): only one still due answers. */
  private deadlineReached(exchange: Exchange, armedFor: number): void {
    this.deadlines.delete(exchange);
    const limit = this.firstLimit(exchange);
    if (!limit || limit.at > armedFor) return this.arm(exchange);
    this.cancel(exchange);
    limit.expire();
  }

  /** The group started or stopped failing at start: the bounds on every waiting request change with it. */
  reschedule(): void {
    for (const queue of this.queues.values()) for (const { exchange } of queue) this.arm(exchange);
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
        exchange.expire(503, reason, { retryAfter: 1 });
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
    const processes = this.source.processes();
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
