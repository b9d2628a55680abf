// The WSGI environ's string part, built as mod_wsgi builds it (CGI variables plus
// mod_wsgi.* keys). The worker adds the Python objects. Values are latin-1 strings
// holding the request's bytes unchanged.

import type { IncomingMessage } from 'node:http';
import type { MountConfig, ServerConfig } from '../config/model';
import { FrameType, encodeBlockFrame } from '../process/framing';

export const SERVER_SOFTWARE = 'tswsgi/0.1.0';

/** Config strings are UTF-8 text; on the wire they are bytes shown as latin-1, as paths from Apache are. */
export const asBytes = (text: string): string => Buffer.from(text, 'utf8').toString('latin1');

/** Header names Apache passes on: letters, digits and '-' only (anything else could spoof a CGI variable). */
const VALID_NAME = /^[A-Za-z0-9-]+$/;
const cgiNames = new Map<string, string | null>();

function cgiName(header: string): string | null {
  let name = cgiNames.get(header);
  if (name === undefined) {
    const lower = header.toLowerCase();
    if (!VALID_NAME.test(header)) name = null;
    else if (lower === 'content-type') name = 'CONTENT_TYPE';
    else if (lower === 'content-length') name = 'CONTENT_LENGTH';
    else name = 'HTTP_' + header.toUpperCase().replace(/-/g, '_');
    if (cgiNames.size < 4096) cgiNames.set(header, name);
  }
  return name;
}

/** The per-mount part, computed once: it is the same for every request to the mount. */
export function mountEnviron(mount: MountConfig, server: ServerConfig): string[] {
  const reloading = server.scriptReloading ? '1' : '0';
  return [
    'GATEWAY_INTERFACE', 'CGI/1.1',
    'SERVER_SOFTWARE', SERVER_SOFTWARE,
    'SERVER_SIGNATURE', '',
    'SERVER_ADMIN', '[no address given]',
    'REQUEST_SCHEME', 'http',
    'wsgi.url_scheme', 'http',
    'DOCUMENT_ROOT', asBytes(server.documentRoot),
    'CONTEXT_DOCUMENT_ROOT', asBytes(server.documentRoot),
    'CONTEXT_PREFIX', '',
    'SCRIPT_FILENAME', asBytes(mount.script),
    'mod_wsgi.process_group', asBytes(mount.processGroup),
    'mod_wsgi.application_group', asBytes(mount.applicationGroup),
    'mod_wsgi.callable_object', asBytes(mount.callableObject),
    'mod_wsgi.request_handler', 'wsgi-script',
    'mod_wsgi.handler_script', '',
    'mod_wsgi.script_reloading', reloading,
    'mod_wsgi.enable_sendfile', '0',
    'mod_wsgi.ignore_activity', '0',
  ];
}

export interface RequestFacts {
  mount: MountConfig;
  mountEnviron: string[];
  scriptName: string;
  pathInfo: string;
  query: string;
  serverName: string;
  listenerHost: string;
  listenerPort: number;
  /** Microseconds since the epoch, when the request arrived. */
  startMicros: number;
  requestId: string;
}

/** Splits a Host header into name and port; Apache lowercases the name. */
export function parseHost(host: string): { name: string; port: string | null } {
  const bracket = host.startsWith('[') ? host.indexOf(']') : -1;
  const colon = host.indexOf(':', bracket + 1);
  if (colon < 0) return { name: host.toLowerCase(), port: null };
  return { name: host.slice(0, colon).toLowerCase(), port: host.slice(colon + 1) };
}

const plainAddress = (address: string | undefined): string =>
  address?.startsWith('::ffff:') ? address.slice(7) : (address ?? '');

export function buildEnviron(req: IncomingMessage, facts: RequestFacts): string[] {
  const env: string[] = facts.mountEnviron.slice();
  const socket = req.socket;
  const host = req.headers.host;
  const parsedHost = host ? parseHost(host) : null;
  env.push(
    'REQUEST_METHOD', req.method ?? 'GET',
    'REQUEST_URI', req.url ?? '/',
    'QUERY_STRING', facts.query,
    'SCRIPT_NAME', facts.scriptName,
    'PATH_INFO', facts.pathInfo,
    'SERVER_PROTOCOL', `HTTP/${req.httpVersion}`,
    'SERVER_NAME', parsedHost?.name || facts.serverName,
    'SERVER_PORT', parsedHost?.port || String(socket.localPort ?? facts.listenerPort),
    'SERVER_ADDR', plainAddress(socket.localAddress),
    'REMOTE_ADDR', plainAddress(socket.remoteAddress),
    'REMOTE_PORT', String(socket.remotePort ?? ''),
    'mod_wsgi.script_name', facts.scriptName,
    'mod_wsgi.path_info', facts.pathInfo,
    'mod_wsgi.listener_host', facts.listenerHost,
    'mod_wsgi.listener_port', String(facts.listenerPort),
    'mod_wsgi.request_start', String(facts.startMicros),
    'mod_wsgi.request_id', facts.requestId,
  );
  // Repeated headers are merged with ", " as Apache merges them into one table entry.
  const raw = req.rawHeaders;
  const seen = new Map<string, number>();
  const passAuthorization = facts.mount.passAuthorization;
  for (let i = 0; i < raw.length; i += 2) {
    const name = cgiName(raw[i]!);
    if (name === null) continue;
    // Credentials stay out of the environ unless WSGIPassAuthorization says otherwise, as in Apache.
    if (name === 'HTTP_PROXY_AUTHORIZATION' || (name === 'HTTP_AUTHORIZATION' && !passAuthorization)) continue;
    const at = seen.get(name);
    if (at === undefined) {
      seen.set(name, env.length + 1);
      env.push(name, raw[i + 1]!);
    } else {
      env[at] += ', ' + raw[i + 1]!;
    }
  }
  return env;
}

export function environFrame(env: string[]): Buffer {
  return encodeBlockFrame(FrameType.Request, env);
}
