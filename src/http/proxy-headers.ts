// mod_wsgi's trusted proxy headers (WSGITrustedProxyHeaders, WSGITrustedProxies; inventory §6.5).
// Behind a proxy the peer is the proxy, so what the application should see as the client's
// address, scheme, host, port, server name and mount point comes from headers the proxy adds.
// Only the headers named are believed, and only from the peers named; the other headers of
// each kind named are removed, so that an application that reads them itself cannot be fooled
// by one the client made up. Behaviour as mod_wsgi 4.9.4's wsgi_process_proxy_headers,
// compared with it by test/differential/configs/proxy-headers.conf.

import type { IpSubnet } from '../config/model';

/** The environ as the front end builds it: key, value, key, value, ... (the last of a key counts). */
type Environ = string[];

/** The kinds of header that stand for one another: trusting one of a kind removes the others. */
type HeaderKind = 'client' | 'scheme' | 'host' | 'script name';

interface ProxyHeader {
  /** null for X-Forwarded-Port and X-Forwarded-Server, which mod_wsgi never removes. */
  kind: HeaderKind | null;
  apply(env: Environ, value: string, proxies: readonly IpSubnet[] | undefined): void;
}

// The values mod_wsgi compares without regard to case; anything else leaves HTTPS as it was.
const schemeBy = (on: readonly string[], off: readonly string[]) => (env: Environ, value: string): void => {
  const lower = value.toLowerCase();
  if (on.includes(lower)) setValue(env, 'HTTPS', '1');
  else if (off.includes(lower)) removeValue(env, 'HTTPS');
};
const schemeName = schemeBy(['https'], ['http']);
const schemeFlag = schemeBy(['on', 'true', '1'], ['off', 'false', '0']);
const setTo = (key: string) => (env: Environ, value: string): void => setValue(env, key, value);
const client: ProxyHeader = { kind: 'client', apply: setTo('REMOTE_ADDR') };
const host: ProxyHeader = { kind: 'host', apply: setTo('HTTP_HOST') };
const scriptName: ProxyHeader = {
  kind: 'script name',
  // mod_wsgi.script_name keeps the value from before; mod_wsgi.mount_point says a header set it.
  apply: (env, value) => {
    setValue(env, 'mod_wsgi.mount_point', value);
    setValue(env, 'SCRIPT_NAME', value);
  },
};

const PROXY_HEADERS: ReadonlyMap<string, ProxyHeader> = new Map([
  ['HTTP_X_FORWARDED_FOR', { kind: 'client', apply: forwardedFor }],
  ['HTTP_X_CLIENT_IP', client],
  ['HTTP_X_REAL_IP', client],
  ['HTTP_X_FORWARDED_HTTPS', { kind: 'scheme', apply: schemeFlag }],
  ['HTTP_X_FORWARDED_PROTO', { kind: 'scheme', apply: schemeName }],
  ['HTTP_X_FORWARDED_SCHEME', { kind: 'scheme', apply: schemeName }],
  ['HTTP_X_FORWARDED_SSL', { kind: 'scheme', apply: schemeFlag }],
  ['HTTP_X_HTTPS', { kind: 'scheme', apply: schemeFlag }],
  ['HTTP_X_SCHEME', { kind: 'scheme', apply: schemeName }],
  ['HTTP_X_FORWARDED_HOST', host],
  ['HTTP_X_HOST', host],
  ['HTTP_X_FORWARDED_PORT', { kind: null, apply: setTo('SERVER_PORT') }],
  ['HTTP_X_FORWARDED_SERVER', { kind: null, apply: setTo('SERVER_NAME') }],
  ['HTTP_X_SCRIPT_NAME', scriptName],
  ['HTTP_X_FORWARDED_SCRIPT_NAME', scriptName],
] satisfies Array<[string, ProxyHeader]>);

const MEMBERS = new Map<HeaderKind, string[]>();
for (const [name, { kind }] of PROXY_HEADERS) if (kind) MEMBERS.set(kind, [...(MEMBERS.get(kind) ?? []), name]);

/**
 * A WSGITrustedProxyHeaders argument as its CGI name, as mod_wsgi's wsgi_http2env makes it; null
 * when it has other characters than letters, digits and '-' (mod_wsgi 4.9.4 keeps a null entry
 * and every request it applies to crashes the Apache child).
 */
export function proxyHeaderCgiName(header: string): string | null {
  return /^[A-Za-z0-9-]*$/.test(header) ? 'HTTP_' + header.toUpperCase().replace(/-/g, '_') : null;
}

