// The error log, in Apache's line format so that existing log tooling reads it, or in the
// config's ErrorLogFormat. A line logged for a request goes to its vhost's ErrorLog when the
// vhost has one (else the main server's), as Apache's do; so do the worker's lines for a request,
// which it marks with the request's id.

import { LOG_LEVELS, type LogLevel } from './error-log-levels';
import { renderErrorLogLine, type ErrorLogFormats, type ErrorLogItem } from './error-log-format';

export { LOG_LEVELS, parseLogLevel, type LogLevel } from './error-log-levels';

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** `Wed Nov 25 19:42:14.123456 2026`, local time, as Apache's %{cu}t-style error log stamp. */
export function errorLogTime(date = new Date()): string {
  const micro = pad(date.getMilliseconds(), 3) + '000';
  return `${DAYS[date.getDay()]} ${MONTHS[date.getMonth()]} ${pad(date.getDate())} ` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${micro} ${date.getFullYear()}`;
}

/**
 * ap_recent_ctime_ex for ErrorLogFormat's %{...}t: `Wed Nov 25 19:42:14 2026`, with u the
 * microseconds, with c the compact `2026-11-25 19:42:14`, with z the offset ` +0100`.
 */
export function errorLogStamp(micros: number, options: string): string {
  const date = new Date(Math.floor(micros / 1000));
  const usec = options.includes('u') ? `.${pad(micros % 1_000_000, 6)}` : '';
  const time = `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}${usec}`;
  let stamp = options.includes('c')
    ? `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${time}`
    : `${DAYS[date.getDay()]} ${MONTHS[date.getMonth()]} ${pad(date.getDate())} ${time} ${date.getFullYear()}`;
  if (options.includes('z')) {
    const offset = -date.getTimezoneOffset();
    stamp += ` ${offset < 0 ? '-' : '+'}${pad(Math.floor(Math.abs(offset) / 60))}${pad(Math.abs(offset) % 60)}`;
  }
  return stamp;
}

/** ap_escape_errorlog_item: backslashes and bytes that are not printable ASCII, as \\ \n ... or \xhh (quotes stay). */
export function escapeErrorLogItem(text: string): string {
  return text.replace(/[\\\x00-\x1f\x7f-\xff]/g, (c) => {
    const named: Record<string, string> = { '\\': '\\\\', '\b': '\\b', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\v': '\\v' };
    return named[c] ?? `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`;
  });
}

const nowMicros = () => Math.round((performance.timeOrigin + performance.now()) * 1000);

/** What ErrorLogFormat's connection fields read. */
export interface ConnectionFacts {
  /** The peer's ip:port (%{c}a). */
  readonly remote: string;
  /** The local ip:port (%A). */
  readonly local: string;
  /** Requests the connection carried before the current one (%k). */
  keepalives(): number;
  /** %{c}L. */
  readonly logId: string;
  /** Whether its once-per-connection lines were written. */
  logged: boolean;
}

/** What ErrorLogFormat's request fields read, and which vhost's ErrorLog takes the request's lines. */
export interface RequestFacts {
  readonly connection: ConnectionFacts;
  /** The client's ip:port (%a). */
  readonly remote: string;
  header(name: string): string | undefined;
  variable(name: string): string | undefined;
  /** %L: the request's id, when it has one. */
  readonly logId: string | null;
  /** %v: the vhost's ServerName (null: not chosen yet, the main server's); %V: the name the request used. */
  readonly serverName: string | null;
  readonly hostName: string | null;
  /** The vhost's source (file:line), or null for the main server. */
  readonly vhost: string | null;
  /** Whether its once-per-request lines were written. */
  logged: boolean;
}

export interface LogSink {
  write(line: string): void;
}

/** Where a scope's lines go and how they look (formats.main null: tswsgi's default line). */
export interface ErrorLogScope {
  write(line: string): void;
  formats: ErrorLogFormats;
}

export interface ErrorLogRoutes {
  main: ErrorLogScope;
  /** The main server's ServerName, %v of lines that are not a request's. */
  serverName: string;
  /** By vhost source: the vhosts with an ErrorLog or ErrorLogFormat of their own. */
  vhosts: ReadonlyMap<string, ErrorLogScope>;
}

/** What code that logs needs: the error log, or its view for one request. */
export interface Logger {
  enabled(level: LogLevel): boolean;
  log(level: LogLevel, message: string, module?: string): void;
  error(message: string): void;
  warn(message: string): void;
  notice(message: string): void;
  info(message: string): void;
  debug(message: string): void;
}

interface Entry {
  level: LogLevel;
  module: string;
  pid: number;
  /** The thread (%T): a worker's Python thread; the front end's one thread, whose id (gettid) is its pid. */
  tid: string | null;
  message: string;
  request: RequestFacts | null;
  /** A worker line's client, when its request is no longer known. */
  remote: string | null;
}

export const NO_FORMATS: ErrorLogFormats = { main: null, connection: [], request: [] };

/**
 * A worker's line: [time] [module:level] [pid P:tid T] [remote ip:port] message, led by its
 * request's id between \x1f marks when it logged it for a request.
 */
const WORKER_LINE = /^(?:\x1f([^\x1f]*)\x1f)?(\[[^\]]*\] \[([^:\]]+):([a-z]+)\] \[pid (\d+)(?::tid (\d+))?\] (?:\[remote ([^\]]*)\] )?(.*))$/s;

/** Requests whose lines may still come from a worker after they ended (its stderr is not ordered with its answers). */
const RECENT_REQUESTS = 1024;

export class ErrorLog implements Logger {
  private rank: number;
  private routes: ErrorLogRoutes;
  /** Requests by id, for the worker's lines; the ended ones kept a while, oldest first in `ended`. */
  private readonly requests = new Map<string, RequestFacts>();
  private readonly ended: string[] = [];

  constructor(level: LogLevel, sink: LogSink = { write: (line) => process.stderr.write(line) }) {
    this.rank = LOG_LEVELS.indexOf(level);
    this.routes = { main: { write: (line) => sink.write(line), formats: NO_FORMATS }, serverName: '', vhosts: new Map() };
  }

  get level(): LogLevel {
    return LOG_LEVELS[this.rank]!;
  }

  /** A graceful restart's LogLevel. */
  set level(level: LogLevel) {
    this.rank = LOG_LEVELS.indexOf(level);
  }

  /** The config's ErrorLog and ErrorLogFormat lines, at start and on each graceful restart. */
  route(routes: ErrorLogRoutes): void {
    this.routes = routes;
  }

  enabled(level: LogLevel): boolean {
    return LOG_LEVELS.indexOf(level) <= this.rank;
  }

  log(level: LogLevel, message: string, module = 'tswsgi', request: RequestFacts | null = null): void {
    if (!this.enabled(level)) return;
    this.emit({ level, module, pid: process.pid, tid: String(process.pid), message, request, remote: null },
      () => `[${errorLogTime()}] [${module}:${level}] [pid ${process.pid}] ${message}\n`);
  }

  error(message: string): void { this.log('error', message); }
  warn(message: string): void { this.log('warn', message); }
  notice(message: string): void { this.log('notice', message); }
  info(message: string): void { this.log('info', message); }
  debug(message: string): void { this.log('debug', message); }

  /** The log as one request's code sees it: its lines carry the request. */
  forRequest(request: RequestFacts): Logger {
    const log = (level: LogLevel, message: string, module = 'tswsgi') => this.log(level, message, module, request);
    return {
      enabled: (level) => this.enabled(level),
      log,
      error: (message) => log('error', message),
      warn: (message) => log('warn', message),
      notice: (message) => log('notice', message),
      info: (message) => log('info', message),
      debug: (message) => log('debug', message),
    };
  }

  /** A request the workers may log for, under the id they know it by (mod_wsgi.request_id). */
  noteRequest(id: string, request: RequestFacts): void {
    this.requests.set(id, request);
  }

  requestEnded(id: string): void {
    this.ended.push(id);
    if (this.ended.length > RECENT_REQUESTS) this.requests.delete(this.ended.shift()!);
  }

  /** Lines a worker already formatted (and filtered by level): as they are, or in the request's scope and format. */
  passthrough(line: string): void {
    const text = line.endsWith('\n') ? line.slice(0, -1) : line;
    const m = WORKER_LINE.exec(text);
    if (!m) {
      this.routes.main.write(text + '\n');
      return;
    }
    const [, id, unmarked, module, level, pid, tid, remote, message] = m;
    const request = id === undefined ? null : this.requests.get(id) ?? null;
    this.emit({ level: level as LogLevel, module: module!, pid: Number(pid), tid: tid ?? null, message: message!, request, remote: remote ?? null },
      () => unmarked + '\n');
  }

  private emit(entry: Entry, defaultLine: () => string): void {
    const { request } = entry;
    const scope = (request?.vhost && this.routes.vhosts.get(request.vhost)) || this.routes.main;
    const { formats } = scope;
    let out = '';
    if (request && !request.connection.logged) {
      request.connection.logged = true;
      for (const items of formats.connection) out += this.onceLine(items, entry, null);
    }
    if (request && !request.logged) {
      request.logged = true;
      for (const items of formats.request) out += this.onceLine(items, entry, request);
    }
    if (formats.main === null) {
      out += defaultLine();
    } else {
      out += renderErrorLogLine(formats.main, (field) => this.field(field, entry, request, false), entry.message, entry.level) + '\n';
    }
    scope.write(out);
  }

  /** A once-per-connection (request null) or once-per-request line; '' when a '+' item had nothing. */
  private onceLine(items: readonly ErrorLogItem[], entry: Entry, request: RequestFacts | null): string {
    const line = renderErrorLogLine(items, (field) => this.field(field, entry, request, true), '', null);
    return line === null || line === '' ? '' : line + '\n';
  }

  /** One ErrorLogFormat field's text (null: nothing). `once`: in a once-per line, where the message's own fields are not. */
  private field(field: Extract<ErrorLogItem, { kind: 'field' }>, entry: Entry, request: RequestFacts | null, once: boolean): string | null {
    const connection = entry.request?.connection ?? null;
    const argument = field.argument ?? '';
    switch (field.code) {
      case 'a':
        if (request && argument !== 'c') return request.remote;
        return connection?.remote ?? entry.remote;
      case 'A': return connection?.local ?? null;
      case 'e': { const value = request?.variable(argument); return value === undefined ? null : escapeErrorLogItem(value); }
      case 'i': { const value = request?.header(argument); return value === undefined ? null : escapeErrorLogItem(value); }
      case 'k': return connection ? String(connection.keepalives()) : null;
      case 'l': return once ? null : entry.level;
      case 'L':
        if (argument === 'c' || argument === 'C') return connection && (argument === 'c' || !request) ? connection.logId : null;
        return request?.logId ?? null;
      case 'm': return once ? null : entry.module;
      case 'P': return String(entry.pid);
      case 't': return errorLogStamp(nowMicros(), argument);
      // A worker line's system-wide thread id is not in it.
      case 'T': return argument === 'g' ? (entry.pid === process.pid ? String(process.pid) : null) : entry.tid;
      case 'v': return request?.serverName ?? this.routes.serverName;
      case 'V': return request?.hostName ?? null;
      // No APR status, no source file and line, no notes in tswsgi's messages.
      default: return null;
    }
  }
}
