// A request's variables (Apache's r->subprocess_env) as Apache 2.4 sets them: mod_setenvif's
// lines outside sections as the request arrives, its lines in sections once the request is
// mapped, then (after the access check) mod_env's SetEnv, PassEnv and UnsetEnv of the scope.

import type { IncomingMessage } from 'node:http';
import type { EnvCondition } from '../config/model';

/** Variables by name, case-insensitive as Apache's tables: a name keeps the spelling it was first set with. */
export class RequestVariables {
  private readonly byName = new Map<string, [string, string]>();

  get(name: string): string | undefined {
    return this.byName.get(name.toLowerCase())?.[1];
  }

  set(name: string, value: string): void {
    const entry = this.byName.get(name.toLowerCase());
    if (entry) entry[1] = value;
    else this.byName.set(name.toLowerCase(), [name, value]);
  }

  unset(name: string): void {
    this.byName.delete(name.toLowerCase());
  }

  pairs(): Array<[string, string]> {
    return [...this.byName.values()].map(([name, value]) => [name, value]);
  }
}

/** What SetEnvIf tests in one phase. */
export interface RequestAttributes {
  req: IncomingMessage;
  client: string;
  local: string;
  /** Apache's r->uri: the path as sent before the request is mapped, decoded and normalised after. */
  uri: string;
}

/** The request's headers as Apache's headers_in: repeated names merged with ", ", each under its first spelling. */
const headerTables = new WeakMap<IncomingMessage, Array<[string, string]>>();

function headers(req: IncomingMessage): Array<[string, string]> {
  let table = headerTables.get(req);
  if (table) return table;
  const byName = new Map<string, [string, string]>();
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const entry = byName.get(raw[i]!.toLowerCase());
    if (entry) entry[1] += ', ' + raw[i + 1]!;
    else byName.set(raw[i]!.toLowerCase(), [raw[i]!, raw[i + 1]!]);
  }
  table = [...byName.values()];
  headerTables.set(req, table);
  return table;
}

function subjectValue(subject: EnvCondition['subject'], request: RequestAttributes, variables: RequestVariables): string | undefined {
  switch (subject.kind) {
    case 'special':
      switch (subject.name) {
        // HostnameLookups Off: the host is the address.
        case 'remote_addr': case 'remote_host': return request.client;
        case 'server_addr': return request.local;
        case 'request_uri': return request.uri;
        case 'request_method': return request.req.method;
        case 'request_protocol': return `HTTP/${request.req.httpVersion}`;
      }
      break;
    case 'header': {
      const name = subject.name.toLowerCase();
      return headers(request.req).find(([header]) => header.toLowerCase() === name)?.[1] ?? variables.get(subject.name);
    }
    case 'headers': {
      const table = headers(request.req);
      for (let i = table.length - 1; i >= 0; i--) if (subject.regex.test(table[i]![0])) return table[i]![1];
      return undefined;
    }
  }
}

/** ap_pregsub: $0..$9 become what the groups matched, a backslash keeps the next character as it is. */
function substitute(template: string, match: RegExpExecArray): string {
  return template.replace(/\$(\d)|\\(.)/gs, (_, group: string | undefined, escaped: string | undefined) =>
    (group !== undefined ? match[Number(group)] ?? '' : escaped!));
}

/** mod_setenvif's match_headers: each line whose attribute matches sets and unsets its variables, in order. */
export function applyConditions(conditions: readonly EnvCondition[], request: RequestAttributes, variables: RequestVariables): void {
  for (const condition of conditions) {
    // A missing header or attribute is the empty string, so that ^$ matches it.
    const value = subjectValue(condition.subject, request, variables) ?? '';
    const { pattern } = condition;
    let match: RegExpExecArray | null = null;
    if (pattern.kind === 'literal') {
      if (!(pattern.ignoreCase ? value.toLowerCase().includes(pattern.text.toLowerCase()) : value.includes(pattern.text))) continue;
    } else {
      match = pattern.regex.exec(value);
      if (!match) continue;
    }
    for (const [name, setting] of condition.features) {
      if (setting === null) variables.unset(name);
      else variables.set(name, match ? substitute(setting, match) : setting);
    }
  }
}

/** mod_env's fixup: the scope's SetEnv and PassEnv variables, over what SetEnvIf set. */
export function applySetEnv(pairs: ReadonlyArray<readonly [string, string]>, variables: RequestVariables): void {
  for (const [name, value] of pairs) variables.set(name, value);
}
