// Whole seconds for every setting that becomes a timer (Timeout, KeepAliveTimeout,
// WSGIDaemonProcess request-timeout=, restart-interval=, ...): one parser, one limit.

/**
 * Node.js fires a timer longer than 2^31-1 ms after 1 ms instead (with a warning), so a
 * request-timeout of a month would fail every request at once: this is the longest value
 * any of them may have.
 */
export const MAX_TIMER_SECONDS = Math.floor((2 ** 31 - 1) / 1000);

/**
 * The number of seconds; null when `value` is not a whole number (each caller says so in
 * Apache's or mod_wsgi's words); a message when it is one but longer than a timer can be.
 */
export function parseSeconds(value: string): number | null | string {
  if (!/^\d+$/.test(value)) return null;
  const seconds = Number(value);
  if (seconds > MAX_TIMER_SECONDS) {
    return `${value} seconds is longer than tswsgi can time (Node.js timers reach 2147483647 ms); allowed: 0 to ${MAX_TIMER_SECONDS}`;
  }
  return seconds;
}
