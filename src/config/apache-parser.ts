// Apache configuration syntax: lines, continuation, quoting, sections, and the
// directives Apache itself executes while reading (Include, Define, IfDefine,
// IfModule, LoadModule, ServerRoot). What comes out is a tree of directives, each
// with its file and line, for the directive table to interpret.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { isModuleLoaded, moduleByName, type ModuleRegistry } from './modules';

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
  constructor(readonly file: string, readonly line: number, readonly detail: string) {
    super(`Syntax error on line ${line} of ${file}: ${detail}`);
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
}

const MAX_INCLUDE_DEPTH = 128;

interface Line {
  text: string;
  line: number;
}

/** Joins continuation lines (a backslash at the very end) and drops comments and blank lines. */
export function logicalLines(source: string): Line[] {
  const physical = source.split(/\r?\n/);
  const lines: Line[] = [];
  for (let i = 0; i < physical.length; i++) {
    const start = i;
    let text = physical[i]!;
    while (text.endsWith('\\') && i + 1 < physical.length) {
      text = text.slice(0, -1) + physical[++i]!;
    }
    text = text.trim();
    if (text === '' || text.startsWith('#')) continue;
    lines.push({ text, line: start + 1 });
  }
  return lines;
}

/** Splits arguments as Apache's ap_getword_conf: whitespace-separated, "double" or 'single' quoted, \" inside quotes. */
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
        if (text[i] === '\\' && text[i + 1] === quote) i++;
        word += text[i++];
      }
      i++;
      args.push(word);
    } else {
      const start = i;
      while (i < text.length && !/\s/.test(text[i]!)) i++;
      args.push(text.slice(start, i));
    }
  }
  return args;
}

/** ${NAME} from Define, then from the environment; an unknown name stays as written, with a warning. */
function substitute(text: string, state: ParseState, where: string): string {
  if (!text.includes('${')) return text;
  return text.replace(/\$\{([A-Za-z0-9_.:-]+)\}/g, (whole, name: string) => {
    const value = state.defines.get(name) ?? state.env[name];
    if (value === undefined) {
      state.warnings.push(`${where}: Config variable \${${name}} is not defined`);
      return whole;
    }
    return value;
  });
}

export function parseFile(file: string, state: ParseState, depth = 0): Directive[] {
  let source: string;
  try {
    source = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`Could not open configuration file ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'No such file or directory' : (err as Error).message}`);
  }
  return parseLines(logicalLines(source), file, state, depth);
}

interface OpenSection {
  directive: Directive;
  /** False inside an IfModule/IfDefine whose condition failed: its contents are skipped. */
  active: boolean;
}

function parseLines(lines: Line[], file: string, state: ParseState, depth: number): Directive[] {
  const top: Directive[] = [];
  const stack: OpenSection[] = [];
  const sink = () => (stack.length ? stack[stack.length - 1]!.directive.children! : top);
  const active = () => stack.every((s) => s.active);
  const fail = (line: number, detail: string) => state.errors.push(new ConfigError(file, line, detail));

  for (const { text: raw, line } of lines) {
    const text = substitute(raw, state, `${file}:${line}`);
    if (text.startsWith('</')) {
      const name = text.slice(2).replace(/>\s*$/, '').trim();
      const open = stack.pop();
      if (!open) {
        fail(line, `</${name}> without matching <${name}> section`);
      } else if (open.directive.key !== name.toLowerCase()) {
        fail(line, `Expected </${open.directive.name}> but saw </${name}>`);
      }
      continue;
    }
    if (text.startsWith('<')) {
      if (!text.endsWith('>')) {
        fail(line, `${text.split(/\s/)[0]}> directive missing closing '>'`);
        continue;
      }
      const inner = text.slice(1, -1).trim();
      const name = inner.split(/\s/)[0]!;
      const directive: Directive = { name, key: name.toLowerCase(), args: splitArgs(inner.slice(name.length)), file, line, children: [] };
      const enabled = active() && sectionCondition(directive, state, fail);
      // Conditional sections vanish from the tree: their contents are spliced in, or skipped.
      const conditional = directive.key === 'ifmodule' || directive.key === 'ifdefine';
      if (!conditional && active()) sink().push(directive);
      stack.push({ directive, active: enabled });
      if (conditional) directive.children = sink() === directive.children ? [] : sink();
      continue;
    }
    if (!active()) continue;
    const args = splitArgs(text);
    const name = args.shift()!;
    const directive: Directive = { name, key: name.toLowerCase(), args, file, line, children: null };
    if (!readTimeDirective(directive, state, depth, sink(), fail)) sink().push(directive);
  }
  for (const open of stack) fail(open.directive.line, `<${open.directive.name}> was not closed.`);
  return top;
}

