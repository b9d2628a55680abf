// mod_wsgi's %{...} names for process and application groups, which the Apache
// front end expands (per request, or ahead of any for preloading) to resolve a Mount.

import { parseHost } from '../host/environ';

export interface ExpansionFacts {
  serverName: string;
  port: number;
  scriptName: string;
  hostHeader: string | undefined;
  setEnv: ReadonlyArray<[string, string]>;
}

/** mod_wsgi's %{...} names for process and application groups (inventory §4.1). */
export function expandGroupName(value: string, facts: ExpansionFacts, depth = 0): string {
  if (!value.startsWith('%{')) return value;
  const withPort = (name: string) => (facts.port === 80 || facts.port === 443 ? name : `${name}:${facts.port}`);
  switch (value) {
    case '%{GLOBAL}':
      return '';
    case '%{SERVER}':
      return withPort(facts.serverName);
    case '%{RESOURCE}':
      return `${withPort(facts.serverName)}|${facts.scriptName.toLowerCase()}`;
    case '%{HOST}':
      return withPort(facts.hostHeader ? parseHost(facts.hostHeader).name : facts.serverName);
  }
  const env = /^%\{ENV:([^}]+)\}$/.exec(value);
  if (env) {
    const found = [...facts.setEnv].reverse().find(([name]) => name === env[1]);
    const resolved = found?.[1] ?? process.env[env[1]!];
    if (resolved === undefined) return value;
    // A variable may itself hold a %{...} name, expanded once more.
    return resolved.startsWith('%{') && !resolved.startsWith('%{ENV:') && depth === 0 ? expandGroupName(resolved, facts, 1) : resolved;
  }
  return value;
}
