// WSGITrustedProxies and WSGITrustedProxyHeaders as the config reads them: networks held and
// compared as APR's apr_ipsubnet_t, and header names as their CGI names. The front end applies
// them per request (src/host/proxy-headers.ts).

import { createSubnet, SUBNET_ERROR_TEXT, type IpSubnet } from './ip-subnet';

/**
 * A WSGITrustedProxyHeaders argument as its CGI name, as mod_wsgi's wsgi_http2env makes it; null
 * when it has other characters than letters, digits and '-' (mod_wsgi 4.9.4 keeps a null entry
 * and every request it applies to crashes the Apache child).
 */
export function proxyHeaderCgiName(header: string): string | null {
  return /^[A-Za-z0-9-]*$/.test(header) ? 'HTTP_' + header.toUpperCase().replace(/-/g, '_') : null;
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
  const subnet = createSubnet(ip, bits);
  if (typeof subnet !== 'string') return subnet;
  return fail(subnet === 'not an address' ? ' Invalid argument' : ` ${SUBNET_ERROR_TEXT[subnet]}`);
}
