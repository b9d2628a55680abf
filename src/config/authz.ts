// mod_authz_core's configuration as Apache 2.4 reads it: Require lines (with the providers of
// authz_core and authz_host tswsgi can check), the <RequireAll>, <RequireAny> and <RequireNone>
// sections, the check Apache makes once the file is read, and AuthMerging's merge of scopes.

import { createSubnet, SUBNET_ERROR_TEXT, type IpSubnet } from './ip-subnet';
import { DirectiveError } from './directive-error';
import type { AuthzNode, AuthzProvider, AuthzSection, DirConfig } from './model';

/** Apache's built-in methods (ap_method_number_of, case-sensitive); HEAD counts as GET. */
const METHODS = new Set(['GET', 'HEAD', 'PUT', 'POST', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH', 'PROPFIND', 'PROPPATCH',
  'MKCOL', 'COPY', 'MOVE', 'LOCK', 'UNLOCK', 'VERSION-CONTROL', 'CHECKOUT', 'UNCHECKOUT', 'CHECKIN', 'UPDATE', 'LABEL', 'REPORT',
  'MKWORKSPACE', 'MKACTIVITY', 'BASELINE-CONTROL', 'MERGE']);

/** The method as Apache numbers it for Require method: HEAD is GET; null for a method it does not know. */
export const methodNumber = (method: string): string | null => (method === 'HEAD' ? 'GET' : METHODS.has(method) ? method : null);

const NO_DNS = 'tswsgi does not look up client host names (Apache checks them by a double reverse DNS lookup per request); use Require ip';
const AUTH = 'tswsgi does not implement authentication yet, and ignoring it would serve what it protects to anyone';
/** Providers of modules Apache has that tswsgi refuses, with why. */
const REFUSED_PROVIDERS: Record<string, string> = {
  'host': NO_DNS,
  'forward-dns': NO_DNS,
  'expr': 'tswsgi does not evaluate expressions yet',
  'user': AUTH, 'group': AUTH, 'valid-user': AUTH, 'file-owner': AUTH, 'file-group': AUTH,
  'ldap-user': AUTH, 'ldap-group': AUTH, 'ldap-dn': AUTH, 'ldap-attribute': AUTH, 'ldap-filter': AUTH, 'ldap-search': AUTH,
  'dbd-group': AUTH, 'dbm-group': AUTH,
};

function provider(name: string, args: string[]): AuthzProvider {
  switch (name.toLowerCase()) {
    case 'all':
      if (args.length === 1 && /^(granted|denied)$/i.test(args[0]!)) return { name: 'all', granted: /^granted$/i.test(args[0]!) };
      throw new DirectiveError("Argument for 'Require all' must be 'granted' or 'denied'");
    case 'ip': {
      if (args.length === 0) throw new DirectiveError("'require ip' requires an argument");
      return { name: 'ip', subnets: args.map(requireIp) };
    }
    // Apache's local provider takes no arguments and ignores any.
    case 'local':
      return { name: 'local' };
    case 'env':
      return { name: 'env', variables: args };
    case 'method': {
      const bad = args.find((m) => !METHODS.has(m));
      if (bad !== undefined) throw new DirectiveError(`Invalid Method '${bad}'`);
      return { name: 'method', methods: [...new Set(args.map((m) => methodNumber(m)!))] };
    }
  }
  const why = REFUSED_PROVIDERS[name.toLowerCase()];
  if (why) throw new DirectiveError(`Require ${name} is not supported by tswsgi: ${why}`);
  throw new DirectiveError(`Unknown Authz provider: ${name}`);
}

function requireIp(text: string): IpSubnet {
  const slash = text.indexOf('/');
  const subnet = createSubnet(slash < 0 ? text : text.slice(0, slash), slash < 0 ? null : text.slice(slash + 1));
  if (typeof subnet !== 'string') return subnet;
  throw new DirectiveError(`ip address '${text}' appears to be invalid${subnet === 'not an address' ? '' : `: ${SUBNET_ERROR_TEXT[subnet]}`}`);
}

/** How Apache names a section in its messages. */
export function authzSectionName(section: AuthzSection): string {
  return `<Require${section.op === 'and' ? (section.negate ? 'NotAll' : 'All') : (section.negate ? 'None' : 'Any')}>`;
}

