// Addresses and networks as APR reads and compares them (apr_ipsubnet_create and
// apr_ipsubnet_test), for WSGITrustedProxies, Require ip and Allow/Deny from.

/**
 * An address or network (WSGITrustedProxies, Require ip, Allow from), held as APR's apr_ipsubnet_t holds it: 16 bytes
 * of address and of mask (an IPv4 one in the first 4), because which peers match, IPv6 ones
 * included, follows from exactly that layout.
 */
export interface IpSubnet {
  family: 4 | 6;
  address: Uint8Array;
  mask: Uint8Array;
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
export function parseAddress(text: string): Uint8Array | null {
  const v4 = pton4(text);
  if (v4) return v4;
  const v6 = pton6(text.replace(/%[^%]*$/, ''));
  if (!v6) return null;
  return isV4Mapped(v6) ? v6.subarray(12) : v6;
}

/** apr_ipsubnet_test: an IPv4 peer matches IPv4 entries only; an IPv6 peer is compared on all 16 bytes with any. */
export function inSubnet(subnet: IpSubnet, address: Uint8Array): boolean {
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


/** Why apr_ipsubnet_create refused a network: not address-like at all (EINVAL), a bad address, or a bad mask. */
export type SubnetError = 'not an address' | 'bad address' | 'bad mask';

/** APR's messages for the last two (what %pm prints). */
export const SUBNET_ERROR_TEXT: Record<Exclude<SubnetError, 'not an address'>, string> = {
  'bad address': 'The specified IP address is invalid.',
  'bad mask': 'The specified network mask is invalid.',
};

/** apr_ipsubnet_create's filter: anything with ':' may be IPv6; otherwise only digits and dots. */
const looksLikeIp = (text: string) => text !== '' && (text.includes(':') || /^[\d.]+$/.test(text));

/**
 * apr_ipsubnet_create: an address, or without a mask an IPv4 prefix of whole octets ("10.1" is
 * 10.1.0.0/16, "10.1." too); the mask is a number of bits (1 to 32 or 128) or an IPv4 netmask.
 */
export function createSubnet(ip: string, mask: string | null): IpSubnet | SubnetError {
  if (!looksLikeIp(ip)) return 'not an address';
  const netmask = new Uint8Array(16).fill(0xff);
  let family: 4 | 6;
  let address = pton6(ip);
  if (address) {
    if (isV4Mapped(address)) return 'bad address';
    family = 6;
  } else {
    family = 4;
    address = new Uint8Array(16);
    const v4 = pton4(ip);
    if (v4) address.set(v4);
    else if (mask !== null || ip.length > 15 || !/^(\d+(\.|$)){0,4}$/.test(ip)) return 'bad address';
    else {
      // A prefix of whole octets: the mask covers the octets given.
      const octets = ip.split('.').filter(Boolean).map(Number);
      if (octets.some((o) => o > 255)) return 'bad address';
      address.set(octets);
      netmask.fill(0, 0, 4).fill(0xff, 0, octets.length);
    }
  }
  if (mask !== null) {
    const count = /^\s*\+?\d+$/.test(mask) ? Number(mask) : 0;
    const dotted = family === 4 ? pton4(mask) : null;
    if (count > 0 && count <= (family === 4 ? 32 : 128)) {
      netmask.fill(0);
      for (let b = 0; b < count; b++) netmask[b >> 3]! |= 0x80 >> (b & 7);
    } else if (dotted) {
      netmask.set(dotted);
    } else {
      return 'bad mask';
    }
  }
  for (let b = 0; b < 16; b++) address[b]! &= netmask[b]!;
  return { family, address, mask: netmask };
}
