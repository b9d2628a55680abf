// Access logs in Apache's LogFormat language (common, combined, or any format
// built from the % directives below), to stdout or to files.

import * as fs from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { AccessLogConfig } from '../config/model';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number) => String(n).padStart(2, '0');

/** [25/Nov/2026:19:42:14 +0000], Apache's %t. */
export function accessLogTime(date = new Date()): string {
  const offset = -date.getTimezoneOffset();
  const sign = offset >= 0 ? '+' : '-';
  const zone = `${sign}${pad(Math.floor(Math.abs(offset) / 60))}${pad(Math.abs(offset) % 60)}`;
  return `[${pad(date.getDate())}/${MONTHS[date.getMonth()]}/${date.getFullYear()}:` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())} ${zone}]`;
}

/** Apache escapes quotes, backslashes and control bytes in logged request data. */
function escape(text: string): string {
  return text.replace(/["\\\x00-\x1f\x7f-\xff]/g, (c) =>
    c === '"' ? '\\"' : c === '\\' ? '\\\\' : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

export interface LoggedRequest {
  req: IncomingMessage;
  status: number;
  bodyBytes: number;
  /** Microseconds since the epoch when the request arrived. */
  startMicros: number;
}

const header = (value: string | string[] | undefined) =>
  value === undefined ? '-' : escape(Array.isArray(value) ? value.join(', ') : value);

function field(directive: string, argument: string | undefined, r: LoggedRequest): string {
  const { req } = r;
  const remote = req.socket.remoteAddress ?? '-';
  const elapsedMicros = Math.round((performance.timeOrigin + performance.now()) * 1000) - r.startMicros;
  switch (directive) {
    case 'h': case 'a': return remote.startsWith('::ffff:') ? remote.slice(7) : remote;
    case 'l': case 'u': return '-';
    case 't': return accessLogTime();
    case 'r': return escape(`${req.method} ${req.url} HTTP/${req.httpVersion}`);
    case 's': return String(r.status);
    case 'b': return r.bodyBytes > 0 ? String(r.bodyBytes) : '-';
    case 'B': return String(r.bodyBytes);
    case 'i': return header(req.headers[(argument ?? '').toLowerCase()]);
    case 'm': return escape(req.method ?? '-');
    case 'U': return escape((req.url ?? '/').split('?')[0]!);
    case 'q': return (req.url ?? '').includes('?') ? escape('?' + req.url!.split('?').slice(1).join('?')) : '';
    case 'H': return `HTTP/${req.httpVersion}`;
    case 'v': case 'V': return escape(req.headers.host?.replace(/:\d*$/, '') ?? '-');
    case 'p': return String(req.socket.localPort ?? '-');
    case 'P': return String(process.pid);
    case 'D': return String(elapsedMicros);
    case 'T': return String(Math.floor(elapsedMicros / 1_000_000));
    case '%': return '%';
    default: return '-';
  }
}

/** Formats one line; unknown directives log as '-'. */
export function formatAccessLine(format: string, r: LoggedRequest): string {
  return format.replace(/%(?:[<>])?(?:\{([^}]*)\})?([a-zA-Z%])/g, (_, argument: string | undefined, directive: string) =>
    field(directive, argument, r)) + '\n';
}

export class AccessLog {
  private readonly outputs: Array<{ format: string; write: (line: string) => void }>;
  private readonly files: fs.WriteStream[] = [];

  constructor(configs: AccessLogConfig[]) {
    this.outputs = configs.map((c) => {
      if (c.target === '-') return { format: c.format, write: (line: string) => { process.stdout.write(line); } };
      const stream = fs.createWriteStream(c.target, { flags: 'a' });
      this.files.push(stream);
      return { format: c.format, write: (line: string) => { stream.write(line); } };
    });
  }

  write(req: IncomingMessage, status: number, bodyBytes: number, startMicros: number): void {
    for (const output of this.outputs) output.write(formatAccessLine(output.format, { req, status, bodyBytes, startMicros }));
  }

  /** Closes the files once what was written reaches them. */
  close(): void {
    for (const file of this.files) file.end();
  }
}
