// Apache configuration syntax: lines, continuation, quoting, sections, and the
// directives Apache itself executes while reading (Include, Define, IfDefine,
// IfModule, IfVersion, IfFile, LoadModule, ServerRoot). What comes out is a tree of directives, each
// with its file and line, for the directive table to interpret.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { ifVersion } from './if-version';
import { isModuleLoaded, moduleByName, noteLoaded, type ModuleRegistry } from './modules';
import { readRegularFile, strerror } from './read-file';

export interface Directive {
  /** As written; directive names are case-insensitive, so compare `key`. */
  name: string;
  /** Lowercased name. */
  key: string;
  args: string[];
  file: string;
  line: number;
  /** The directives inside a section; null for a plain directive. */
  children: Directive[] | null;
}

export class ConfigError extends Error {
  /** Line 0: the file as a whole (what is missing from it has no line). */
  constructor(readonly file: string, readonly line: number, readonly detail: string) {
    super(line > 0 ? `Syntax error on line ${line} of ${file}: ${detail}` : `Configuration error in ${file}: ${detail}`);
  }
}

export interface ParseState {
  serverRoot: string;
  /** Define'd names (and -D names) with their values ("" when none was given). */
  defines: Map<string, string>;
  env: NodeJS.ProcessEnv;
  modules: ModuleRegistry;
  /** Errors found so far; parsing goes on after each, so that configtest reports them all. */
  errors: ConfigError[];
  warnings: string[];
  /**
   * Set once an Include recursion was reported: every later Include is skipped. Otherwise a file
   * that includes itself twice would be read again for every Include on the way back up, 2^128
   * times; Apache, which stops at its first error, reads it only 128 times.
   */
  includeRecursion?: boolean;
  /** Reading a .htaccess file, where Apache allows none of the directives it executes while reading. */
  htaccess?: boolean;
}

const MAX_INCLUDE_DEPTH = 128;
/**
 * Apache recurses once per open section and crashes near 10,000; real configs nest a handful.
 * The cap also keeps reading linear: every line looks at the sections open around it.
 */
const MAX_SECTION_DEPTH = 128;
/** No real line comes near it; ${A}${A} redefined a few dozen times would exhaust memory. */
const MAX_LINE_LENGTH = 1024 * 1024;

interface Line {
  text: string;
  line: number;
}

/**
 * Joins continuation lines (a backslash at the very end) and drops comments and blank lines.
 * A continued line counts as its last physical line, the one Apache names in its messages.
 */
export function logicalLines(source: string): Line[] {
  const physical = source.split(/\r?\n/);
  const lines: Line[] = [];
  for (let i = 0; i < physical.length; i++) {
    let text = physical[i]!;
    while (text.endsWith('\\') && i + 1 < physical.length) {
      text = text.slice(0, -1) + physical[++i]!;
    }
    text = text.trim();
    if (text === '' || text.startsWith('#')) continue;
    lines.push({ text, line: i + 1 });
  }
  return lines;
}

/**
 * Splits arguments as Apache's ap_getword_conf: whitespace-separated, "double" or 'single' quoted;
 * \\ stands for a backslash anywhere, and \" (\') for the quote inside "..." ('...').
 */
export function splitArgs(text: string): string[] {
  const args: string[] = [];
  let i = 0;
  while (i < text.length) {
    while (i < text.length && /\s/.test(text[i]!)) i++;
    if (i >= text.length) break;
    const quote = text[i];
    if (quote === '"' || quote === "'") {
      let word = '';
      i++;
      while (i < text.length && text[i] !== quote) {
        if (text[i] === '\\' && (text[i + 1] === quote || text[i + 1] === '\\')) i++;
        word += text[i++];
      }
      i++;
      args.push(word);
    } else {
      const start = i;
      while (i < text.length && !/\s/.test(text[i]!)) i++;
      args.push(text.slice(start, i).replace(/\\\\/g, '\\'));
    }
  }
  return args;
}

/**
 * ${NAME} from Define, then from the environment; an unknown name stays as written, with a
 * warning. As in Apache, a Define without a value (or with "") gives ${NAME} no value, and a
 * name with ':' (RewriteMap's ${map:key}) is left alone without a warning. Null when the
 * result would be longer than MAX_LINE_LENGTH.
 */
