// The error log's levels, most severe first, as LogLevel names them.

export const LOG_LEVELS = ['emerg', 'alert', 'crit', 'error', 'warn', 'notice', 'info', 'debug'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export function parseLogLevel(text: string): LogLevel {
  const level = text.toLowerCase();
  // Apache's trace1..trace8 are finer than debug; tswsgi logs nothing finer.
  if (/^trace[1-8]$/.test(level)) return 'debug';
  if ((LOG_LEVELS as readonly string[]).includes(level)) return level as LogLevel;
  throw new Error(`log level must be one of ${LOG_LEVELS.join(', ')}, trace1..trace8; got '${text}'`);
}
