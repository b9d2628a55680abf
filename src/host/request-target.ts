// The request target as Apache sees it: percent-decoded into bytes, dot segments
// resolved, runs of slashes merged. Strings here hold one byte per char (latin-1).

export interface RequestTarget {
  /** Decoded, normalised path, one char per byte. */
  path: string;
  /** The path as sent (Apache's r->uri before the request is mapped). */
  rawPath: string;
  /** Raw query string without the '?', "" when absent. */
  query: string;
  /** An absolute-form target's host[:port] (RFC 9112 §3.2.2), else null. */
  authority: string | null;
}

export class TargetError extends Error {
  constructor(readonly status: 400 | 404, message: string) {
    super(message);
  }
}

const HEX = /^[0-9A-Fa-f]{2}$/;

/** Decodes %XX escapes into bytes; %2F and %00 are refused as Apache does by default (AllowEncodedSlashes Off). */
export function percentDecode(raw: string): string {
  if (!raw.includes('%')) return raw;
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (c !== '%') {
      out += c;
      continue;
    }
    const hex = raw.slice(i + 1, i + 3);
    if (!HEX.test(hex)) throw new TargetError(400, `invalid percent escape in the request path: '${raw}'`);
    const byte = parseInt(hex, 16);
    if (byte === 0x2f) throw new TargetError(404, `encoded slash in the request path (AllowEncodedSlashes Off): '${raw}'`);
    if (byte === 0) throw new TargetError(404, `encoded NUL in the request path: '${raw}'`);
    out += String.fromCharCode(byte);
    i += 2;
  }
  return out;
}

/** Resolves '.' and '..' and merges slashes; a path climbing above the root is a 400, as in Apache. */
export function normalizePath(path: string): string {
  const segments: string[] = [];
  const parts = path.split('/');
  for (let i = 1; i < parts.length; i++) {
    const part = parts[i]!;
    const last = i === parts.length - 1;
    if (part === '..') {
      if (segments.length === 0) throw new TargetError(400, `request path climbs above the root: '${path}'`);
      segments.pop();
      if (last) segments.push('');
    } else if (part === '.') {
      if (last) segments.push('');
    } else if (part !== '' || last) {
      segments.push(part);
    }
  }
  return '/' + segments.join('/');
}

export function parseTarget(url: string): RequestTarget {
  let target = url;
  // absolute-form (RFC 9112 3.2.2): the path is what follows the authority.
  const absolute = /^https?:\/\/(?:[^/?#@]*@)?([^/?#]*)/i.exec(target);
  if (absolute) target = target.slice(absolute[0].length) || '/';
  if (!target.startsWith('/')) throw new TargetError(400, `request target is not a path: '${url}'`);
  const hash = target.indexOf('#');
  if (hash >= 0) target = target.slice(0, hash);
  const mark = target.indexOf('?');
  const rawPath = mark >= 0 ? target.slice(0, mark) : target;
  const query = mark >= 0 ? target.slice(mark + 1) : '';
  return { path: normalizePath(percentDecode(rawPath)), rawPath, query, authority: absolute ? absolute[1]! : null };
}

/**
 * Splits a path at a mount point on a segment boundary, as WSGIScriptAlias does.
 * Returns null when the path is not under the mount point.
 */
export function splitAtMount(path: string, mountPoint: string): { scriptName: string; pathInfo: string } | null {
  if (mountPoint === '/') return { scriptName: '', pathInfo: path };
  if (!path.startsWith(mountPoint)) return null;
  const rest = path.slice(mountPoint.length);
  if (rest !== '' && !rest.startsWith('/')) return null;
  return { scriptName: mountPoint, pathInfo: rest };
}
