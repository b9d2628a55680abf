// The WSGI environ's string part, built as mod_wsgi builds it (CGI variables plus
// mod_wsgi.* keys). The worker adds the Python objects. Values are latin-1 strings
// holding the request's bytes unchanged.

import type { IncomingMessage } from 'node:http';
import type { IpSubnet } from '../config/ip-subnet';
import { BODY_END, EMPTY, FrameType, encodeBlock, encodeBlockFrame, encodeFrame } from '../process/framing';
import type { AliasContext } from './mount';
import { applyHttpsVariable, applyTrustedProxyHeaders } from './proxy-headers';

export const SERVER_SOFTWARE = 'tswsgi/0.1.0';

/** Config strings are UTF-8 text; on the wire they are bytes shown as latin-1, as paths from Apache are. */
export const asBytes = (text: string): string => Buffer.from(text, 'utf8').toString('latin1');

/** Header names Apache passes on: letters, digits and '-' only (anything else could spoof a CGI variable). */
const VALID_NAME = /^[A-Za-z0-9-]+$/;

/** What is the same for every request to one script in one scope. */
export interface ScriptFacts {
  script: string;
  /** `script` is a Python module's name: the environ names it in tswsgi.entry_module, and has no SCRIPT_FILENAME. */
  module: boolean;
  documentRoot: string;
  context: AliasContext | undefined;
  processGroup: string;
  applicationGroup: string;
  callableObject: string;
  scriptReloading: boolean;
}

/** The strings that are the same for every request to a script in a scope, and their C frame. */
interface ConstantPart {
  strings: string[];
  frame: Buffer;
}

export interface RequestFacts {
  script: ScriptFacts;
  method: string;
  scriptName: string;
  pathInfo: string;
  query: string;
  /** The vhost's ServerName, for requests without a Host header. */
  serverName: string;
  /** The port of the vhost's ServerName (host:port), if it gives one. */
  serverPort: number | null;
  listenerHost: string;
  listenerPort: number;
  passAuthorization: boolean;
  setEnv: ReadonlyArray<[string, string]>;
  /** WSGITrustedProxyHeaders (CGI names) and WSGITrustedProxies of the scope; undefined when not set. */
  trustedProxyHeaders: readonly string[] | undefined;
  trustedProxies: readonly IpSubnet[] | undefined;
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

export const plainAddress = (address: string | undefined): string =>
  address?.startsWith('::ffff:') ? address.slice(7) : (address ?? '');

/**
 * The environ as the worker gets it: the scope's constant part as a C frame, encoded once and
 * sent only when it differs from the last one on the connection, and the request's own strings
 * for the R frame. The R frame's strings win in the worker's dict, as later entries do in
 * Apache's table.
 */
export interface Environ {
  constant: Buffer;
  strings: string[];
  /** The constant part's strings, which the C frame holds. */
  constantStrings: readonly string[];
}

/**
 * A variable of the environ as the worker's dict has it (the request's strings win), for the access
 * log's %e; the name is case-insensitive, as in Apache's table of the request's variables.
 */
export function environValue(env: Environ, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const strings of [env.strings, env.constantStrings]) {
    for (let i = strings.length - 2; i >= 0; i -= 2) if (strings[i]!.toLowerCase() === wanted) return strings[i + 1];
  }
  return undefined;
}

/**
 * Builds environs, keeping what it computed once (CGI names of header names, the encoded
 * constant part per script and scope) for the next request: one per host, so that hosts
 * share no state.
 */
export class EnvironBuilder {
  private readonly cgiNames = new Map<string, string | null>();
  private readonly constantParts = new Map<string, ConstantPart>();