function substitute(text: string, state: ParseState, where: string): string | null {
  if (!text.includes('${')) return text;
  let length = text.length;
  const result = text.replace(/\$\{([^}]*)\}/g, (whole, name: string) => {
    let value = state.defines.get(name) || state.env[name];
    if (value === undefined) {
      if (!name.includes(':')) state.warnings.push(`${where}: Config variable \${${name}} is not defined`);
      value = whole;
    }
    // Counted as it grows, so that the overlong text is never built.
    length += value.length - whole.length;
    return length > MAX_LINE_LENGTH ? '' : value;
  });
  return length > MAX_LINE_LENGTH ? null : result;
}

/**
 * A file being read (it and the files that include it make the stack), with what decides how its
 * lines read: the defines, ServerRoot and the modules loaded at the time.
 */
interface Visit {
  file: string;
  state: string;
}

function visit(file: string, state: ParseState): Visit {
  const modules = [...state.modules.loaded].sort().join(',');
  const defines = [...state.defines].map(([name, value]) => `${name}=${value}`).sort().join('\0');
  return { file: path.resolve(file), state: `${state.serverRoot}\0${state.modules.explicit}\0${modules}\0${defines}` };
}

const RECURSION = `Exceeded maximum include depth of ${MAX_INCLUDE_DEPTH}, There appears to be a recursion.`;

/** `including`: the files whose Include lines lead here, outermost first. */
export function parseFile(file: string, state: ParseState, including: readonly Visit[] = []): Directive[] {
  let source: string;
  try {
    source = readRegularFile(file);
  } catch (err) {
    throw new Error(`Could not open configuration file ${file}: ${(err as Error).message}`);
  }
  return parseLines(logicalLines(source), file, state, [...including, visit(file, state)]);
}

/** Where Apache says directives given with -C and -c come from. */
export const COMMAND_LINE = '-c/-C directives';

/** Directives given on the command line (-C or -c), one a line, numbered in order as Apache numbers them. */
export function parseCommandLine(directives: readonly string[], state: ParseState): Directive[] {
  const lines = directives.map((text, i) => ({ text: text.trim(), line: i + 1 })).filter((line) => line.text !== '');
  return parseLines(lines, COMMAND_LINE, state, []);
}

interface OpenSection {
  directive: Directive;
  /** False inside a conditional section whose condition failed: its contents are skipped. */
  active: boolean;
}

function parseLines(lines: Line[], file: string, state: ParseState, including: readonly Visit[]): Directive[] {
  const top: Directive[] = [];
  const stack: OpenSection[] = [];
  const sink = () => (stack.length ? stack[stack.length - 1]!.directive.children! : top);
  const active = () => stack.every((s) => s.active);
  const fail = (line: number, detail: string) => state.errors.push(new ConfigError(file, line, detail));

  for (const { text: raw, line } of lines) {
    // Apache does not even substitute inside a false conditional section: it only looks for the end.
    const text = active() ? substitute(raw, state, `${file}:${line}`) : raw;
    if (text === null) {
      fail(line, `Line too long: over ${MAX_LINE_LENGTH} characters once \${...} variables are substituted`);
      continue;
    }
    if (text.startsWith('</')) {
      // The first word must be the whole </Name>; anything after it is ignored.
      const word = text.split(/\s/)[0]!;
      if (!word.endsWith('>')) fail(line, `${word}> directive missing closing '>'`);
      const name = word.slice(2).replace(/>$/, '');
      const open = stack.pop();
      if (!open) {
        fail(line, `</${name}> without matching <${name}> section`);
      } else if (open.directive.key !== name.toLowerCase()) {
        fail(line, `Expected </${open.directive.name}> but saw </${name}>`);
      }
      continue;
    }
    if (text.startsWith('<')) {
      if (stack.length >= MAX_SECTION_DEPTH) {
        // What is left of the file cannot be read as meant; one error says it all.
        fail(line, `${text.split(/\s/)[0]}> nested more than ${MAX_SECTION_DEPTH} sections deep`);
        return top;
      }
      // The arguments end at the last '>' on the line; what follows it is ignored, as in Apache.
      const end = text.lastIndexOf('>');
      if (end < 0 && active()) {
        fail(line, `${text.split(/\s/)[0]}> directive missing closing '>'`);
        continue;
      }
      const inner = text.slice(1, end < 0 ? undefined : end).trim();
      const name = inner.split(/\s/)[0]!;
      const directive: Directive = { name, key: name.toLowerCase(), args: splitArgs(inner.slice(name.length)), file, line, children: [] };
      const enabled = active() && sectionCondition(directive, state, fail);
      // Conditional sections vanish from the tree: their contents are spliced in, or skipped.
      const conditional = directive.key in CONDITIONS;
      const parent = sink();
      if (!conditional && active()) parent.push(directive);
      if (conditional) directive.children = parent;
      stack.push({ directive, active: enabled });
      continue;
    }
    if (!active()) continue;
    const args = splitArgs(text);
    const name = args.shift()!;
    const directive: Directive = { name, key: name.toLowerCase(), args, file, line, children: null };
    if (!readTimeDirective(directive, state, including, sink(), fail)) sink().push(directive);
  }
  for (const open of stack) {
    const { key, name, line } = open.directive;
    // Apache reads a true conditional section to the end of the file without complaint; a false one fails.
    if (!(key in CONDITIONS)) fail(line, `<${name}> was not closed.`);
    else if (!open.active) fail(line, `Expected </${name}> before end of configuration`);
  }
  return top;
}