/** The implicit <RequireAny> a scope's Require lines go into. */
const scopeSection = (dir: DirConfig): AuthzSection => (dir.authz ??= { kind: 'section', op: 'or', negate: false, children: [] });

/**
 * A Require line, added to the open <Require*> section or else to the scope's own. `Require not`
 * where any one line suffices (a <RequireAny>) could never decide anything: Apache refuses it.
 */
export function addRequire(dir: DirConfig, open: AuthzSection | null, args: string[]): void {
  let [name = '', ...rest] = args;
  const negate = name.toLowerCase() === 'not';
  if (negate) [name = '', ...rest] = rest;
  const node: AuthzNode = { kind: 'require', provider: provider(name, rest), negate };
  const target = open ?? scopeSection(dir);
  if (negate && target.op === 'or') throw new DirectiveError(`negative Require directive has no effect in ${authzSectionName(target)} directive`);
  target.children.push(node);
}

export const SECTION_KINDS: Record<string, Pick<AuthzSection, 'op' | 'negate'>> = {
  requireall: { op: 'and', negate: false },
  requireany: { op: 'or', negate: false },
  requirenone: { op: 'or', negate: true },
};

/** A new <RequireAll>, <RequireAny> or <RequireNone>, to be filled and then closed with closeSection. */
export function openSection(key: string, args: string[], name: string): AuthzSection {
  if (args.length > 0) throw new DirectiveError(`<${name}> directive doesn't take additional arguments`);
  return { kind: 'section', ...SECTION_KINDS[key]!, children: [] };
}

/** A section read to its end, added to its parent as Apache's add_authz_section adds it. */
export function closeSection(dir: DirConfig, open: AuthzSection | null, section: AuthzSection): void {
  if (section.children.length === 0) throw new DirectiveError(`${authzSectionName(section)} directive contains no authorization directives`);
  const parent = open ?? scopeSection(dir);
  if (section.negate && parent.op === 'or') {
    throw new DirectiveError(`${authzSectionName(section)} directive has no effect in ${authzSectionName(parent)} directive`);
  }
  // Sections of the same kind are associative: their lines join the parent's.
  if (!section.negate && section.op === parent.op) parent.children.push(...section.children);
  else parent.children.push(section);
}

/**
 * Apache's check of a scope's sections once the file is read (authz_core_check_section): a
 * negated section under one of the other operator is rewritten by De Morgan's law, and a section
 * with nothing but negative lines is an error, since it could never grant anything.
 */
export function checkScope(section: AuthzSection): void {
  checkSection(section, true);
}

function checkSection(section: AuthzSection, scope: boolean): void {
  const children: AuthzNode[] = [];
  for (const child of section.children) {
    if (child.kind === 'section') {
      checkSection(child, false);
      if (child.negate && child.op !== section.op) {
        children.push(...child.children.map((c) => ({ ...c, negate: !c.negate })));
        continue;
      }
    }
    children.push(child);
  }
  section.children = children;
  if (!children.some((c) => !c.negate)) {
    throw new DirectiveError(`${scope ? '<Directory>, <Location>, or similar' : authzSectionName(section)} directive contains only negative authorization directives`);
  }
}

/** A scope's authorization after merging: its section (none: no Require applies) and AuthMerging. */
export interface MergedAuthz {
  section: AuthzSection | undefined;
  op: DirConfig['authMerging'];
}

/**
 * merge_authz_core_dir_config: a scope with Require lines replaces the wider scope's unless its
 * AuthMerging is And or Or, which joins both under that operator; a scope with neither keeps it.
 * (AuthMerging Off with no Require lines leaves no Require at all, as in Apache.)
 */
export function mergeAuthz(base: MergedAuthz, layer: DirConfig): MergedAuthz {
  const op = layer.authMerging;
  if (op === undefined && !layer.authz && base.section) return base;
  if (op === undefined || op === 'off' || !(base.section || layer.authz)) return { section: layer.authz, op };
  const section = base.section && layer.authz
    ? { kind: 'section' as const, op, negate: false, children: [base.section, layer.authz] }
    : base.section ?? layer.authz;
  return { section, op };
}

export function parseAuthMerging(value: string): NonNullable<DirConfig['authMerging']> {
  const op = value.toLowerCase();
  if (op === 'off' || op === 'and' || op === 'or') return op;
  throw new DirectiveError('AuthMerging must be one of: Off | And | Or');
}