/** IfModule / IfDefine decide whether their contents count; other sections always do. */
function sectionCondition(directive: Directive, state: ParseState, fail: (line: number, detail: string) => void): boolean {
  if (directive.key !== 'ifmodule' && directive.key !== 'ifdefine') return true;
  if (directive.args.length !== 1) {
    fail(directive.line, `<${directive.name}> takes one argument, ${directive.key === 'ifmodule' ? 'a module name (wsgi_module or mod_wsgi.c)' : 'a parameter name'} with an optional '!'`);
    return false;
  }
  const negated = directive.args[0]!.startsWith('!');
  const subject = negated ? directive.args[0]!.slice(1) : directive.args[0]!;
  const holds = directive.key === 'ifmodule' ? isModuleLoaded(state.modules, subject) : state.defines.has(subject);
  return holds !== negated;
}

/** Directives Apache executes while reading; true when handled here (they stay out of the tree, but for ServerRoot). */
function readTimeDirective(d: Directive, state: ParseState, depth: number, sink: Directive[], fail: (line: number, detail: string) => void): boolean {
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
    case 'serverroot':
      if (d.args.length !== 1) {
        fail(d.line, 'ServerRoot takes one argument, a directory');
      } else if (!fs.existsSync(d.args[0]!) || !fs.statSync(d.args[0]!).isDirectory()) {
        fail(d.line, 'ServerRoot must be a valid directory');
      } else {
        state.serverRoot = path.resolve(d.args[0]!);
      }
      return false;
    case 'loadmodule':
      if (d.args.length !== 2) {
        fail(d.line, 'LoadModule takes two arguments, a module name and the name of a shared object file to load it from');
        return true;
      }
      if (!state.modules.loaded.has(d.args[0]!)) {
        if (moduleByName(d.args[0]!)?.builtIn) {
          fail(d.line, `module ${d.args[0]} is built-in and can't be loaded`);
        } else {
          state.modules.loaded.add(d.args[0]!);
        }
      } else {
        state.warnings.push(`${d.file}:${d.line}: module ${d.args[0]} is already loaded, skipping`);
      }
      return true;
    case 'include':
    case 'includeoptional':
      if (d.args.length !== 1) {
        fail(d.line, `${d.name} takes one argument, a file name or wildcard pattern`);
      } else if (depth >= MAX_INCLUDE_DEPTH) {
        fail(d.line, `Exceeded the maximum include directory nesting level of ${MAX_INCLUDE_DEPTH}; check for a recursive Include`);
      } else {
        include(d, state, depth, sink, fail);
      }
      return true;
    default:
      return false;
  }
}

function include(d: Directive, state: ParseState, depth: number, sink: Directive[], fail: (line: number, detail: string) => void): void {
  const optional = d.key === 'includeoptional';
  const pattern = path.resolve(state.serverRoot, d.args[0]!);
  const files = expandInclude(pattern);
  if (files.length === 0 && !optional && /[*?[]/.test(path.basename(pattern)) === false && !fs.existsSync(pattern)) {
    fail(d.line, `Include: could not open ${pattern}: No such file or directory`);
    return;
  }
  if (files.length === 0 && !optional && /[*?[]/.test(pattern)) {
    fail(d.line, `No matches for the wildcard '${path.basename(pattern)}' in '${path.dirname(pattern)}', failing (use IncludeOptional if required)`);
    return;
  }
  for (const file of files) {
    try {
      sink.push(...parseFile(file, state, depth + 1));
    } catch (err) {
      fail(d.line, (err as Error).message);
    }
  }
}

/** A file, a directory (its files, sorted), or a wildcard in the last component, as Apache expands them. */
function expandInclude(pattern: string): string[] {
  const dir = path.dirname(pattern);
  const base = path.basename(pattern);
  if (!/[*?[]/.test(base)) {
    if (!fs.existsSync(pattern)) return [];
    if (fs.statSync(pattern).isDirectory()) {
      return fs.readdirSync(pattern).sort().map((f) => path.join(pattern, f)).filter((f) => fs.statSync(f).isFile());
    }
    return [pattern];
  }
  if (!fs.existsSync(dir)) return [];
  const matcher = new RegExp('^' + base.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.') + '$');
  return fs.readdirSync(dir).filter((f) => matcher.test(f) && !f.startsWith('.')).sort()
    .map((f) => path.join(dir, f)).filter((f) => fs.statSync(f).isFile());
}
