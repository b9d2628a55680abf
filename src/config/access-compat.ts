// mod_access_compat's directives as Apache 2.4 reads them: Order, Allow from, Deny from and
// Satisfy, kept per scope (the most specific scope with any of them replaces the others, as the
// module has no merge of its own).

import { createSubnet, SUBNET_ERROR_TEXT } from './ip-subnet';
import { DirectiveError } from './directive-error';
import type { AccessCompat, DirConfig, HostRule } from './model';

const compat = (dir: DirConfig): AccessCompat => (dir.accessCompat ??= { order: 'deny,allow', allow: [], deny: [], satisfy: null });

export function setOrder(dir: DirConfig, value: string): void {
  const order = value.toLowerCase();
  if (order !== 'allow,deny' && order !== 'deny,allow' && order !== 'mutual-failure') throw new DirectiveError('unknown order');
  compat(dir).order = order;
}

export function setSatisfy(dir: DirConfig, value: string): void {
  const satisfy = value.toLowerCase();
  if (satisfy !== 'all' && satisfy !== 'any') throw new DirectiveError("Satisfy either 'any' or 'all'.");
  compat(dir).satisfy = satisfy;
}

/** Allow from ... / Deny from ...: every entry after `from`. */
export function addHosts(dir: DirConfig, list: 'allow' | 'deny', args: string[]): void {
  const [from, ...entries] = args;
  if (from?.toLowerCase() !== 'from') throw new DirectiveError("allow and deny must be followed by 'from'");
  compat(dir)[list].push(...entries.map((where) => hostRule(where, list)));
}

function hostRule(where: string, list: 'allow' | 'deny'): HostRule {
  if (/^env=!/i.test(where)) return { kind: 'env', variable: where.slice(5), negated: true };
  if (/^env=/i.test(where)) return { kind: 'env', variable: where.slice(4), negated: false };
  if (/^all$/i.test(where)) return { kind: 'all' };
  const slash = where.indexOf('/');
  const subnet = createSubnet(slash < 0 ? where : where.slice(0, slash), slash < 0 ? null : where.slice(slash + 1));
  if (typeof subnet !== 'string') return { kind: 'ip', subnet };
  if (subnet !== 'not an address') throw new DirectiveError(SUBNET_ERROR_TEXT[subnet]);
  if (slash >= 0) throw new DirectiveError('An IP address was expected');
  if (where.includes('#')) throw new DirectiveError('No comments are allowed here');
  // Apache would match a host name after a double reverse DNS lookup of the client.
  throw new DirectiveError(`${list === 'allow' ? 'Allow' : 'Deny'} from ${where} is not supported by tswsgi: it names a host, and tswsgi ` +
    'does not look up client host names (Apache checks them by a double reverse DNS lookup per request); use an IP address or network');
}