/** Applies the trusted headers, in the order configured: where two of a kind have values, the later wins. */
export function applyTrustedProxyHeaders(env: Environ, trusted: readonly string[], proxies: readonly IpSubnet[] | undefined): void {
  const peerTrusted = proxies === undefined || isTrusted(getValue(env, 'REMOTE_ADDR') ?? '', proxies);
  // For each kind named: the header whose value was used (it stays in the environ), if any.
  const used = new Map<HeaderKind, string | null>();
  for (const name of trusted) {
    const header = PROXY_HEADERS.get(name);
    if (!header) continue;
    if (header.kind && !used.has(header.kind)) used.set(header.kind, null);
    if (!peerTrusted) continue;
    // Read now, not before the loop: a header named twice sees what its first use left.
    const value = getValue(env, name);
    if (value === undefined) continue;
    header.apply(env, value, proxies);
    if (header.kind) used.set(header.kind, name);
  }
  for (const [kind, kept] of used) {
    for (const name of MEMBERS.get(kind)!) if (name !== kept) removeValue(env, name);
  }
}

/**
 * mod_wsgi's Adapter_environ: HTTPS of "on" or "1" (SetEnv, or a trusted scheme header) makes
 * wsgi.url_scheme https, and the variable itself never reaches the application.
 */
export function applyHttpsVariable(env: Environ): void {
  const https = getValue(env, 'HTTPS');
  if (https === undefined) return;
  removeValue(env, 'HTTPS');
  if (https === '1' || https.toLowerCase() === 'on') setValue(env, 'wsgi.url_scheme', 'https');
}

// C's isspace in the C locale: latin-1's no-break space (0xA0) is not one.
const SPACE = /^[ \t\n\v\f\r]+|[ \t\n\v\f\r]+$/g;
const trimC = (text: string): string => text.replace(SPACE, '');

/**
 * X-Forwarded-For is "client, proxy1, proxy2": each proxy appends the address it got the request
 * from. Without WSGITrustedProxies the leftmost is the client. With it, only the proxies named
 * can be believed, so the list is read from the right past them: the entry before the leftmost
 * trusted one is the client, and the header keeps only the entries from there on (if the
 * rightmost is not trusted, that one is the client).
 */
function forwardedFor(env: Environ, value: string, proxies: readonly IpSubnet[] | undefined): void {
  if (proxies === undefined) {
    if (trimC(value) !== '') setValue(env, 'REMOTE_ADDR', trimC(value.split(',')[0]!));
    return;
  }
  // A trailing empty entry ("a, ") is not one, an inner one ("a, , b") is.
  const items = value.split(',').map(trimC);
  if (items[items.length - 1] === '') items.pop();
  if (items.length === 0) return;
  let first = -1;
  for (let i = items.length - 1; i >= 0; i--) {
    const address = parseAddress(items[i]!);
    if (address === null || !proxies.some((subnet) => inSubnet(subnet, address))) break;
    first = i;
  }
  const from = first < 0 ? items.length - 1 : Math.max(first - 1, 0);
  setValue(env, 'REMOTE_ADDR', items[from]!);
  setValue(env, 'HTTP_X_FORWARDED_FOR', items.slice(from).join(', '));
}

function isTrusted(peer: string, proxies: readonly IpSubnet[]): boolean {
  const address = parseAddress(peer);
  return address !== null && proxies.some((subnet) => inSubnet(subnet, address));
}

// ---------------------------------------------------------------------------------------
// The environ as a flat list

/** Index of the value of the last entry named `key` (the one the worker's dict keeps), or -1. */
function valueIndex(env: Environ, key: string): number {
  for (let i = env.length - 2; i >= 0; i -= 2) if (env[i] === key) return i + 1;
  return -1;
}

function getValue(env: Environ, key: string): string | undefined {
  const at = valueIndex(env, key);
  return at < 0 ? undefined : env[at];
}

function setValue(env: Environ, key: string, value: string): void {
  const at = valueIndex(env, key);
  if (at < 0) env.push(key, value);
  else env[at] = value;
}

function removeValue(env: Environ, key: string): void {
  for (let i = env.length - 2; i >= 0; i -= 2) if (env[i] === key) env.splice(i, 2);
}

// ---------------------------------------------------------------------------------------
// Addresses and networks, as APR reads and compares them

/**
 * A peer or X-Forwarded-For entry: 4 bytes for IPv4 (IPv4-mapped IPv6 included, as APR compares
 * them), else 16; null for anything else. mod_wsgi resolves entries with getaddrinfo, which also
 * takes host names (a DNS lookup per request) and inet_aton's short forms; tswsgi reads numeric
 * addresses only.
 */
function parseAddress(text: string): Uint8Array | null {
  const v4 = pton4(text);
  if (v4) return v4;
  const v6 = pton6(text.replace(/%[^%]*$/, ''));
  if (!v6) return null;
  return isV4Mapped(v6) ? v6.subarray(12) : v6;
}

