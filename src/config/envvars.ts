// --envvars FILE: the environment a distribution's envvars file (Debian's /etc/apache2/envvars)
// gives Apache, read without a shell. It understands what such files hold: assignments
// (`NAME=value`, `export NAME=value`, `export NAME`, `unset NAME`), quoting, $NAME and ${NAME}
// with the :-, -, #, ##, % and %% forms (literal patterns), and `if [ A = B ]; then ... else ... fi`
// with = or !=. Anything else is refused, naming file:line: running it would take a shell, and
// `set -a; . FILE` before tswsgi does that.

import { readRegularFile } from './read-file';

export class EnvvarsError extends Error {}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const ASSIGNMENT = /^([A-Za-z_][A-Za-z0-9_]*)=/;
/** ${NAME}, ${NAME:-word}, ${NAME-word}, ${NAME#word}, ${NAME##word}, ${NAME%word}, ${NAME%%word}. */
const BRACED = /^([A-Za-z_][A-Za-z0-9_]*)(?:(:-|-|##|#|%%|%)(.*))?$/s;

/** The shell's variables while the file runs; `exported` are those it passes on. */
interface Shell {
  vars: Map<string, string>;
  exported: Set<string>;
}

const stripPrefix = (value = '', word: string) => (value.startsWith(word) ? value.slice(word.length) : value);
const stripSuffix = (value = '', word: string) => (value.endsWith(word) ? value.slice(0, value.length - word.length) : value);

/** What `${NAME<op>word}` gives, for the value of NAME (undefined when unset). Patterns are literal, so # and ## agree. */
const OPERATORS: Record<string, (value: string | undefined, word: string) => string> = {
  ':-': (value, word) => value || word,
  '-': (value, word) => value ?? word,
  '#': stripPrefix, '##': stripPrefix, '%': stripSuffix, '%%': stripSuffix,
};

/** Splits a line into words as the shell does, quotes kept for expand(); `;` is a word of its own. */
function splitWords(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let quote = '';
  let braces = 0;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote === '' && braces === 0 && (c === ' ' || c === '\t' || c === ';')) {
      if (word) words.push(word);
      if (c === ';') words.push(';');
      word = '';
      continue;
    }
    if (quote === '' && c === '#' && word === '') break;
    if (c === '\\' && quote !== "'") word += c + (line[++i] ?? '');
    else {
      word += c;
      if (c === '{' && line[i - 1] === '$') braces++;
      else if (c === '}' && braces > 0) braces--;
      else if ((c === '"' || c === "'") && braces === 0) quote = quote === c ? '' : quote || c;
    }
  }
  if (quote || braces) throw new EnvvarsError('unterminated quote or ${');
  if (word) words.push(word);
  return words;
}

/** A word's value: quotes removed, escapes and $ expansions done (no field splitting or globbing). */
function expand(word: string, shell: Shell): string {
  let out = '';
  let quote = '';
  for (let i = 0; i < word.length; i++) {
    const c = word[i]!;
    if (c === "'" && quote !== '"') {
      quote = quote ? '' : "'";
    } else if (quote === "'") {
      out += c;
    } else if (c === '"') {
      quote = quote ? '' : '"';
    } else if (c === '\\') {
      const next = word[++i] ?? '';
      out += quote && !'$"\\`'.includes(next) ? c + next : next;
    } else if (c === '`' || (!quote && '*?['.includes(c))) {
      throw new EnvvarsError(`'${c}' (command substitution or a file pattern) needs a shell`);
    } else if (c !== '$') {
      out += c;
    } else if (word[i + 1] === '{') {
      const end = closingBrace(word, i + 1);
      out += braced(word.slice(i + 2, end), shell);
      i = end;
    } else {
      const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(word.slice(i + 1))?.[0];
      if (!name) throw new EnvvarsError(`'$${word[i + 1] ?? ''}' needs a shell`);
      out += shell.vars.get(name) ?? '';
      i += name.length;
    }
  }
  return out;
}

