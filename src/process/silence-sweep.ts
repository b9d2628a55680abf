// socket-timeout's check of the worker connections: one timer for every open
// connection of a supervisor, none armed per request. One per supervisor, so that
// two hosts in one Node process share no timer.

const SWEEP_MS = 250;

/** A connection whose silence the sweep measures. */
export interface Watched {
  checkSilence(now: number): void;
}

export class SilenceSweep {
  private readonly open = new Set<Watched>();
  private timer: NodeJS.Timeout | null = null;

  track(connection: Watched): void {
    this.open.add(connection);
    if (this.timer) return;
    this.timer = setInterval(() => {
      const now = Date.now();
      for (const each of this.open) each.checkSilence(now);
    }, SWEEP_MS);
    this.timer.unref();
  }

  untrack(connection: Watched): void {
    this.open.delete(connection);
    if (this.open.size > 0 || !this.timer) return;
    clearInterval(this.timer);
    this.timer = null;
  }
}
