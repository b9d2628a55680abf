// Apache 2.4's access check of a request: mod_access_compat's Order/Allow/Deny, then
// mod_authz_core's Require sections, combined as Satisfy says (ap_process_request_internal).

import { methodNumber } from '../config/authz';
import { inSubnet, parseAddress } from '../config/ip-subnet';
import type { AccessCompat, AuthzNode, AuthzProvider, HostRule } from '../config/model';
import type { ResolvedDir } from './router';

/** What the checks look at: the client and server addresses, the method, and the variables set so far. */
export interface AccessFacts {
  client: string;
  local: string;
  method: string;
  /** A variable's value (names are case-insensitive, as in Apache's tables), or undefined. */
  variable(name: string): string | undefined;
}

type Result = 'granted' | 'denied' | 'neutral';

/** 127.0.0.0/8 and ::1, which Require local allows besides the server's own address. */
const isLoopback = (address: Uint8Array) =>
  address.length === 4 ? address[0] === 127 : address.every((byte, i) => byte === (i === 15 ? 1 : 0));

function check(provider: AuthzProvider, facts: AccessFacts): boolean {
  switch (provider.name) {
    case 'all': return provider.granted;
    case 'ip': {
      const client = parseAddress(facts.client);
      return client !== null && provider.subnets.some((subnet) => inSubnet(subnet, client));
    }
    case 'local': {
      const client = parseAddress(facts.client);
      return client !== null && (facts.client === facts.local || isLoopback(client));
    }
    case 'env': return provider.variables.some((name) => facts.variable(name) !== undefined);
    case 'method': {
      const method = methodNumber(facts.method);
      return method !== null && provider.methods.includes(method);
    }
  }
}

/** apply_authz_sections: granted, denied, or neutral (a negated line that did not match decides nothing). */
function evaluate(node: AuthzNode, facts: AccessFacts): Result {
  let result: Result;
  if (node.kind === 'require') {
    result = check(node.provider, facts) ? 'granted' : 'denied';
  } else {
    result = 'neutral';
    for (const child of node.children) {
      const outcome = evaluate(child, facts);
      if (outcome === 'neutral') continue;
      if (node.op === 'and' ? outcome === 'denied' : outcome === 'granted') {
        result = outcome;
        break;
      }
      if (result === 'neutral') result = outcome;
    }
  }
  if (!node.negate) return result;
  return result === 'granted' ? 'denied' : 'neutral';
}

function matchesAny(rules: readonly HostRule[], facts: AccessFacts): boolean {
  const client = parseAddress(facts.client);
  return rules.some((rule) => rule.kind === 'all' || (rule.kind === 'ip' ? client !== null && inSubnet(rule.subnet, client)
    : (facts.variable(rule.variable) !== undefined) !== rule.negated));
}

/** mod_access_compat's check_dir_access. */
function compatAllows(compat: AccessCompat, facts: AccessFacts): boolean {
  switch (compat.order) {
    case 'allow,deny': return matchesAny(compat.allow, facts) && !matchesAny(compat.deny, facts);
    case 'deny,allow': return !matchesAny(compat.deny, facts) || matchesAny(compat.allow, facts);
    case 'mutual-failure': return matchesAny(compat.allow, facts) && !matchesAny(compat.deny, facts);
  }
}

/**
 * Whether the request may proceed. Require grants when its sections evaluate to granted, or when
 * no Require applies; Satisfy Any lets either check suffice, All (the default) needs both.
 */
export function accessGranted(dir: ResolvedDir, facts: AccessFacts): boolean {
  const compat = dir.accessCompat === undefined || compatAllows(dir.accessCompat, facts);
  if (compat && dir.accessCompat?.satisfy === 'any') return true;
  const authz = dir.authz === undefined || evaluate(dir.authz, facts) === 'granted';
  return dir.accessCompat?.satisfy === 'any' ? authz : compat && authz;
}