/** `<IfModule NAME>`, `<IfDefine NAME>`, `<IfFile PATH>`: whether NAME holds (before any '!'). */
const NAMED_CONDITIONS: Record<string, (subject: string, state: ParseState) => boolean> = {
  ifmodule: (name, state) => isModuleLoaded(state.modules, name),
  ifdefine: (name, state) => state.defines.has(name),
  // Any kind of file, a directory too, as Apache's apr_stat.
  iffile: (file, state) => fs.existsSync(path.resolve(state.serverRoot, file)),
};

/** The sections Apache evaluates while reading; the message of an error thrown is Apache's. */
const CONDITIONS: Record<string, (directive: Directive, state: ParseState) => boolean> = {
  ...Object.fromEntries(Object.entries(NAMED_CONDITIONS).map(([key, holds]) => [key, (directive: Directive, state: ParseState) => {
    // As Apache: the first word counts ('!' may stand apart from the name), further words are ignored.
    const [first = '', second = ''] = directive.args;
    const negated = first.startsWith('!');
    const subject = negated ? first.slice(1) || second : first;
    if (!subject) throw new Error(`<${directive.name}> directive requires additional arguments`);
    return holds(subject, state) !== negated;
  }])),
  ifversion: (directive) => ifVersion(directive.args),
};

/** Conditional sections decide whether their contents count; other sections always do. */
function sectionCondition(directive: Directive, state: ParseState, fail: (line: number, detail: string) => void): boolean {
  const condition = CONDITIONS[directive.key];
  if (!condition) return true;
  try {
    return condition(directive, state);
  } catch (err) {
    fail(directive.line, (err as Error).message);
    return false;
  }
}

const READ_TIME = new Set(['define', 'undefine', 'serverroot', 'loadmodule', 'include', 'includeoptional']);

/** Directives Apache executes while reading; true when handled here (they stay out of the tree, but for ServerRoot). */
function readTimeDirective(d: Directive, state: ParseState, including: readonly Visit[], sink: Directive[], fail: (line: number, detail: string) => void): boolean {
  if (state.htaccess && READ_TIME.has(d.key)) {
    fail(d.line, `${d.name} not allowed here`);
    return true;
  }
  switch (d.key) {
    case 'define':
      if (d.args.length < 1 || d.args.length > 2) fail(d.line, 'Define takes one or two arguments, a variable name and an optional value');
      else if (d.args[0]!.includes(':')) fail(d.line, `Variable name must not contain ':'`);
      else state.defines.set(d.args[0]!, d.args[1] ?? '');
      return true;
    case 'undefine':
      if (d.args.length !== 1) fail(d.line, 'UnDefine takes one argument, a variable name');
      else state.defines.delete(d.args[0]!);
      return true;
    case 'serverroot': {
      // A relative ServerRoot is taken from the one before it, as Apache does.
      const root = path.resolve(state.serverRoot, d.args[0] ?? '');
      if (d.args.length !== 1) {
        fail(d.line, 'ServerRoot takes one argument, a directory');
      } else if (!fs.existsSync(root) || !fs.statSync(root).isDirectory()) {
        fail(d.line, 'ServerRoot must be a valid directory');
      } else {
        state.serverRoot = root;
      }
      return false;
    }
    case 'loadmodule':
      if (d.args.length !== 2) {
        fail(d.line, 'LoadModule takes two arguments, a module name and the name of a shared object file to load it from');
        return true;
      }
      if (!state.modules.loaded.has(d.args[0]!)) {
        const info = moduleByName(d.args[0]!);
        if (info?.builtIn && !info.sharedOnRedHat) {
          fail(d.line, `module ${d.args[0]} is built-in and can't be loaded`);
        } else {
          noteLoaded(state.modules, d.args[0]!);
        }
      } else {
        state.warnings.push(`${d.file}:${d.line}: module ${d.args[0]} is already loaded, skipping`);
      }
      return true;
    case 'include':
    case 'includeoptional':
      if (d.args.length !== 1) {
        fail(d.line, `${d.name} takes one argument, a file name or wildcard pattern`);
      } else if (state.includeRecursion) {
        // Reported already.
      } else if (including.length > MAX_INCLUDE_DEPTH) {
        fail(d.line, RECURSION);
        state.includeRecursion = true;
      } else {
        include(d, state, including, sink, fail);
      }
      return true;
    default:
      return false;
  }
}

