// The access log in Apache's combined format:
// %h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i"

import type { IncomingMessage } from 'node:http';

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

const header = (value: string | string[] | undefined) =>
  value === undefined ? '-' : escape(Array.isArray(value) ? value.join(', ') : value);

export function combinedLine(req: IncomingMessage, status: number, bodyBytes: number): string {
  const remote = req.socket.remoteAddress ?? '-';
  const host = remote.startsWith('::ffff:') ? remote.slice(7) : remote;
  const requestLine = escape(`${req.method} ${req.url} HTTP/${req.httpVersion}`);
  return `${host} - - ${accessLogTime()} "${requestLine}" ${status} ${bodyBytes > 0 ? bodyBytes : '-'} ` +
    `"${header(req.headers.referer)}" "${header(req.headers['user-agent'])}"\n`;
}