/** apr_ipsubnet_test: an IPv4 peer matches IPv4 entries only; an IPv6 peer is compared on all 16 bytes with any. */
function inSubnet(subnet: IpSubnet, address: Uint8Array): boolean {
  if (address.length === 4 && subnet.family !== 4) return false;
  return address.every((byte, i) => (byte & subnet.mask[i]!) === subnet.address[i]);
}

const isV4Mapped = (bytes: Uint8Array): boolean => bytes.subarray(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;

/** apr_inet_pton for IPv4: exactly four decimal parts of at most 255 (leading zeros allowed). */
function pton4(text: string): Uint8Array | null {
  const parts = text.split('.');
  if (parts.length !== 4 || !parts.every((p) => /^\d+$/.test(p) && Number(p) <= 255)) return null;
  return Uint8Array.from(parts, Number);
}

/** apr_inet_pton for IPv6, which also takes a "::" that stands for no group and an IPv4 tail. */
function pton6(text: string): Uint8Array | null {
  const out = new Uint8Array(16);
  let at = 0;
  let gap = -1;
  let i = 0;
  if (text[0] === ':') {
    if (text[1] !== ':') return null;
    i = 1;
  }
  let groupStart = i;
  let value = 0;
  let digits = false;
  for (; i < text.length; i++) {
    const c = text[i]!;
    if (/[0-9a-fA-F]/.test(c)) {
      value = value * 16 + parseInt(c, 16);
      if (value > 0xffff) return null;
      digits = true;
    } else if (c === ':') {
      groupStart = i + 1;
      if (!digits) {
        if (gap >= 0) return null;
        gap = at;
      } else {
        if (at + 2 > 16) return null;
        out[at++] = value >> 8;
        out[at++] = value & 0xff;
        digits = false;
        value = 0;
      }
    } else {
      const tail = c === '.' && at + 4 <= 16 ? pton4(text.slice(groupStart)) : null;
      if (!tail) return null;
      out.set(tail, at);
      at += 4;
      digits = false;
      break;
    }
  }
  if (digits) {
    if (at + 2 > 16) return null;
    out[at++] = value >> 8;
    out[at++] = value & 0xff;
  }
  if (gap >= 0) {
    const moved = at - gap;
    out.copyWithin(16 - moved, gap, at);
    out.fill(0, gap, 16 - moved);
    at = 16;
  }
  return at === 16 ? out : null;
}

/**
 * A WSGITrustedProxies argument, read as mod_wsgi and APR's apr_ipsubnet_create read it: an
 * address, an IPv4 prefix ("10.1" is 10.1.0.0/16), or either with /bits or an IPv4 /netmask.
 * The error is mod_wsgi's message.
 */
export function parseTrustedProxy(text: string): IpSubnet | { error: string } {
  const fail = (why = '') => ({ error: `Unable to parse trusted proxy IP address/subnet of "${text}".${why}` });
  // mod_wsgi's own filter comes first: IPv6 in lower case only, and no host names.
  if (!(text.includes(':') ? /^[0-9a-f:/]+$/ : /^[0-9./]+$/).test(text)) return fail();
  const slash = text.indexOf('/');
  const ip = slash < 0 ? text : text.slice(0, slash);
  const bits = slash < 0 ? null : text.slice(slash + 1);
  if (!ip.includes(':') && !/^[0-9.]*$/.test(ip)) return fail(' Invalid argument');
  const badIp = () => fail(' The specified IP address is invalid.');
  const mask = new Uint8Array(16).fill(0xff);
  let family: 4 | 6;
  let address = pton6(ip);
  if (address) {
    if (isV4Mapped(address)) return badIp();
    family = 6;
  } else {
    family = 4;
    address = new Uint8Array(16);
    const v4 = pton4(ip);
    if (v4) address.set(v4);
    else if (bits !== null || ip.length > 15 || !/^(\d+(\.|$)){0,4}$/.test(ip)) return badIp();
    else {
      // A prefix of whole octets: the mask covers the octets given.
      const octets = ip.split('.').filter(Boolean).map(Number);
      if (octets.some((o) => o > 255)) return badIp();
      address.set(octets);
      mask.fill(0, 0, 4).fill(0xff, 0, octets.length);
    }
  }
  if (bits !== null) {
    const count = /^\d+$/.test(bits) ? Number(bits) : 0;
    const netmask = family === 4 ? pton4(bits) : null;
    if (count > 0 && count <= (family === 4 ? 32 : 128)) {
      mask.fill(0);
      for (let b = 0; b < count; b++) mask[b >> 3]! |= 0x80 >> (b & 7);
    } else if (netmask) {
      mask.set(netmask);
    } else {
      return fail(' The specified network mask is invalid.');
    }
  }
  for (let b = 0; b < 16; b++) address[b]! &= mask[b]!;
  return { family, address, mask };
}
