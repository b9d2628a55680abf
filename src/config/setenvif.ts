// mod_setenvif's lines as Apache 2.4 reads them: SetEnvIf and BrowserMatch (User-Agent), each
// also as *NoCase. The front end tests them per request (src/http/request-env.ts).

import type { EnvCondition, SpecialAttribute } from './model';
import { DirectiveError } from './directive-error';

/**
 * Variables Apache's own protocol handling acts on, with what it does, that tswsgi only passes
 * on (it acts on nokeepalive; the compression ones agree with tswsgi, which never compresses).
 */
export const UNACTED_VARIABLES: Readonly<Record<string, string>> = {
  'downgrade-1.0': 'it treats the request as HTTP/1.0',
  'force-response-1.0': 'it answers with HTTP/1.0',
  'redirect-carefully': 'mod_dir does not redirect a non-GET request for a directory to its URL with a slash',
  'suppress-error-charset': 'its error pages carry no charset',
  'force-no-vary': 'it removes Vary from the response',
};

const SPECIAL = new Set<string>(['remote_addr', 'remote_host', 'server_addr', 'request_uri', 'request_method', 'request_protocol']);

/**
 * A pattern without regex metacharacters (backslash escapes removed), which mod_setenvif
 * searches for as a substring; null when the pattern needs the regex engine.
 */
function literalPattern(pattern: string): string | null {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if ('^.$|()[]*+?{}'.includes(c)) return null;
    if (c === '\\') {
      const next = pattern[i + 1];
      if (next === undefined) break;
      // An escaped ordinary character means something to the regex engine (\d, \w).
      if (!'^.$|()[]*+?{}\\'.includes(next)) return null;
      out += next;
      i++;
      continue;
    }
    out += c;
  }
  return out;
}

/** `var=value` sets, `!var` unsets, `var` (or `var=`) sets to 1, as mod_setenvif's add_envvars. */
function feature(word: string): [string, string | null] {
  const eq = word.indexOf('=');
  const name = eq < 0 ? word : word.slice(0, eq);
  const value = eq < 0 ? '' : word.slice(eq + 1);
  if (value !== '') return [name, value];
  return name.startsWith('!') ? [name.slice(1), null] : [name, '1'];
}

/** One SetEnvIf, SetEnvIfNoCase, BrowserMatch or BrowserMatchNoCase line (`name` as written, for messages). */
export function parseEnvCondition(name: string, args: string[]): EnvCondition {
  const browser = name.toLowerCase().startsWith('browsermatch');
  const ignoreCase = name.toLowerCase().endsWith('nocase');
  const words = browser ? ['User-Agent', ...args] : args;
  const [attribute, pattern, ...features] = words;
  if (attribute === undefined) throw new DirectiveError(`Missing header-field name for ${name}`);
  if (pattern === undefined) throw new DirectiveError(`Missing regular expression for ${name}`);
  if (features.length === 0) throw new DirectiveError(`Missing envariable expression for ${name}`);
  const flags = ignoreCase ? 'i' : '';
  const compile = (source: string, what: string) => {
    try {
      return new RegExp(source, flags);
    } catch {
      throw new DirectiveError(`${name}${what} could not be compiled.`);
    }
  };
  const literal = literalPattern(pattern);
  const special = attribute.toLowerCase();
  return {
    subject: SPECIAL.has(special) ? { kind: 'special', name: special as SpecialAttribute }
      // A name with other characters than letters, digits, '-' and '_' is a regex over header names.
      : /^[-A-Za-z0-9_]*$/.test(attribute) ? { kind: 'header', name: attribute }
        : { kind: 'headers', regex: compile(attribute, 'Header name regex') },
    pattern: literal !== null ? { kind: 'literal', text: literal, ignoreCase } : { kind: 'regex', regex: compile(pattern, ' regex') },
    features: features.map(feature),
  };
}
