// <IfVersion>, as mod_version evaluates it in Apache 2.4: `<IfVersion [[!]op] version>`, where op is
// = or == (the default), <, <=, >, >=, or ~ (version is a regex), and `= /regex/` (or a lone
// /regex/) also matches a regex. Messages are mod_version's own.

/**
 * The Apache version tswsgi answers as: Debian 12's apache2 package, the stock configurations
 * tswsgi reads were written for it (and Red Hat's 2.4.x accept the same tests).
 */
export const APACHE_VERSION = '2.4.62';

const INVALID = 'Version appears to be invalid. It must have the format major[.minor[.patch]] where major, minor and patch are numbers.';
/** What mod_version accepts: a missing or empty part counts as 0. */
const VERSION = /^(\d+)(?:\.(\d*))?(?:\.(\d*))?$/;

type Compare = (sign: number) => boolean;
const COMPARISONS: Record<string, Compare> = {
  '=': (s) => s === 0, '==': (s) => s === 0, '<': (s) => s < 0, '<=': (s) => s <= 0, '>': (s) => s > 0, '>=': (s) => s >= 0,
};

function parts(version: string): number[] | null {
  const m = VERSION.exec(version);
  return m ? [m[1], m[2], m[3]].map((part) => Number(part || 0)) : null;
}

/** Sign of `a - b`, part by part. */
function compare(a: number[], b: number[]): number {
  const i = a.findIndex((part, n) => part !== b[n]);
  return i < 0 ? 0 : Math.sign(a[i]! - b[i]!);
}

function matches(source: string, version: string): boolean {
  let regex: RegExp;
  try {
    regex = new RegExp(source);
  } catch {
    throw new Error('Unable to compile regular expression');
  }
  return regex.test(version);
}

/** Whether <IfVersion args> holds for `version`; throws mod_version's message for bad arguments. */
export function ifVersion(args: readonly string[], version = APACHE_VERSION): boolean {
  // More words than op and version: Apache's own (odd) wording for it.
  if (args.length > 2) throw new Error("<IfVersion> directive missing closing '>'");
  const [given, wanted = ''] = args.length === 2 ? args : ['=', args[0] ?? ''];
  const negated = given.startsWith('!') && given.length > 1;
  const op = negated ? given.slice(1) : given;
  let holds: boolean;
  if (op === '~') {
    holds = matches(wanted, version);
  } else if (!(op in COMPARISONS)) {
    throw new Error(`unrecognized operator '${given}'`);
  } else if ((op === '=' || op === '==') && wanted.length > 1 && wanted.startsWith('/') && wanted.endsWith('/')) {
    holds = matches(wanted.slice(1, -1), version);
  } else {
    const target = parts(wanted);
    if (!target) throw new Error(INVALID);
    holds = COMPARISONS[op]!(compare(parts(version)!, target));
  }
  return holds !== negated;
}
