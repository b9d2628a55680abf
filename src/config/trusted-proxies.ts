// WSGITrustedProxies and WSGITrustedProxyHeaders as the config reads them: networks held and
// compared as APR's apr_ipsubnet_t, and header names as their CGI names. The front end applies
// them per request (src/host/proxy-headers.ts).

/**
 * An address or network of WSGITrustedProxies, held as APR's apr_ipsubnet_t holds it: 16 bytes
 * of address and of mask (an IPv4 one in the first 4), because which peers match, IPv6 ones
 * included, follows from exactly that layout.
 */
export interface IpSubnet {
  family: 4 | 6;
  address: Uint8Array;
  mask: Uint8Array;
}

/**
 * A WSGITrustedProxyHeaders argument as its CGI name, as mod_wsgi's wsgi_http2env makes it; null
 * when it has other characters than letters, digits and '-' (mod_wsgi 4.9.4 keeps a null entry
 * and every request it applies to crashes the Apache child).
 */
export function proxyHeaderCgiName(header: string): string | null {
  return /^[A-Za-z0-9-]*$/.test(header) ? 'HTTP_' + header.toUpperCase().replace(/-/g, '_') : null;
}

/** Whether a peer or X-Forwarded-For entry is a numeric address inside one of `subnets`. */
export function inAnySubnet(text: string, subnets: readonly IpSubnet[]): boolean {
  const address = parseAddress(text);
  return address !== null && subnets.some((subnet) => inSubnet(subnet, address));
}

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