function include(d: Directive, state: ParseState, including: readonly Visit[], sink: Directive[], fail: (line: number, detail: string) => void): void {
  let files: string[];
  try {
    files = expandInclude(path.resolve(state.serverRoot, d.args[0]!), d.key === 'includeoptional');
  } catch (err) {
    fail(d.line, (err as Error).message);
    return;
  }
  for (const file of files) {
    try {
      // A file already being read, in the same state, would only lead here again, down to the depth limit.
      const again = visit(file, state);
      if (including.some((v) => v.file === again.file && v.state === again.state)) {
        fail(d.line, RECURSION);
        state.includeRecursion = true;
        return;
      }
      sink.push(...parseFile(file, state, including));
    } catch (err) {
      fail(d.line, (err as Error).message);
    }
  }
}

const WILDCARD = /[*?[]/;

/**
 * The files an Include names, in the order Apache reads them: a file; a directory, meaning
 * every file under it, dotfiles too, sorted, subdirectories in their place; or a pattern with
 * wildcards in any component (they do not match a leading '.'), each match expanded the same
 * way. IncludeOptional skips what is missing; Include fails with Apache's message.
 */
function expandInclude(target: string, optional: boolean): string[] {
  if (WILDCARD.test(target)) return expandWildcard('/', target.split('/').slice(1), optional);
  if (optional && !fs.existsSync(target)) return [];
  try {
    return configFiles(target);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === undefined) throw err;
    throw new Error(`Could not open configuration file ${target}: ${strerror(err)}`);
  }
}

/** A file, or every file under a directory; as Apache, at most 128 directories deep. */
function configFiles(file: string, depth = 0): string[] {
  if (!fs.statSync(file).isDirectory()) return [file];
  if (depth >= MAX_INCLUDE_DEPTH) {
    throw new Error(`Include/IncludeOptional: Directory '${file}' exceeds the maximum include directory nesting level of ${MAX_INCLUDE_DEPTH}. You have probably a recursion somewhere.`);
  }
  return fs.readdirSync(file).sort().flatMap((name) => configFiles(path.join(file, name), depth + 1));
}

function expandWildcard(dir: string, parts: string[], optional: boolean): string[] {
  const [part, ...rest] = parts as [string, ...string[]];
  if (!WILDCARD.test(part)) {
    const next = path.join(dir, part);
    return rest.length ? expandWildcard(next, rest, optional) : expandInclude(next, optional);
  }
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch (err) {
    if (optional && (err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new Error(`Include/IncludeOptional: Could not open directory ${dir}: ${strerror(err)}`);
  }
  const source = part.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.').replace(/\[!/g, '[^');
  const matcher = new RegExp(`^${source}$`);
  const matches = names.filter((name) => matcher.test(name) && (part.startsWith('.') || !name.startsWith('.'))).sort()
    .map((name) => path.join(dir, name))
    // Inside the path only directories lead anywhere.
    .filter((match) => !rest.length || fs.statSync(match).isDirectory());
  if (matches.length === 0) {
    if (optional) return [];
    throw new Error(`Include/IncludeOptional: No matches for the wildcard '${part}' in '${dir}', failing`);
  }
  return matches.flatMap((match) => (rest.length ? expandWildcard(match, rest, optional) : configFiles(match)));
}
