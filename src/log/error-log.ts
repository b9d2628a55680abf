// The error log, in Apache's line format so that existing log tooling reads it.

export const LOG_LEVELS = ['emerg', 'alert', 'crit', 'error', 'warn', 'notice', 'info', 'debug'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export function parseLogLevel(text: string): LogLevel {
  const level = text.toLowerCase();
  // Apache's trace1..trace8 are finer than debug; tswsgi logs nothing finer.
  if (/^trace[1-8]$/.test(level)) return 'debug';
  if ((LOG_LEVELS as readonly string[]).includes(level)) return level as LogLevel;
  throw new Error(`log level must be one of ${LOG_LEVELS.join(', ')}, trace1..trace8; got '${text}'`);
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** `Wed Nov 25 19:42:14.123456 2026`, local time, as Apache's %{cu}t-style error log stamp. */
export function errorLogTime(date = new Date()): string {
  const micro = pad(date.getMilliseconds(), 3) + '000';
  return `${DAYS[date.getDay()]} ${MONTHS[date.getMonth()]} ${pad(date.getDate())} ` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${micro} ${date.getFullYear()}`;
}

export interface LogSink {
  write(line: string): void;
}

export class ErrorLog {
  private rank: number;

  constructor(
    level: LogLevel,
    private readonly sink: LogSink = { write: (line) => process.stderr.write(line) },
  ) {
    this.rank = LOG_LEVELS.indexOf(level);
  }

  get level(): LogLevel {
    return LOG_LEVELS[this.rank]!;
  }

  /** A graceful restart's LogLevel. */
  set level(level: LogLevel) {
    this.rank = LOG_LEVELS.indexOf(level);
  }

  enabled(level: LogLevel): boolean {
    return LOG_LEVELS.indexOf(level) <= this.rank;
  }

  log(level: LogLevel, message: string, module = 'tswsgi'): void {
    if (!this.enabled(level)) return;
    this.sink.write(`[${errorLogTime()}] [${module}:${level}] [pid ${process.pid}] ${message}\n`);
  }

  error(message: string): void { this.log('error', message); }
  warn(message: string): void { this.log('warn', message); }
  notice(message: string): void { this.log('notice', message); }
  info(message: string): void { this.log('info', message); }
  debug(message: string): void { this.log('debug', message); }

  /** Lines a worker already formatted (and filtered by level) pass through unchanged. */
  passthrough(line: string): void {
    this.sink.write(line.endsWith('\n') ? line : line + '\n');
  }
}
