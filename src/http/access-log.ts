// Access log lines as mod_log_config writes them: each CustomLog's format (parsed when the
// config was read) rendered from a request's record, request data escaped as Apache escapes
// it, '-' for what a request does not have. A vhost with CustomLog lines of its own logs
// there (and to GlobalLog's), any other request to the main server's. Lines are bytes: header values and paths
// are latin-1 strings holding the request's bytes, and go out unchanged.

import type { IncomingMessage } from 'node:http';
import type { LogField, LogPart } from '../config/log-format';
import type { AccessLogConfig, ServerConfig, VirtualHost } from '../config/model';
import { asBytes, parseHost, plainAddress } from '../host/environ';
import type { LogOutputs, LogWrite } from '../log/log-outputs';
import { formatTime } from './log-time';
import type { MeteredResponse, RequestRecord } from './request-record';

/** ap_escape_logitem: quotes, backslashes and bytes that are not printable ASCII, as \" \\ \n ... or \xhh. */
export function escapeLogItem(text: string): string {
  return text.replace(/["\\\x00-\x1f\x7f-\xff]/g, (c) => {
    const named: Record<string, string> = { '"': '\\"', '\\': '\\\\', '\b': '\\b', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\v': '\\v' };
    return named[c] ?? `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`;
  });
}

const escaped = (text: string | null | undefined) => (text === null || text === undefined ? null : escapeLogItem(text));

/** A header's value as Apache's table has it: every line of that name (any case), joined with ", ". */
function joined(raw: readonly string[], name: string): string | null {
  const lower = name.toLowerCase();
  const values: string[] = [];
  for (let i = 0; i < raw.length; i += 2) if (raw[i]!.toLowerCase() === lower) values.push(raw[i + 1]!);
  return values.length ? values.join(', ') : null;
}

/**
 * A response header as mod_log_config finds it in r->headers_out: Content-Type without its
 * parameters, every Set-Cookie joined, otherwise the first. Date and Server are not there
 * (Apache's core adds them as the head goes out).
 */
function responseHeader(res: MeteredResponse, name: string): string | null {
  const lower = name.toLowerCase();
  // The head node:http wrote, with the framing headers it chose (Content-Length, Transfer-Encoding, Connection).
  const head = (res as unknown as { _header: string | null })._header;
  if (!head || lower === 'date' || lower === 'server') return null;
  const values: string[] = [];
  for (const line of head.split('\r\n').slice(1)) {
    const colon = line.indexOf(':');
    if (colon > 0 && line.slice(0, colon).toLowerCase() === lower) values.push(line.slice(colon + 1).trim());
  }
  if (values.length === 0) return null;
  if (lower === 'set-cookie') return values.join(', ');
  return lower === 'content-type' ? values[0]!.split(';')[0]!.trim() : values[0]!;
}

/** A cookie's value as log_cookie finds it: pairs split at ';', names compared without case, blanks trimmed. */
function cookie(header: string | null, name: string): string | null {
  if (header === null) return null;
  for (const pair of header.split(';')) {
    const eq = pair.indexOf('=');
    if (eq <= 0 || eq === pair.length - 1) continue;
    if (pair.slice(0, eq).trim().toLowerCase() === name.toLowerCase()) return pair.slice(eq + 1).trim();
  }
  return null;
}

/** Apache's %r: the request line (node:http keeps the target as sent). */
const requestLine = (req: IncomingMessage) => `${req.method} ${req.url} HTTP/${req.httpVersion}`;

function query(url: string): string {
  const target = url.split('#')[0]!;
  const mark = target.indexOf('?');
  return mark < 0 ? '' : '?' + escapeLogItem(target.slice(mark + 1));
}

const serverName = (r: RequestRecord, main: VirtualHost) => (r.vhost ?? main).serverName;

/** One field's value; null where the request has none (logged as '-'). */
function fieldValue(field: LogField, r: RequestRecord, main: VirtualHost): string | null {
  const { req, res } = r;
  const socket = req.socket;
  const argument = field.argument.toLowerCase();
  const micros = r.endMicros - r.startMicros;
  switch (field.code) {
    // The client's address (HostnameLookups Off): %h too, and the connection's (%{c}a) is the same peer.
    case 'a': case 'h': return plainAddress(socket.remoteAddress) || null;
    case 'A': return plainAddress(socket.localAddress) || null;
    case 'b': return res.bodyBytes > 0 ? String(res.bodyBytes) : null;
    case 'B': return String(res.bodyBytes);
    case 'C': return escaped(cookie(joined(req.rawHeaders, 'cookie'), field.argument));
    case 'D': return String(micros);
    case 'e': return escaped(r.variable(field.argument));
    case 'f': return escaped(r.filename);
    case 'H': return escapeLogItem(`HTTP/${req.httpVersion}`);
    case 'i': return escaped(joined(req.rawHeaders, field.argument));
    case 'I': return String(r.bytesIn);
    case 'k': return String(r.keepalives);
    // No identd (IdentityCheck), no authentication module: as Apache with the modules tswsgi has.
    case 'l': case 'u': return null;
    case 'L': return r.logId;
    case 'm': return escaped(req.method);
    // The modules tswsgi implements set no notes.
    case 'n': return null;
    case 'o': return escaped(responseHeader(res, field.argument));
    case 'O': return String(r.bytesOut);
    case 'p':
      if (argument === 'local') return String(socket.localPort);
      if (argument === 'remote') return String(socket.remotePort);
      return String((r.vhost ?? main).serverPort ?? 80);
    // The front end answers every request on its one thread, the process's first, whose id is the pid.
    case 'P': return argument === 'hextid' ? process.pid.toString(16) : String(process.pid);
    case 'q': return query(req.url ?? '');
    case 'r': return escapeLogItem(requestLine(req));
    case 'R': return r.handler;
    case 's': return String(res.statusCode);
    case 'S': return String(r.bytesIn + r.bytesOut);
    case 't': return formatTime(field.time!.format, field.time!.end ? r.endMicros : r.startMicros);
    case 'T': return String(argument === 'us' ? micros : argument === 'ms' ? Math.floor(micros / 1000) : Math.floor(micros / 1_000_000));
    case 'U': return escapeLogItem(r.uri ?? (req.url ?? '').split(/[?#]/)[0]!);
    case 'v': return escapeLogItem(serverName(r, main));
    // UseCanonicalName Off: the Host header's name, else ServerName.
    case 'V': return escapeLogItem(req.headers.host ? parseHost(req.headers.host).name : serverName(r, main));
    case 'X': return r.connectionStatus;
    case '^ti': return escaped(joined(req.rawTrailers, field.argument));
    // A WSGI response has no trailers.
    case '^to': return null;
  }
}

/** Whether the field is logged for this status: %400,501{...}i only for those, %!200{...}i for all others. */
function wanted(field: LogField, status: number): boolean {
  return field.statuses === null || field.statuses.includes(status) !== field.negated;
}

export function formatLine(parts: readonly LogPart[], r: RequestRecord, main: VirtualHost): string {
  let line = '';
  for (const part of parts) {
    line += typeof part === 'string' ? part : (wanted(part, r.res.statusCode) ? fieldValue(part, r, main) : null) ?? '-';
  }
  return line + '\n';
}

interface Output {
  /** The format with its literal text as bytes, like everything else on the line. */
  parts: LogPart[];
  condition: AccessLogConfig['condition'];
  write: LogWrite;
}

export class AccessLog {
  /**
   * By vhost source (file:line), not object: a request that began before a graceful restart ends
   * under the new config's AccessLog, and still logs to its vhost's files.
   */
  private readonly outputs = new Map<string, Output[]>();
  private readonly main: VirtualHost;

  /** Takes a writer for every target the config's CustomLog, TransferLog and GlobalLog lines name. */
  constructor(config: ServerConfig, files: LogOutputs) {
    this.main = config.main;
    for (const vhost of [config.main, ...config.vhosts]) {
      if (vhost.accessLogs.length === 0) continue;
      this.outputs.set(vhost.source, vhost.accessLogs.map((log) => ({
        parts: log.format.parts.map((part) => (typeof part === 'string' ? asBytes(part) : part)),
        condition: log.condition,
        write: files.writer(log.target, 'transfer log file'),
      })));
    }
  }

  write(record: RequestRecord): void {
    const outputs = (record.vhost && this.outputs.get(record.vhost.source)) || this.outputs.get(this.main.source) || [];
    for (const output of outputs) {
      const { condition } = output;
      if (condition && (record.variable(condition.variable) !== undefined) === condition.negated) continue;
      output.write(formatLine(output.parts, record, this.main), 'latin1');
    }
  }
}