function closingBrace(word: string, open: number): number {
  let depth = 0;
  for (let i = open; i < word.length; i++) {
    if (word[i] === '{') depth++;
    else if (word[i] === '}' && --depth === 0) return i;
  }
  throw new EnvvarsError('unterminated ${');
}

function braced(inner: string, shell: Shell): string {
  const m = BRACED.exec(inner);
  if (!m) throw new EnvvarsError(`\${${inner}} needs a shell`);
  const [, name, op, word = ''] = m;
  const value = shell.vars.get(name!);
  return op ? OPERATORS[op]!(value, expand(word, shell)) : value ?? '';
}

function assign(word: string, shell: Shell, exported: boolean): void {
  const name = ASSIGNMENT.exec(word)?.[1];
  if (!name) {
    if (!exported || !NAME.test(word)) throw new EnvvarsError(`'${word}' is not a variable name`);
    shell.exported.add(word);
    return;
  }
  shell.vars.set(name, expand(word.slice(name.length + 1), shell));
  if (exported) shell.exported.add(name);
}

/** `[ A = B ]` or `[ A != B ]`, then `;` and `then`, all on the if's line. */
function condition(words: string[], shell: Shell): boolean {
  const [open, a, op, b, close, semicolon, then] = words.slice(1);
  if (words.length !== 8 || open !== '[' || close !== ']' || semicolon !== ';' || then !== 'then' || (op !== '=' && op !== '!=')) {
    throw new EnvvarsError('only `if [ A = B ]; then` and `if [ A != B ]; then` are understood');
  }
  return (expand(a!, shell) === expand(b!, shell)) === (op === '=');
}

/** An open `if`: whether its current branch runs. */
interface Branch {
  taken: boolean;
  running: boolean;
}

/** The environment after the file runs in `env`: what it exports, over `env`. */
export function readEnvvars(file: string, env: NodeJS.ProcessEnv): Record<string, string> {
  const shell: Shell = {
    vars: new Map(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined)),
    exported: new Set(Object.keys(env)),
  };
  const branches: Branch[] = [];
  const running = () => branches.every((b) => b.running);
  const lines = readRegularFile(file).split(/\r?\n/);
  lines.forEach((text, index) => {
    try {
      const words = splitWords(text.trim());
      if (words.length === 0) return;
      if (text.trimEnd().endsWith('\\')) throw new EnvvarsError('continued lines need a shell');
      const [first, ...rest] = words as [string, ...string[]];
      if (first === 'if') {
        const holds = running() && condition(words, shell);
        branches.push({ taken: holds, running: holds });
      } else if (first === 'else' || first === 'fi') {
        const branch = branches[branches.length - 1];
        if (!branch || words.length !== 1) throw new EnvvarsError(`'${text.trim()}' without its if`);
        if (first === 'fi') branches.pop();
        else branch.running = !branch.taken && branches.slice(0, -1).every((b) => b.running);
      } else if (!running()) {
        // A branch not taken: the shell does not run its lines either.
      } else if (first === 'export' || first === 'unset') {
        if (first === 'export') rest.forEach((word) => assign(word, shell, true));
        else rest.forEach((name) => { shell.vars.delete(name); shell.exported.delete(name); });
      } else if (words.every((word) => ASSIGNMENT.test(word))) {
        words.forEach((word) => assign(word, shell, false));
      } else {
        throw new EnvvarsError(`'${first}' is a command; only assignments, export, unset and if [ A = B ]; then ... else ... fi are understood`);
      }
    } catch (err) {
      if (!(err instanceof EnvvarsError)) throw err;
      throw new EnvvarsError(`${file}:${index + 1}: ${err.message} (run \`set -a; . ${file}\` in a shell before tswsgi instead of --envvars)`);
    }
  });
  if (branches.length) throw new EnvvarsError(`${file}: if without fi (run \`set -a; . ${file}\` in a shell before tswsgi instead of --envvars)`);
  return Object.fromEntries([...shell.exported].filter((name) => shell.vars.has(name)).map((name) => [name, shell.vars.get(name)!]));
}