  build(req: IncomingMessage, facts: RequestFacts): Environ {
    const constant = this.constantPart(facts.script);
    const env: string[] = [];
    const socket = req.socket;
    const host = req.headers.host;
    const parsedHost = host ? parseHost(host) : null;
    env.push(
      'REQUEST_METHOD', facts.method,
      'REQUEST_URI', requestUri(req),
      'QUERY_STRING', facts.query,
      'SCRIPT_NAME', facts.scriptName,
      'PATH_INFO', facts.pathInfo,
      'SERVER_PROTOCOL', `HTTP/${req.httpVersion}`,
      'SERVER_NAME', parsedHost?.name || facts.serverName,
      // Apache (UseCanonicalName Off): the Host header's port, else ServerName's, else the scheme's
      // default, not the port the connection came in on (observed: Host without a port gives 80).
      'SERVER_PORT', parsedHost?.port || String(facts.serverPort ?? 80),
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
    for (const [name, value] of facts.setEnv) env.push(asBytes(name), asBytes(value));
    // Repeated headers are merged with ", " as Apache merges them into one table entry.
    const raw = req.rawHeaders;
    const seen = new Map<string, number>();
    for (let i = 0; i < raw.length; i += 2) {
      const name = this.cgiName(raw[i]!);
      if (name === null) continue;
      // Credentials stay out of the environ unless WSGIPassAuthorization says otherwise, as in Apache.
      if (name === 'HTTP_PROXY_AUTHORIZATION' || (name === 'HTTP_AUTHORIZATION' && !facts.passAuthorization)) continue;
      const at = seen.get(name);
      if (at === undefined) {
        seen.set(name, env.length + 1);
        env.push(name, raw[i + 1]!);
      } else {
        env[at] += ', ' + raw[i + 1]!;
      }
    }
    // Only trusted proxy headers and SetEnv HTTPS rewrite the environ (the scheme is in the
    // constant part); most requests skip both.
    if (!facts.trustedProxyHeaders && !facts.setEnv.some(([name]) => name === 'HTTPS')) return { constant: constant.frame, strings: env, constantStrings: constant.strings };
    const all = constant.strings.concat(env);
    // As mod_wsgi: after SetEnv and the headers are in, before HTTPS becomes wsgi.url_scheme.
    if (facts.trustedProxyHeaders) applyTrustedProxyHeaders(all, facts.trustedProxyHeaders, facts.trustedProxies);
    applyHttpsVariable(all);
    // The R frame repeats every constant key, so what these rewrote wins over the C frame (they
    // remove only HTTPS and header keys, which the constant part does not have).
    return { constant: constant.frame, strings: all, constantStrings: constant.strings };
  }

  private cgiName(header: string): string | null {
    let name = this.cgiNames.get(header);
    if (name === undefined) {
      const lower = header.toLowerCase();
      if (!VALID_NAME.test(header)) name = null;
      else if (lower === 'content-type') name = 'CONTENT_TYPE';
      else if (lower === 'content-length') name = 'CONTENT_LENGTH';
      else name = 'HTTP_' + header.toUpperCase().replace(/-/g, '_');
      if (this.cgiNames.size < 4096) this.cgiNames.set(header, name);
    }
    return name;
  }

  /** The constant part, computed and encoded once per script and scope rather than per request. */
  private constantPart(facts: ScriptFacts): ConstantPart {
    const key = `${facts.module}\0${facts.script}\0${facts.documentRoot}\0${facts.context?.prefix}\0${facts.context?.documentRoot}\0${facts.processGroup}\0${facts.applicationGroup}\0${facts.callableObject}\0${facts.scriptReloading}`;
    let part = this.constantParts.get(key);
    if (!part) {
      const strings = [
        'GATEWAY_INTERFACE', 'CGI/1.1',
        'SERVER_SOFTWARE', SERVER_SOFTWARE,
        'SERVER_SIGNATURE', '',
        'SERVER_ADMIN', '[no address given]',
        'REQUEST_SCHEME', 'http',
        'wsgi.url_scheme', 'http',
        'DOCUMENT_ROOT', asBytes(facts.documentRoot),
        'CONTEXT_DOCUMENT_ROOT', asBytes(facts.context?.documentRoot ?? facts.documentRoot),
        'CONTEXT_PREFIX', asBytes(facts.context?.prefix ?? ''),
        ...(facts.module ? ['tswsgi.entry_module', asBytes(facts.script)] : ['SCRIPT_FILENAME', asBytes(facts.script)]),
        'mod_wsgi.process_group', asBytes(facts.processGroup),
        'mod_wsgi.application_group', asBytes(facts.applicationGroup),
        'mod_wsgi.callable_object', asBytes(facts.callableObject),
        'mod_wsgi.request_handler', 'wsgi-script',
        'mod_wsgi.handler_script', '',
        'mod_wsgi.script_reloading', facts.scriptReloading ? '1' : '0',
        'mod_wsgi.enable_sendfile', '0',
        'mod_wsgi.ignore_activity', '0',
      ];
      part = { strings, frame: encodeFrame(FrameType.Constant, encodeBlock(strings)) };
      if (this.constantParts.size < 1024) this.constantParts.set(key, part);
    }
    return part;
  }
}

/** The target as the client sent it: Express and Connect rewrite req.url below a mount and keep it in originalUrl. */
const requestUri = (req: IncomingMessage): string => (req as { originalUrl?: string }).originalUrl ?? req.url ?? '/';

/** The R frame; for a request without a body, the E frame follows in the same buffer. */
export function environFrame(env: Environ, bodyless: boolean): Buffer {
  return encodeBlockFrame(FrameType.Request, env.strings, bodyless ? BODY_END : EMPTY);
}
