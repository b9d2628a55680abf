// mod_wsgi's trusted proxy headers (WSGITrustedProxyHeaders, WSGITrustedProxies; inventory §6.5).
// Behind a proxy the peer is the proxy, so what the application should see as the client's
// address, scheme, host, port, server name and mount point comes from headers the proxy adds.
// Only the headers named are believed, and only from the peers named; the other headers of
// each kind named are removed, so that an application that reads them itself cannot be fooled
// by one the client made up. Behaviour as mod_wsgi 4.9.4's wsgi_process_proxy_headers,
// compared with it by test/differential/configs/proxy-headers.conf.

import { inAnySubnet, type IpSubnet } from '../config/ip-subnet';

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

/** Applies the trusted headers, in the order configured: where two of a kind have values, the later wins. */
export function applyTrustedProxyHeaders(env: Environ, trusted: readonly string[], proxies: readonly IpSubnet[] | undefined): void {
  const peerTrusted = proxies === undefined || inAnySubnet(getValue(env, 'REMOTE_ADDR') ?? '', proxies);
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
    if (!inAnySubnet(items[i]!, proxies)) break;
    first = i;
  }
  const from = first < 0 ? items.length - 1 : Math.max(first - 1, 0);
  setValue(env, 'REMOTE_ADDR', items[from]!);
  setValue(env, 'HTTP_X_FORWARDED_FOR', items.slice(from).join(', '));
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
