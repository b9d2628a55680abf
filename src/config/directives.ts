// The one directive table: for each directive tswsgi reads, its module, where it
// may appear, its arguments, its default, and the handler that fills the model.
// It drives parsing, validation, `tswsgi help directives` and docs/directives.md.

import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Directive } from './apache-parser';
import { DirectiveError } from './directive-error';
import { addRequire, parseAuthMerging } from './authz';
import { addHosts, setOrder, setSatisfy } from './access-compat';
import { parseEnvCondition, UNACTED_VARIABLES } from './setenvif';
import { DAEMON_OPTIONS, parseDaemonOptions, splitDeclaration } from './daemon-options';
import { parseSeconds } from './seconds';
import { parseRequestReadTimeout } from './request-read-timeout';
import { readMimeTypes } from './mime-types';
import { GLOBAL, OPTION, OPTIONS_ALL, type AccessLogConfig, type ErrorDocument, type OptionsSetting, type AuthzSection, type DirConfig, type OverrideKind, type MapHeadToGet, type ProcessGroupConfig, type ServerConfig, type VirtualHost } from './model';
import { parseLogLevel } from '../log/error-log';
import { ErrorLogFormatError, parseErrorLogFormat, type ErrorLogFormats } from '../log/error-log-format';
import { commandWords, type LogTarget } from '../log/log-target';
import { parseTrustedProxy, proxyHeaderCgiName } from './trusted-proxies';
import type { GroupReference } from './group-references';
import { LogFormatError, parseLogFormat, type LogFormat } from './log-format';
import { CHECKS, COMPRESSION_FILTERS } from './module-rules';

/** Where a directive may stand: the main server, a <VirtualHost>, a Directory/Location/Files section. */
export type Context = 'server' | 'vhost' | 'directory';

export { DirectiveError };

export interface MpmSizing {
  startServers: number;
  serverLimit: number;
  threadsPerChild: number;
  maxRequestWorkers: number | null;
  /** FILE:LINE of the MaxRequestWorkers (or MaxClients) line, for the warnings about its value. */
  maxRequestWorkersAt: string;
}

export interface PendingImport {
  path: string;
  processGroup: string;
  applicationGroup: string;
  source: string;
  /** The vhost's ServerName where it was declared (null at server level). */
  vhostServerName: string | null;
  /** A WSGIScriptAlias preload rather than a WSGIImportScript: alone, it does not start the %{GLOBAL} pool. */
  fromAlias: boolean;
}

export interface PendingLog {
  vhost: VirtualHost;
  log: AccessLogConfig;
  /**
   * CustomLog's second argument: a LogFormat nickname if one has it, else the format itself
   * (already in `log`); null for TransferLog, whose format is its scope's LogFormat without a nickname.
   */
  nickname: string | null;
  /** GlobalLog's: vhosts with logs of their own write to it too. */
  global: boolean;
}

/** What handlers read and write while the tree is walked. */
export interface BuildContext {
  config: ServerConfig;
  vhost: VirtualHost;
  inVhost: boolean;
  /** The settings the current scope writes to: the vhost's or the section's. */
  dir: DirConfig;
  /** The section being read, for context errors ("Directory"). */
  sectionName: string | null;
  /** The <RequireAll>, <RequireAny> or <RequireNone> being read, which Require lines go into. */
  openAuthz?: AuthzSection;
  /** The environment PassEnv reads (tswsgi's own, with --envvars' variables). */
  env: NodeJS.ProcessEnv;
  /** Reading a .htaccess file: the AllowOverride kinds its directory allows. */
  htaccess?: readonly OverrideKind[];
  groups: Map<string, ProcessGroupConfig>;
  imports: PendingImport[];
  /** Process group names requests will use, checked once every WSGIDaemonProcess is known. */
  groupReferences: GroupReference[];
  mpm: MpmSizing;
  /** WSGIPythonHome (with "FILE:LINE: WSGIPythonHome DIR") and WSGIPythonPath. */
  python: { home: { dir: string; source: string } | null; path: string[] };
  /** The python3 tswsgi runs when nothing else names one, and what chose it. */
  defaultPython: { python: string; source: string };
  /** Whether a TypesConfig was read: then /etc/mime.types is not. */
  typesConfig: boolean;
  warnings: string[];
  /** LogFormat nicknames of each scope: a vhost's own, and the main server's, which vhosts inherit. */
  logFormats: Map<VirtualHost, Map<string, LogFormat>>;
  /** The last LogFormat without a nickname of each scope (TransferLog's format), as written. */
  defaultLogFormats: Map<VirtualHost, string>;
  /** CustomLog, TransferLog and GlobalLog lines; a nickname is looked up once the file is read (a LogFormat may follow it, as in Apache). */
  customLogs: PendingLog[];
  /** ErrorLogFormat lines of each scope, each kind set only where the scope has lines of that kind. */
  errorLogFormats: Map<VirtualHost, Partial<ErrorLogFormats>>;
  /** Directives accepted without effect (and variables set without effect) that were warned about: one warning per name. */
  warnedDirectives: Set<string>;
}

export interface DirectiveSpec {
  name: string;
  module: string;
  contexts: readonly Context[];
  /** Fewest and most arguments; max -1 for no limit. */
  args: [number, number];
  syntax: string;
  default: string;
  description: string;
  example: string;
  /** Apache's words after "takes N arguments, ...". */
  argHelp: string;
  /** The AllowOverride kind that lets a .htaccess file hold it ('any': every kind); none: never in a .htaccess file. */
  override?: OverrideKind | 'any';
  apply(d: Directive, ctx: BuildContext): void;
}

const RSRC: readonly Context[] = ['server', 'vhost'];
/** AllowOverride All; Options= (some options only) is left out, so that Options lines stay refused. */
const OVERRIDE_KINDS: readonly OverrideKind[] = ['authconfig', 'fileinfo', 'indexes', 'limit', 'options'];
const GLOBAL_ONLY: readonly Context[] = ['server'];
const EVERYWHERE: readonly Context[] = ['server', 'vhost', 'directory'];

function flag(d: Directive, wsgiStyle: boolean): boolean {
  const value = d.args[0]!.toLowerCase();
  if (value === 'on') return true;
  if (value === 'off') return false;
  throw new DirectiveError(wsgiStyle ? `${d.name} must be one of: Off | On` : `${d.name} must be On or Off`);
}

function wholeNumber(d: Directive, value: string, what: string): number {
  if (!/^\d+$/.test(value)) throw new DirectiveError(`${d.name} ${what} must be a whole number, got '${value}'`);
  return Number(value);
}

function seconds(d: Directive): number {
  const value = parseSeconds(d.args[0]!);
  if (value === null) throw new DirectiveError(`${d.name} value must be a whole number of seconds, got '${d.args[0]}'`);
  if (typeof value === 'string') throw new DirectiveError(`${d.name}: ${value}.`);
  return value;
}

/**
 * mod_wsgi option syntax: name=value tokens. As in mod_wsgi (wsgi_parse_option), the value is
 * read with ap_getword_conf: after a bare `name=` it is the next word, and `name="..."` (or '...')
 * is quoted, so `name=""` is empty and what follows the closing quote starts the next option.
 * (The parser split words on whitespace before this, so a run of spaces inside quotes becomes one.)
 */
export function parseOptions(tokens: string[], invalid: string): Map<string, string> {
  const options = new Map<string, string>();
  const rest = [...tokens];
  while (rest.length > 0) {
    const token = rest.shift()!;
    const eq = token.indexOf('=');
    if (eq <= 0) throw new DirectiveError(invalid);
    let value = token.slice(eq + 1);
    const quote = value[0];
    if (value === '') {
      value = rest.shift() ?? '';
    } else if (quote === '"' || quote === "'") {
      value = value.slice(1);
      while (!value.includes(quote) && rest.length > 0) value += ' ' + rest.shift()!;
      const end = value.indexOf(quote);
      if (end >= 0) {
        if (end + 1 < value.length) rest.unshift(value.slice(end + 1));
        value = value.slice(0, end);
      }
    }
    options.set(token.slice(0, eq), value);
  }
  return options;
}

/** %{GLOBAL} means "" (the server's pool, the main interpreter); empty names are refused. */
function groupOption(value: string, what: 'process' | 'application'): string {
  if (value === '') throw new DirectiveError(`Invalid name for WSGI ${what} group.`);
  return value === '%{GLOBAL}' ? GLOBAL : value;
}

function resolvePath(ctx: BuildContext, value: string): string {
  return path.resolve(ctx.config.serverRoot, value);
}

/** Notes a process group name that requests in the current scope will use. */
function referGroup(ctx: BuildContext, d: Directive, name: string, via: string): void {
  ctx.groupReferences.push({ name, via, file: d.file, line: d.line, vhost: ctx.inVhost ? ctx.vhost : null });
}

/** A named group must be declared earlier, and be visible from where it is named (mod_wsgi's checks). */
function checkGroupDeclared(ctx: BuildContext, name: string): void {
  if (name === GLOBAL) return;
  const group = ctx.groups.get(name);
  if (!group) throw new DirectiveError('WSGI process group not yet configured.');
  // mod_wsgi compares the ServerNames known so far (none: null); a group of the main server is visible everywhere.
  if (group.vhostServerName === null) return;
  const here = ctx.vhost.serverName || null;
  const there = group.vhostServerName || null;
  if (here && there && here !== there) throw new DirectiveError('WSGI process group not accessible.');
  if (!here !== !there) throw new DirectiveError('WSGI process group not matchable.');
}

function scriptAlias(d: Directive, ctx: BuildContext, regex: boolean): void {
  if (d.args.length < 2) {
    throw new DirectiveError(`${d.name} requires at least two arguments, Map location to target WSGI script file.`);
  }
  const [pattern, target, ...rest] = d.args as [string, string, ...string[]];
  const options = parseOptions(rest, 'Invalid option to WSGI script alias definition.');
  const dir: DirConfig = {};
  for (const [name, value] of options) {
    if (name === 'process-group') dir.processGroup = groupOption(value, 'process');
    else if (name === 'application-group') dir.applicationGroup = groupOption(value, 'application');
    else if (name === 'callable-object') {
      if (value === '') throw new DirectiveError('Invalid name for WSGI callable object.');
      dir.callableObject = value;
    } else if (name === 'pass-authorization') {
      if (!/^(on|off)$/i.test(value)) throw new DirectiveError('Invalid value for authorization flag.');
      dir.passAuthorization = /^on$/i.test(value);
    } else {
      throw new DirectiveError('Invalid option to WSGI script alias definition.');
    }
  }
  const file = resolvePath(ctx, target);
  ctx.vhost.aliases.push({
    handler: 'wsgi-script',
    pattern: regex ? pattern : pattern.replace(/\/+/g, '/'),
    regex: regex ? compileRegex(pattern) : null,
    target: file,
    options: dir,
    source: `${d.file}:${d.line}`,
  });
  // Both group options, literal names and a fixed target: the script is preloaded, as by WSGIImportScript.
  const { processGroup, applicationGroup } = dir;
  if (processGroup !== undefined && applicationGroup !== undefined && !processGroup.includes('%{') &&
      !applicationGroup.includes('%{') && !(regex && target.includes('$'))) {
    checkGroupDeclared(ctx, processGroup);
    ctx.imports.push({ path: file, processGroup, applicationGroup, source: `${d.file}:${d.line}`, vhostServerName: ctx.inVhost ? ctx.vhost.serverName : null, fromAlias: true });
  }
  if (processGroup !== undefined) referGroup(ctx, d, processGroup, `${d.name} process-group=`);
}

function logFormat(text: string): LogFormat {
  try {
    return parseLogFormat(text);
  } catch (err) {
    if (err instanceof LogFormatError) throw new DirectiveError(err.message);
    throw err;
  }
}

/** CustomLog's optional third argument, with mod_log_config's messages. */
function logCondition(clause: string | undefined): AccessLogConfig['condition'] {
  if (clause === undefined) return null;
  const env = /^env=(!?)(.*)$/is.exec(clause);
  if (!env) {
    if (/^expr=/i.test(clause)) throw new DirectiveError('CustomLog expr= conditions are not supported by tswsgi (env=[!]variable is)');
    throw new DirectiveError('error in condition clause');
  }
  if (env[2] === '') throw new DirectiveError('missing environment variable name');
  return { variable: env[2]!, negated: env[1] === '!' };
}

/**
 * A log's target: a file under ServerRoot, /dev/stdout or /dev/stderr, or a piped program as
 * Apache 2.4 runs it: "|prog args" and "||prog args" without a shell (prog relative to ServerRoot,
 * as execve finds it), "|$command" through /bin/sh -c.
 */
function logTarget(ctx: BuildContext, text: string): LogTarget {
  if (!text.startsWith('|')) {
    if (text === '/dev/stdout') return { kind: 'stdout' };
    if (text === '/dev/stderr') return { kind: 'stderr' };
    return { kind: 'file', path: resolvePath(ctx, text) };
  }
  let command = text.slice(text.startsWith('||') ? 2 : 1);
  const shell = command.startsWith('$');
  command = (shell ? command.slice(1) : command).trim();
  if (command === '') throw new DirectiveError(`the piped log "${text}" names no program; expected "|/path/to/program arguments"`);
  if (shell) return { kind: 'pipe', command, argv: ['/bin/sh', '-c', command] };
  const argv = commandWords(command);
  argv[0] = resolvePath(ctx, argv[0]!);
  try {
    fs.accessSync(argv[0], fs.constants.X_OK);
    if (!fs.statSync(argv[0]).isFile()) throw new Error('not a file');
  } catch {
    throw new DirectiveError(`the piped log program '${argv[0]}' is not an executable file`);
  }
  return { kind: 'pipe', command, argv };
}

/** CustomLog and GlobalLog: file-or-pipe, format or nickname, optional env= clause. */
function customLog(d: Directive, ctx: BuildContext, global: boolean): void {
  const [target, nickname, clause] = d.args as [string, string, string | undefined];
  const log = { target: logTarget(ctx, target), format: logFormat(nickname), condition: logCondition(clause) };
  ctx.customLogs.push({ vhost: ctx.vhost, log, nickname, global });
}

function errorLogFormat(text: string, main: boolean) {
  try {
    return parseErrorLogFormat(text, main);
  } catch (err) {
    if (err instanceof ErrorLogFormatError) throw new DirectiveError(err.message);
    throw err;
  }
}

function compileRegex(source: string): RegExp {
  try {
    return new RegExp(source);
  } catch (err) {
    throw new DirectiveError(`Regular expression could not be compiled: ${(err as Error).message}`);
  }
}

function alias(d: Directive, ctx: BuildContext, regex: boolean, handler: 'static' | 'cgi-script' = 'static'): void {
  const [pattern, target] = d.args as [string, string];
  // Apache appends the rest of the URL to the target as written: `Alias /static/ /srv/static/`
  // maps /static/a.css to /srv/static/a.css, so the target keeps its trailing slash.
  const resolved = resolvePath(ctx, target);
  ctx.vhost.aliases.push({
    handler,
    pattern: regex ? pattern : pattern.replace(/\/+/g, '/'),
    regex: regex ? compileRegex(pattern) : null,
    target: target.endsWith('/') && !resolved.endsWith('/') ? resolved + '/' : resolved,
    options: {},
    source: `${d.file}:${d.line}`,
  });
}

/** Adds `warning` (at d's file:line) the first time `key` is warned about: accepted-without-effect warnings come once per name. */
export function warnOnce(ctx: BuildContext, d: Directive, key: string, warning: string): void {
  if (ctx.warnedDirectives.has(key)) return;
  ctx.warnedDirectives.add(key);
  ctx.warnings.push(`${d.file}:${d.line}: ${warning}`);
}

/**
 * SetHandler's or AddHandler's handler: wsgi-script, which tswsgi runs; a handler whose absence
 * changes nothing users rely on, warned about once; any other refused (module-rules.ts decides).
 */
function handlerName(d: Directive, ctx: BuildContext, module: string): string {
  const name = d.args[0]!.toLowerCase();
  if (name === 'wsgi-script') return name;
  const result = CHECKS.handler!(d.name, d.args);
  if (result && 'error' in result) throw new DirectiveError(result.error);
  if (result) throw new DirectiveError(`${d.name} (${module}) is not supported by tswsgi: ${result.refuse}`);
  warnOnce(ctx, d, `${d.name} ${name}`, `${d.name} ${d.args[0]} (${module}) has no effect in tswsgi: tswsgi runs no handlers but WSGI scripts and static files`);
  return name;
}

/** The statuses Apache 2.4 has a status line for (its status_lines); ErrorDocument takes no other. */
const KNOWN_STATUSES = new Set([100, 101, 102, 103, 200, 201, 202, 203, 204, 205, 206, 207, 208, 226, 300, 301, 302, 303, 304, 305, 306, 307, 308,
  400, 401, 402, 403, 404, 405, 406, 407, 408, 409, 410, 411, 412, 413, 414, 415, 416, 417, 418, 421, 422, 423, 424, 425, 426, 428, 429, 431, 451,
  500, 501, 502, 503, 504, 505, 506, 507, 508, 510, 511]);

/** ErrorDocument's second argument, read with Apache's heuristic (core.c): a space makes it a message. */
function errorDocument(d: Directive, ctx: BuildContext): ErrorDocument | null {
  const [code, document] = d.args as [string, string];
  const status = Number(/^\d+/.exec(code)?.[0] ?? 0);
  if (!KNOWN_STATUSES.has(status)) throw new DirectiveError(`Unsupported HTTP response code ${code}`);
  if (/^default$/i.test(document)) return { kind: 'default' };
  if (!document.includes(' ') && document.startsWith('/')) return { kind: 'local', path: document };
  if (!document.includes(' ') && /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(document)) {
    if (status !== 401) return { kind: 'remote', url: document };
    ctx.warnings.push(`${d.file}:${d.line}: cannot use a full URL in a 401 ErrorDocument directive --- ignoring!`);
    return null;
  }
  if (document.includes('%{')) throw new DirectiveError(`${d.name} is not supported by tswsgi with an expression (%{...}) in its message: tswsgi sends messages as they are written`);
  return { kind: 'text', text: document };
}

/** The filters of AddOutputFilter's or SetOutputFilter's `list`: INCLUDES and compression (warned, once per directive), others refused. */
function outputFilters(d: Directive, ctx: BuildContext, list: string): string[] {
  const names = list.split(';').filter(Boolean).map((f) => f.toLowerCase());
  const other = names.find((f) => f !== 'includes' && !COMPRESSION_FILTERS.has(f));
  if (other !== undefined) {
    throw new DirectiveError(`${d.name} is not supported by tswsgi for filter '${other}': tswsgi applies no output filters but INCLUDES (refusing such files) and compression (none), and this one would change responses`);
  }
  const compression = names.find((f) => COMPRESSION_FILTERS.has(f));
  if (compression) warnOnce(ctx, d, `${d.name} ${compression}`, `${d.name} ${compression.toUpperCase()} has no effect in tswsgi: tswsgi sends responses uncompressed`);
  return names;
}

const OPTION_WORDS: Record<string, number> = {
  indexes: OPTION.indexes,
  includes: OPTION.includes | OPTION.includesWithExec,
  includesnoexec: OPTION.includes,
  followsymlinks: OPTION.followSymLinks,
  symlinksifownermatch: OPTION.symLinksIfOwnerMatch,
  execcgi: OPTION.execCgi,
  multiviews: OPTION.multiViews,
  runscripts: OPTION.multiViews | OPTION.execCgi,
  none: 0,
  all: OPTIONS_ALL,
};

/** One Options line on top of the scope's earlier ones, with Apache's rules and messages (core.c set_options). */
function options(d: Directive, earlier: OptionsSetting | undefined): OptionsSetting {
  const setting: OptionsSetting = earlier ? { ...earlier } : { set: null, add: 0, remove: 0 };
  const mixed = 'Either all Options must start with + or -, or no Option may.';
  let first = true;
  let merge = false;
  let allOrNone = false;
  for (const arg of d.args) {
    const action = arg[0] === '+' || arg[0] === '-' ? arg[0] : '';
    const word = arg.slice(action.length);
    if (action) {
      if (!merge && !first && !allOrNone) throw new DirectiveError(mixed);
      merge = true;
    } else if (first) {
      setting.set = 0;
    } else if (merge) {
      throw new DirectiveError(mixed);
    }
    const key = word.toLowerCase();
    if (key === 'none' || key === 'all') {
      const name = key === 'none' ? 'None' : 'All';
      if (!first) throw new DirectiveError(`'Options ${name}' must be the first ${key === 'none' ? 'Option' : 'option'} given.`);
      if (merge) throw new DirectiveError(`You may not use 'Options +${name}' or 'Options -${name}'.`);
      allOrNone = true;
    }
    const bits = OPTION_WORDS[key];
    if (bits === undefined) throw new DirectiveError(`Illegal option ${word}`);
    if (action === '-') {
      setting.remove |= bits;
      setting.add &= ~bits;
      if (setting.set !== null) setting.set &= ~bits;
    } else {
      if (action === '+') {
        setting.add |= bits;
        setting.remove &= ~bits;
      }
      if (setting.set !== null) setting.set |= bits;
    }
    first = false;
  }
  return setting;
}

const noop = () => {};

/** Accepted for compatibility; the behaviour is Apache's and needs nothing from tswsgi. */
function accepted(name: string, module: string, contexts: readonly Context[], args: [number, number], description: string, example: string): DirectiveSpec {
  return { name, module, contexts, args, syntax: `${name} ...`, default: '-', description, example, argHelp: description, apply: noop };
}

function wsgiFlag(name: string, contexts: readonly Context[], def: string, description: string, set: (ctx: BuildContext, on: boolean) => void): DirectiveSpec {
  return {
    name, module: 'wsgi_module', contexts, args: [1, 1], syntax: `${name} On|Off`, default: def, description,
    example: `${name} ${def === 'On' ? 'Off' : 'On'}`, argHelp: 'On or Off',
    apply: (d, ctx) => set(ctx, flag(d, true)),
  };
}

/** A directive of tswsgi's own: server config only, one argument, in tswsgi_module. */
function tswsgiOnly(spec: Omit<DirectiveSpec, 'module' | 'contexts' | 'args'>): DirectiveSpec {
  return {
    ...spec, module: 'tswsgi_module', contexts: GLOBAL_ONLY, args: [1, 1],
    description: `${spec.description} tswsgi only: put it inside <IfModule tswsgi_module> to keep the file valid for Apache.`,
  };
}

export const DIRECTIVES: readonly DirectiveSpec[] = [
  // mod_wsgi: mounting and dispatch
  {
    name: 'WSGIScriptAlias', module: 'wsgi_module', contexts: RSRC, args: [2, -1],
    syntax: 'WSGIScriptAlias URL-path file-or-directory [process-group=G] [application-group=A] [callable-object=NAME] [pass-authorization=On|Off]',
    default: 'none', argHelp: 'Map location to target WSGI script file.',
    description: 'Mounts a WSGI script (or a directory of them) at a URL path. With both process-group= and application-group= (no %{...}), the script is preloaded like WSGIImportScript.',
    example: 'WSGIScriptAlias /app /srv/app/app.wsgi process-group=app application-group=%{GLOBAL}',
    apply: (d, ctx) => scriptAlias(d, ctx, false),
  },
  {
    name: 'WSGIScriptAliasMatch', module: 'wsgi_module', contexts: RSRC, args: [2, -1],
    syntax: 'WSGIScriptAliasMatch regex file-path [options as WSGIScriptAlias]',
    default: 'none', argHelp: 'Map location to target WSGI script file.',
    description: 'Like WSGIScriptAlias, with a regular expression on the URL path; $1..$9 in the target take the groups.',
    example: 'WSGIScriptAliasMatch ^/sites/([^/]+) /srv/sites/$1/app.wsgi',
    apply: (d, ctx) => scriptAlias(d, ctx, true),
  },
  {
    name: 'WSGIDaemonProcess', module: 'wsgi_module', contexts: RSRC, args: [0, -1],
    syntax: 'WSGIDaemonProcess name [option=value ...]',
    default: 'none', argHelp: 'a process group name and options',
    description: 'Declares a process group: a named set of Python worker processes. Options: ' + DAEMON_OPTIONS.map((o) => o.name).join(', ') + '.',
    example: 'WSGIDaemonProcess app processes=2 threads=8 python-path=/srv/app display-name=%{GROUP}',
    apply: (d, ctx) => {
      const name = d.args[0];
      if (!name) throw new DirectiveError('Name of WSGI daemon process not supplied.');
      if (ctx.groups.has(name)) throw new DirectiveError('Name duplicates previous WSGI daemon definition.');
      const declaration = parseDaemonOptions(parseOptions(d.args.slice(1), 'Invalid option to WSGI daemon process definition.'));
      if ('error' in declaration) throw new DirectiveError(declaration.error);
      const { shape, options } = splitDeclaration(declaration);
      if (options.user === 'root' || options.user === '#0') throw new DirectiveError('WSGI process blocked from running as root.');
      if (options.scriptUser !== null && options.scriptGroup !== null) {
        throw new DirectiveError('Only one of script-user and script-group allowed.');
      }
      const ownHome = shape.pythonHome;
      ctx.groups.set(name, {
        name,
        processes: shape.processes ?? 1,
        threads: shape.threads ?? 15,
        // Without python-home=, settled once the file is read: WSGIPythonHome applies wherever it stands, as in mod_wsgi.
        python: ownHome ? path.join(ownHome, 'bin/python3') : '',
        pythonSource: ownHome ? `${d.file}:${d.line}: WSGIDaemonProcess ${name} python-home=${ownHome}` : '',
        pythonPath: shape.pythonPath?.split(':').filter(Boolean) ?? [],
        home: shape.home,
        importScripts: [],
        multiprocess: shape.processes !== null,
        options,
        vhostServerName: ctx.inVhost ? ctx.vhost.serverName : null,
        vhost: ctx.inVhost ? ctx.vhost : null,
        source: `${d.file}:${d.line}`,
      });
    },
  },
  {
    name: 'WSGIProcessGroup', module: 'wsgi_module', contexts: EVERYWHERE, args: [1, 1],
    syntax: 'WSGIProcessGroup %{GLOBAL}|%{ENV:var}|%{HOST}|name', default: '%{GLOBAL}', argHelp: 'Name of the WSGI process group',
    description: 'Picks the process group that runs requests in this scope; %{GLOBAL} is the server\'s own pool. A literal name must be ' +
      'declared by a WSGIDaemonProcess anywhere in the config, at server level or in a vhost with the same ServerName (configtest ' +
      'refuses others, as every request would get a 500); %{ENV:var}, %{SERVER}, %{RESOURCE} and %{HOST} are resolved per request.',
    example: 'WSGIProcessGroup app',
    apply: (d, ctx) => {
      ctx.dir.processGroup = groupOption(d.args[0]!, 'process');
      referGroup(ctx, d, ctx.dir.processGroup, d.name);
    },
  },
  {
    name: 'WSGIApplicationGroup', module: 'wsgi_module', contexts: EVERYWHERE, args: [1, 1],
    syntax: 'WSGIApplicationGroup %{GLOBAL}|%{SERVER}|%{RESOURCE}|%{HOST}|%{ENV:var}|name', default: '%{RESOURCE}', argHelp: 'Name of the WSGI application group',
    description: 'Picks the Python interpreter inside the process; %{GLOBAL} is the main interpreter, the only one where every C extension is safe.',
    example: 'WSGIApplicationGroup %{GLOBAL}',
    apply: (d, ctx) => { ctx.dir.applicationGroup = groupOption(d.args[0]!, 'application'); },
  },
  {
    name: 'WSGIImportScript', module: 'wsgi_module', contexts: RSRC, args: [0, -1],
    syntax: 'WSGIImportScript path process-group=G application-group=A', default: 'none', argHelp: 'a script path and its options',
    description: 'Loads a script into interpreter A of every process of group G when the process starts, before it takes a request. Both options are required.',
    example: 'WSGIImportScript /srv/app/app.wsgi process-group=app application-group=%{GLOBAL}',
    apply: (d, ctx) => {
      const [script, ...rest] = d.args;
      if (!script) throw new DirectiveError('Location of import script not supplied.');
      const options = parseOptions(rest, 'Invalid option to WSGI import script definition.');
      let processGroup: string | undefined;
      let applicationGroup: string | undefined;
      for (const [name, value] of options) {
        if (name === 'process-group') processGroup = groupOption(value, 'process');
        else if (name === 'application-group') applicationGroup = groupOption(value, 'application');
        else throw new DirectiveError('Invalid option to WSGI import script definition.');
      }
      if (applicationGroup === undefined) throw new DirectiveError('Name of WSGI application group required.');
      if (processGroup === undefined) throw new DirectiveError('Name of WSGI process group required.');
      checkGroupDeclared(ctx, processGroup);
      ctx.imports.push({ path: resolvePath(ctx, script), processGroup, applicationGroup, source: `${d.file}:${d.line}`, vhostServerName: ctx.inVhost ? ctx.vhost.serverName : null, fromAlias: false });
    },
  },
  {
    name: 'WSGICallableObject', module: 'wsgi_module', contexts: EVERYWHERE, args: [1, 1],
    syntax: 'WSGICallableObject name|%{ENV:var}', default: 'application', argHelp: 'Name of entry point in WSGI script file',
    description: 'Name of the WSGI callable in the script.',
    example: 'WSGICallableObject app',
    apply: (d, ctx) => { ctx.dir.callableObject = d.args[0]!; },
  },
  wsgiFlag('WSGIPassAuthorization', EVERYWHERE, 'Off', 'Passes the Authorization header to the application as HTTP_AUTHORIZATION.', (ctx, on) => { ctx.dir.passAuthorization = on; }),
  wsgiFlag('WSGIScriptReloading', EVERYWHERE, 'On', 'Reloads (restarts the processes of) a WSGI script whose file changed.', (ctx, on) => { ctx.dir.scriptReloading = on; }),
  wsgiFlag('WSGIChunkedRequest', EVERYWHERE, 'Off', 'Accepts request bodies with Transfer-Encoding: chunked; otherwise they get 411.', (ctx, on) => { ctx.dir.chunkedRequest = on; }),
  wsgiFlag('WSGIRestrictEmbedded', GLOBAL_ONLY, 'Off', 'Refuses requests that would run in the server\'s own pool (%{GLOBAL}) with a 500.', (ctx, on) => { ctx.config.restrictEmbedded = on; }),
  {
    name: 'WSGIMapHEADToGET', module: 'wsgi_module', contexts: EVERYWHERE, args: [1, 1],
    syntax: 'WSGIMapHEADToGET On|Off|Auto', default: 'Auto (as mod_wsgi 6; tswsgi has no output filters, so Auto is Off)', argHelp: 'On, Off or Auto',
    description: 'On: the application sees HEAD requests as GET.',
    example: 'WSGIMapHEADToGET On',
    apply: (d, ctx) => {
      const value = d.args[0]!.toLowerCase();
      if (value !== 'on' && value !== 'off' && value !== 'auto') throw new DirectiveError('WSGIMapHEADToGET must be one of: Off | On | Auto');
      ctx.dir.mapHeadToGet = value as MapHeadToGet;
    },
  },
  {
    name: 'WSGIRestrictProcess', module: 'wsgi_module', contexts: EVERYWHERE, args: [1, -1],
    syntax: 'WSGIRestrictProcess group ...', default: 'unrestricted', argHelp: 'the process groups requests in this scope may use',
    description: 'Only these process groups may run requests in this scope; others get a 500.',
    example: 'WSGIRestrictProcess app %{GLOBAL}',
    apply: (d, ctx) => { ctx.dir.restrictProcess = d.args.map((g) => (g === '%{GLOBAL}' ? GLOBAL : g)); },
  },
  {
    name: 'WSGIPythonHome', module: 'wsgi_module', contexts: GLOBAL_ONLY, args: [1, 1],
    syntax: 'WSGIPythonHome directory', default: 'none', argHelp: 'Python prefix directory',
    description: 'Python prefix or virtual environment whose interpreter runs the workers (a group\'s python-home= overrides it).',
    example: 'WSGIPythonHome /srv/venv',
    apply: (d, ctx) => { ctx.python.home = { dir: d.args[0]!, source: `${d.file}:${d.line}: WSGIPythonHome ${d.args[0]}` }; },
  },
  {
    name: 'WSGIPythonPath', module: 'wsgi_module', contexts: GLOBAL_ONLY, args: [1, 1],
    syntax: 'WSGIPythonPath dir[:dir...]', default: 'none', argHelp: 'Python module search path',
    description: 'Directories at the front of sys.path in the server\'s own pool (daemon groups use python-path=).',
    example: 'WSGIPythonPath /srv/app:/srv/lib',
    apply: (d, ctx) => { ctx.python.path = d.args[0]!.split(':').filter(Boolean); },
  },
  {
    name: 'WSGIPythonOptimize', module: 'wsgi_module', contexts: GLOBAL_ONLY, args: [1, 1],
    syntax: 'WSGIPythonOptimize 0|1|2', default: '0', argHelp: 'Set level of Python compiler optimisations',
    description: 'Python\'s -O level.',
    example: 'WSGIPythonOptimize 1',
    apply: (d, ctx) => { ctx.config.pythonOptimize = wholeNumber(d, d.args[0]!, 'level'); },
  },
  {
    name: 'WSGISocketPrefix', module: 'wsgi_module', contexts: GLOBAL_ONLY, args: [1, 1],
    syntax: 'WSGISocketPrefix prefix', default: 'DefaultRuntimeDir/wsgi', argHelp: 'Path prefix for the daemon process sockets',
    description: 'Where the worker sockets and the control socket go: the directory PREFIX-tswsgi (relative to ServerRoot), ' +
      'made with mode 0711 if missing. tswsgi refuses to start if it is owned by another user, if others can write it, ' +
      'or if another user could move it (a folder above it that they own, or can write without the sticky bit).',
    example: 'WSGISocketPrefix /var/run/wsgi',
    apply: (d, ctx) => { ctx.config.runtimeDir = resolvePath(ctx, d.args[0]!) + '-tswsgi'; },
  },
  {
    name: 'WSGITrustedProxyHeaders', module: 'wsgi_module', contexts: EVERYWHERE, args: [0, -1],
    syntax: 'WSGITrustedProxyHeaders header ...', default: 'none', argHelp: 'Specify a list of trusted proxy headers',
    description: 'Headers from a front proxy that say what the client sent: X-Forwarded-For, X-Client-IP or X-Real-IP set REMOTE_ADDR; ' +
      'X-Forwarded-Proto, X-Forwarded-Scheme or X-Scheme (https, http) and X-Forwarded-HTTPS, X-Forwarded-SSL or X-HTTPS (on, off) ' +
      'set wsgi.url_scheme; X-Forwarded-Host or X-Host set HTTP_HOST; X-Forwarded-Port sets SERVER_PORT; X-Forwarded-Server sets ' +
      'SERVER_NAME; X-Script-Name or X-Forwarded-Script-Name set SCRIPT_NAME (and mod_wsgi.mount_point). Of each kind named, the ' +
      'headers not named are removed from the environ, so a client cannot pass one off. Only peers in WSGITrustedProxies are ' +
      'believed, if it is set. Without arguments, a wider scope\'s list is turned off.',
    example: 'WSGITrustedProxyHeaders X-Forwarded-For X-Forwarded-Proto',
    apply: (d, ctx) => {
      const names = d.args.map((header) => {
        const name = proxyHeaderCgiName(header);
        // mod_wsgi 4.9.4 accepts such a name, then every request in the scope crashes the Apache child.
        if (name === null) throw new DirectiveError(`WSGITrustedProxyHeaders: '${header}' is not a header name (letters, digits and '-' only)`);
        return name;
      });
      ctx.dir.trustedProxyHeaders = [...(ctx.dir.trustedProxyHeaders ?? []), ...names];
    },
  },
  {
    name: 'WSGITrustedProxies', module: 'wsgi_module', contexts: EVERYWHERE, args: [0, -1],
    syntax: 'WSGITrustedProxies address[/bits|/netmask] ...', default: 'none (every peer is trusted)', argHelp: 'Specify a list of trusted proxies',
    description: 'The peers whose WSGITrustedProxyHeaders are believed: addresses, networks (10.0.0.0/8, fd00::/8, 10.0.0.0/255.0.0.0) ' +
      'or IPv4 prefixes (10.1). From any other peer those headers are ignored and removed. X-Forwarded-For is then read from the ' +
      'right, past the trusted proxies, to the client. Without arguments, no peer is trusted.',
    example: 'WSGITrustedProxies 127.0.0.1 10.0.0.0/8',
    apply: (d, ctx) => {
      const subnets = d.args.map((proxy) => {
        const parsed = parseTrustedProxy(proxy);
        if ('error' in parsed) throw new DirectiveError(parsed.error);
        return parsed;
      });
      ctx.dir.trustedProxies = [...(ctx.dir.trustedProxies ?? []), ...subnets];
    },
  },
  tswsgiOnly({
    name: 'TswsgiApplicationGroups', syntax: 'TswsgiApplicationGroups Auto|SubInterpreters|Processes', default: 'Auto',
    argHelp: 'Auto, SubInterpreters or Processes',
    description: 'How application groups other than %{GLOBAL} run: in sub-interpreters of the group\'s processes, as mod_wsgi does ' +
      '(Auto: where the Python has them), or each in processes of its own, where every C extension is safe.',
    example: 'TswsgiApplicationGroups Processes',
    apply: (d, ctx) => {
      const value = d.args[0]!.toLowerCase();
      const modes = { auto: 'auto', subinterpreters: 'sub-interpreters', processes: 'processes' } as const;
      if (!(value in modes)) throw new DirectiveError('TswsgiApplicationGroups must be one of: Auto | SubInterpreters | Processes');
      ctx.config.applicationGroups = modes[value as keyof typeof modes];
    },
  }),
  tswsgiOnly({
    name: 'TswsgiMaximumRequestsJitter', syntax: 'TswsgiMaximumRequestsJitter number', default: '0', argHelp: 'A whole number of requests',
    description: 'Each process of a group with maximum-requests=N is replaced after N plus a random 0 to this many requests, ' +
      'so that processes started together do not all recycle together (gunicorn\'s max_requests_jitter).',
    example: 'TswsgiMaximumRequestsJitter 100',
    apply: (d, ctx) => { ctx.config.maximumRequestsJitter = wholeNumber(d, d.args[0]!, 'number of requests'); },
  }),

  // httpd core
  {
    name: 'Listen', module: 'core_module', contexts: GLOBAL_ONLY, args: [1, 2],
    syntax: 'Listen [address:]port', default: 'none', argHelp: 'A port number or a numeric IP address and a port number, and an optional protocol',
    description: 'An address and port to accept connections on. Port 0 takes any free port (tswsgi only; the ready line names it).',
    example: 'Listen 127.0.0.1:8080',
    apply: (d, ctx) => {
      // As apr_parse_addr_port: trailing digits after ':' (or the whole text) are the port, 1-65535;
      // no port at all is Apache's "Port must be specified".
      const m = /^(?:(.*):)?(\d+)$/.exec(d.args[0]!);
      const port = m ? Number(m[2]) : 0;
      const host = m ? m[1] : d.args[0]!;
      // Port 0 (any free port, which the ready line names) is tswsgi's own addition, for tests and tools.
      if ((m && port > 65535) || host === '' || (host?.startsWith('[') && !/^\[[0-9a-fA-F:.]+\]$/.test(host))) {
        throw new DirectiveError('Invalid address or port');
      }
      if (!m) throw new DirectiveError('Port must be specified');
      ctx.config.listen.push({ host: host?.replace(/^\[|\]$/g, '') ?? '0.0.0.0', port });
    },
  },
  {
    name: 'ServerName', module: 'core_module', contexts: RSRC, args: [1, 1],
    syntax: 'ServerName host[:port]', default: 'the machine\'s host name', argHelp: 'The hostname and port of the server',
    description: 'The name (and port) of this server or virtual host, for vhost matching and %{SERVER}.',
    example: 'ServerName www.example.com:80',
    apply: (d, ctx) => {
      const m = /^(?:[a-z][a-z0-9+.-]*:\/\/)?(\[[^\]]+\]|[^:]+)(?::(\d+))?$/i.exec(d.args[0]!);
      if (!m) throw new DirectiveError(`ServerName: invalid value '${d.args[0]}'`);
      ctx.vhost.serverName = m[1]!.toLowerCase();
      ctx.vhost.serverPort = m[2] ? Number(m[2]) : null;
    },
  },
  {
    name: 'ServerAlias', module: 'core_module', contexts: ['vhost'], args: [1, -1],
    syntax: 'ServerAlias host ...', default: 'none', argHelp: 'a list of hostnames',
    description: 'Other names (wildcards * and ? allowed) this virtual host answers to.',
    example: 'ServerAlias example.com *.example.com',
    apply: (d, ctx) => { ctx.vhost.serverAliases.push(...d.args.map((a) => a.toLowerCase())); },
  },
  {
    name: 'ServerRoot', module: 'core_module', contexts: GLOBAL_ONLY, args: [1, 1],
    syntax: 'ServerRoot directory', default: 'the directory of the config file', argHelp: 'a directory',
    description: 'Base for relative paths in the configuration.',
    example: 'ServerRoot /srv/www',
    apply: noop,
  },
  {
    name: 'DocumentRoot', module: 'core_module', contexts: RSRC, args: [1, 1],
    syntax: 'DocumentRoot directory', default: '/var/www/html', argHelp: 'Root directory of the document tree',
    description: 'Where URLs that no alias claims are served from, as static files.',
    example: 'DocumentRoot /srv/www/htdocs',
    apply: (d, ctx) => { ctx.vhost.documentRoot = resolvePath(ctx, d.args[0]!); },
  },
  {
    name: 'Alias', module: 'alias_module', contexts: RSRC, args: [2, 2],
    syntax: 'Alias URL-path file-or-directory', default: 'none', argHelp: 'a fakename and a realname',
    description: 'Serves files from a directory (or one file) at a URL path; checked before WSGIScriptAlias. As in Apache, ' +
      'the rest of the URL is appended to the target as written, so a trailing slash on one should be on both ' +
      '(`Alias /static/ /srv/app/static/`). Code and dot-files under an application\'s directories are never served (see operations.md).',
    example: 'Alias /static/ /srv/app/staticfiles/',
    apply: (d, ctx) => alias(d, ctx, false),
  },
  {
    name: 'AliasMatch', module: 'alias_module', contexts: RSRC, args: [2, 2],
    syntax: 'AliasMatch regex file-path', default: 'none', argHelp: 'a regular expression and a filename',
    description: 'Like Alias, with a regular expression and $1..$9.',
    example: 'AliasMatch ^/icons/(.*)$ /srv/icons/$1',
    apply: (d, ctx) => alias(d, ctx, true),
  },
  ...(['ScriptAlias', 'ScriptAliasMatch'] as const).map((name): DirectiveSpec => ({
    name, module: 'alias_module', contexts: RSRC, args: [2, 2],
    syntax: name === 'ScriptAlias' ? 'ScriptAlias URL-path file-or-directory' : 'ScriptAliasMatch regex file-path', default: 'none',
    argHelp: name === 'ScriptAlias' ? 'a fakename and a realname' : 'a regular expression and a filename',
    description: `Maps URLs to CGI scripts${name === 'ScriptAliasMatch' ? ', with a regular expression and $1..$9' : ''}. tswsgi runs no CGI scripts, and never sends them as files: ` +
      'where Apache would run a script the answer is 403 (logged); where it finds none, 404 as Apache\'s.',
    example: name === 'ScriptAlias' ? 'ScriptAlias /cgi-bin/ /usr/lib/cgi-bin/' : 'ScriptAliasMatch ^/cgi-bin/(.*) /usr/lib/cgi-bin/$1',
    apply: (d, ctx) => alias(d, ctx, name === 'ScriptAliasMatch', 'cgi-script'),
  })),
  {
    name: 'Require', module: 'authz_core_module', contexts: ['directory'], args: [0, -1], override: 'authconfig',
    syntax: 'Require [not] all granted|all denied|ip address...|local|env variable...|method method...', default: 'all granted',
    argHelp: 'specifies authorization directives which one must pass (or not) for a request to suceeed',
    description: 'Who may make requests in this section, as Apache 2.4\'s mod_authz_core and mod_authz_host decide it: several ' +
      'lines (an implicit <RequireAny>) allow a request if any allows it; `not` negates a line inside <RequireAll> or <RequireNone>. ' +
      '`local` is the loopback addresses and the server\'s own; `env` tests variables set by SetEnvIf or BrowserMatch (not SetEnv, ' +
      'which Apache applies after the access check); `method` takes Apache\'s method names (HEAD counts as GET). A section\'s ' +
      'lines replace a wider scope\'s unless AuthMerging says otherwise. `host` and `forward-dns` (tswsgi makes no DNS lookups), ' +
      '`expr`, and the user providers (user, group, valid-user) are refused.',
    example: 'Require ip 127.0.0.1 192.168.0.0/16',
    apply: (d, ctx) => addRequire(ctx.dir, ctx.openAuthz ?? null, d.args),
  },
  {
    name: 'AuthMerging', module: 'authz_core_module', contexts: ['directory'], args: [1, 1], override: 'authconfig',
    syntax: 'AuthMerging Off|And|Or', default: 'Off',
    argHelp: 'controls how a <Directory>, <Location>, or similar directive\'s authorization directives are combined with those of its predecessor',
    description: 'How this section\'s Require lines combine with the wider scope\'s: Off replaces them (and with no Require line here, ' +
      'leaves none), And requires both, Or either.',
    example: 'AuthMerging And',
    apply: (d, ctx) => { ctx.dir.authMerging = parseAuthMerging(d.args[0]!); },
  },
  {
    name: 'Order', module: 'access_compat_module', contexts: ['directory'], args: [1, 1], override: 'limit',
    syntax: 'Order Deny,Allow|Allow,Deny|Mutual-failure', default: 'Deny,Allow', argHelp: '\'allow,deny\', \'deny,allow\', or \'mutual-failure\'',
    description: 'Apache 2.2\'s access control (mod_access_compat): Deny,Allow allows unless a Deny matches and no Allow does; ' +
      'Allow,Deny denies unless an Allow matches and no Deny does; Mutual-failure needs an Allow and no Deny. The most specific ' +
      'section with any Order, Allow, Deny or Satisfy line replaces the others; the request must also pass Require (see Satisfy).',
    example: 'Order Allow,Deny',
    apply: (d, ctx) => setOrder(ctx.dir, d.args[0]!),
  },
  ...(['Allow', 'Deny'] as const).map((name): DirectiveSpec => ({
    name, module: 'access_compat_module', contexts: ['directory'], args: [2, -1], override: 'limit',
    syntax: `${name} from all|address|network|env=[!]variable ...`, default: 'none', argHelp: '\'from\' followed by hostnames or IP-address wildcards',
    description: `The clients ${name === 'Allow' ? 'allowed' : 'denied'} under Order: all, an address, a partial address (10.1), a ` +
      'network (10.0.0.0/8, 10.0.0.0/255.0.0.0), or env=VAR / env=!VAR (set or not set by SetEnvIf). Host names are refused: tswsgi ' +
      'makes no DNS lookups.',
    example: `${name} from 192.168.0.0/16`,
    apply: (d, ctx) => addHosts(ctx.dir, name === 'Allow' ? 'allow' : 'deny', d.args),
  })),
  {
    name: 'Satisfy', module: 'access_compat_module', contexts: ['directory'], args: [1, 1], override: 'authconfig',
    syntax: 'Satisfy All|Any', default: 'All', argHelp: 'access policy if both allow and require used (\'all\' or \'any\')',
    description: 'All: a request must pass both Order/Allow/Deny and Require; Any: either suffices (a client Deny refuses is let in ' +
      'when Require grants it, or when no Require applies).',
    example: 'Satisfy Any',
    apply: (d, ctx) => setSatisfy(ctx.dir, d.args[0]!),
  },
  ...(['SetEnvIf', 'SetEnvIfNoCase', 'BrowserMatch', 'BrowserMatchNoCase'] as const).map((name): DirectiveSpec => ({
    name, module: 'setenvif_module', contexts: EVERYWHERE, args: [0, -1], override: 'fileinfo',
    ...(name.startsWith('SetEnvIf')
      ? { syntax: `${name} attribute regex [!]var[=value] ...`, argHelp: `${name === 'SetEnvIf' ? 'A' : 'a'} header-name, regex and a list of variables.`, example: `${name} Request_URI "\\.json$" json_request` }
      : { syntax: `${name} regex [!]var[=value] ...`, argHelp: 'A browser regex and a list of variables.', example: `${name} "^curl/" from_curl` }),
    default: 'none',
    description: (name.startsWith('SetEnvIf') ? 'Sets request variables when an attribute matches: a request header, Remote_Addr, Remote_Host ' +
      '(the address: tswsgi makes no DNS lookups), Server_Addr, Request_Method, Request_Protocol, Request_URI, a regex over header names, ' +
      'or a variable set earlier. ' : 'SetEnvIf on User-Agent. ') +
      (name.endsWith('NoCase') ? 'The match ignores case. ' : '') +
      '`var` sets 1, `var=value` a value (with $1..$9 of a regex), `!var` unsets. Lines outside sections run as the request arrives ' +
      '(Request_URI is then the raw path), lines in sections once it is mapped; the variables reach the environ, Require env, ' +
      'Allow/Deny env=, CustomLog env= and %{ENV:var}.',
    apply: (d, ctx) => {
      const condition = parseEnvCondition(name, d.args);
      if (ctx.sectionName === null) ctx.vhost.envConditions.push(condition);
      else (ctx.dir.envConditions ??= []).push(condition);
      for (const [variable] of condition.features) {
        const what = UNACTED_VARIABLES[variable.toLowerCase()];
        if (what !== undefined) warnOnce(ctx, d, `variable ${variable.toLowerCase()}`, `${name} sets ${variable}, on which Apache acts (${what}); tswsgi only passes the variable on`);
      }
    },
  })),
  {
    name: 'SetEnv', module: 'env_module', contexts: EVERYWHERE, args: [1, 2], override: 'fileinfo',
    syntax: 'SetEnv name [value]', default: 'none', argHelp: 'an environment variable name and optional value to pass to CGI.',
    description: 'Adds a variable to the environ of requests in this scope (and to %{ENV:name}).',
    example: 'SetEnv APP_MODE production',
    apply: (d, ctx) => { ctx.dir.setEnv = [...(ctx.dir.setEnv ?? []), [d.args[0]!, d.args[1] ?? '']]; },
  },
  {
    name: 'PassEnv', module: 'env_module', contexts: EVERYWHERE, args: [1, -1], override: 'fileinfo',
    syntax: 'PassEnv name ...', default: 'none', argHelp: 'a list of environment variables to pass to CGI.',
    description: 'Adds variables of tswsgi\'s own environment (as it was when the config was read) to the environ of requests in this scope; ' +
      'one that is not set is left out, with a warning.',
    example: 'PassEnv LANG TZ',
    apply: (d, ctx) => {
      for (const name of d.args) {
        const value = ctx.env[name];
        if (value === undefined) ctx.warnings.push(`${d.file}:${d.line}: PassEnv variable ${name} was undefined`);
        else ctx.dir.setEnv = [...(ctx.dir.setEnv ?? []), [name, value]];
      }
    },
  },
  {
    name: 'UnsetEnv', module: 'env_module', contexts: EVERYWHERE, args: [1, -1], override: 'fileinfo',
    syntax: 'UnsetEnv name ...', default: 'none', argHelp: 'a list of variables to remove from the CGI environment.',
    description: 'Removes variables that SetEnv or PassEnv set in wider scopes (or earlier in this one) from the environ of requests ' +
      'in this scope. As in Apache, it does not remove what SetEnvIf sets.',
    example: 'UnsetEnv APP_DEBUG',
    apply: (d, ctx) => {
      const names = new Set(d.args.map((n) => n.toLowerCase()));
      ctx.dir.setEnv = ctx.dir.setEnv?.filter(([n]) => !names.has(n.toLowerCase()));
      ctx.dir.unsetEnv = [...(ctx.dir.unsetEnv ?? []), ...d.args];
    },
  },
  {
    name: 'DirectoryIndex', module: 'dir_module', contexts: EVERYWHERE, args: [1, -1], override: 'indexes',
    syntax: 'DirectoryIndex file ...', default: 'index.html', argHelp: 'a list of file names',
    description: 'Files served for a request that names a directory.',
    example: 'DirectoryIndex index.html index.htm',
    apply: (d, ctx) => { ctx.dir.directoryIndex = d.args; },
  },
  {
    name: 'AddType', module: 'mime_module', contexts: EVERYWHERE, args: [2, -1], override: 'fileinfo',
    syntax: 'AddType media-type extension ...', default: 'none', argHelp: 'a mime type followed by one or more file extensions',
    description: 'Content type of static files with these extensions.',
    example: 'AddType application/wasm .wasm',
    apply: (d, ctx) => {
      const [type, ...extensions] = d.args as [string, ...string[]];
      ctx.dir.addType = [...(ctx.dir.addType ?? []), ...extensions.map((e): [string, string] => [e.replace(/^\./, '').toLowerCase(), type])];
    },
  },
  {
    name: 'ErrorDocument', module: 'core_module', contexts: EVERYWHERE, args: [2, 2],
    syntax: 'ErrorDocument status local-URL|URL|"message"|default', default: 'Apache\'s canned pages', argHelp: 'Change responses for HTTP errors',
    description: 'What tswsgi\'s own error responses (403, 404, 413, ...; not an application\'s) send instead of the canned page: a local URL is ' +
      'served in their place with the error\'s status (a static file) or its own (a WSGI script, which sees REDIRECT_URL, REDIRECT_STATUS, ' +
      'REDIRECT_QUERY_STRING and REDIRECT_REQUEST_METHOD, and GET); a full URL gets a 302 to it; anything else (or anything with a space) is the page\'s text.',
    example: 'ErrorDocument 404 /errors/not-found.html',
    apply: (d, ctx) => {
      const document = errorDocument(d, ctx);
      if (document) ctx.dir.errorDocuments = [...(ctx.dir.errorDocuments ?? []), [Number(/^\d+/.exec(d.args[0]!)![0]), document]];
    },
  },
  {
    name: 'AddDefaultCharset', module: 'core_module', contexts: EVERYWHERE, args: [1, 1],
    syntax: 'AddDefaultCharset On|Off|charset', default: 'Off', argHelp: 'On, Off or a charset name',
    description: 'Adds "; charset=..." (On: iso-8859-1) to text/plain and text/html responses, the application\'s and static files\', that name no charset.',
    example: 'AddDefaultCharset UTF-8',
    apply: (d, ctx) => {
      const value = d.args[0]!;
      ctx.dir.addDefaultCharset = /^off$/i.test(value) ? null : /^on$/i.test(value) ? 'iso-8859-1' : value;
    },
  },
  {
    name: 'AddHandler', module: 'mime_module', contexts: EVERYWHERE, args: [2, -1],
    syntax: 'AddHandler handler-name extension ...', default: 'none', argHelp: 'a handler name followed by one or more file extensions',
    description: 'With wsgi-script, files with these extensions are WSGI scripts, as mod_wsgi runs them: where Options ExecCGI is on, ' +
      'with SCRIPT_NAME up to the file and PATH_INFO after it, in the WSGIProcessGroup and WSGIApplicationGroup of their scope; elsewhere 403. ' +
      'Handlers whose absence changes no answer users rely on (server-status, type-map, ...) are accepted without effect; others are errors.',
    example: 'AddHandler wsgi-script .wsgi',
    apply: (d, ctx) => {
      const handler = handlerName(d, ctx, 'mime_module');
      ctx.dir.addHandler = [...(ctx.dir.addHandler ?? []), ...d.args.slice(1).map((e): [string, string] => [e.replace(/^\./, '').toLowerCase(), handler])];
    },
  },
  {
    name: 'SetHandler', module: 'core_module', contexts: EVERYWHERE, args: [1, 1],
    syntax: 'SetHandler handler-name', default: 'none', argHelp: 'a handler name that overrides any other configured handler',
    description: 'With wsgi-script, every file of the scope is a WSGI script (see AddHandler). Others as AddHandler\'s.',
    example: 'SetHandler wsgi-script',
    apply: (d, ctx) => { ctx.dir.setHandler = handlerName(d, ctx, 'core_module'); },
  },
  {
    name: 'AddOutputFilter', module: 'mime_module', contexts: EVERYWHERE, args: [2, -1],
    syntax: 'AddOutputFilter filter[;filter...] extension ...', default: 'none', argHelp: 'output filter name followed by one or more file extensions',
    description: 'Output filters of files with these extensions. tswsgi processes no server-side includes: a file with INCLUDES where Options ' +
      'Includes (or IncludesNOEXEC) is on is refused (403, logged), never sent unprocessed; elsewhere it is sent as it is, as Apache does. ' +
      'DEFLATE and BROTLI_COMPRESS are accepted without effect; other filters are errors.',
    example: 'AddOutputFilter INCLUDES .shtml',
    apply: (d, ctx) => {
      const [filters, ...extensions] = d.args as [string, ...string[]];
      const names = outputFilters(d, ctx, filters);
      ctx.dir.addOutputFilter = [...(ctx.dir.addOutputFilter ?? []), ...extensions.map((e): [string, string[]] => [e.replace(/^\./, '').toLowerCase(), names])];
    },
  },
  {
    name: 'SetOutputFilter', module: 'core_module', contexts: EVERYWHERE, args: [1, 1],
    syntax: 'SetOutputFilter filter[;filter...]', default: 'none', argHelp: 'filters to be run',
    description: 'Output filters of everything in the scope, with AddOutputFilter\'s rules: INCLUDES refuses static files under Options Includes; ' +
      'DEFLATE and BROTLI_COMPRESS have no effect.',
    example: 'SetOutputFilter INCLUDES',
    apply: (d, ctx) => { ctx.dir.setOutputFilter = outputFilters(d, ctx, d.args[0]!); },
  },
  {
    name: 'TypesConfig', module: 'mime_module', contexts: GLOBAL_ONLY, args: [1, 1],
    syntax: 'TypesConfig file', default: '/etc/mime.types', argHelp: 'the MIME types config file',
    description: 'The file of content types by extension, for static files.',
    example: 'TypesConfig /etc/mime.types',
    apply: (d, ctx) => {
      const file = resolvePath(ctx, d.args[0]!);
      ctx.typesConfig = true;
      ctx.config.mimeTypes = new Map();
      if (!fs.existsSync(file)) {
        ctx.warnings.push(`${d.file}:${d.line}: TypesConfig ${file} does not exist`);
        return;
      }
      try {
        ctx.config.mimeTypes = readMimeTypes(file);
      } catch (err) {
        throw new DirectiveError(`could not open mime types config file ${file}: ${(err as Error).message}`);
      }
    },
  },
  {
    name: 'LogLevel', module: 'core_module', contexts: RSRC, args: [1, -1],
    syntax: 'LogLevel level', default: 'warn', argHelp: 'Level of verbosity in error logging',
    description: 'How much the error log says: emerg, alert, crit, error, warn, notice, info, debug (trace1..8 count as debug). Per-module levels (wsgi:info) are accepted; the first plain level counts.',
    example: 'LogLevel info',
    apply: (d, ctx) => {
      if (ctx.inVhost) return;
      const plain = d.args.find((a) => !a.includes(':'));
      if (plain === undefined) return;
      try {
        ctx.config.logLevel = parseLogLevel(plain);
      } catch (err) {
        throw new DirectiveError((err as Error).message);
      }
    },
  },
  {
    name: 'ErrorLog', module: 'core_module', contexts: RSRC, args: [1, 2],
    syntax: 'ErrorLog file|"|program args"|/dev/stderr', default: 'stderr', argHelp: 'The filename of the error log',
    description: 'Where the error log goes: a file (under ServerRoot when relative), or a piped program ("|/usr/bin/rotatelogs ' +
      'logs/error.%Y-%m-%d 86400"; "||" is the same, "|$" runs it through /bin/sh -c), which starts with the server, is ' +
      'started again if it dies, and gets end-of-file at shutdown. One in a <VirtualHost> takes the lines logged for that ' +
      'vhost\'s requests (Python tracebacks and wsgi.errors included), as in Apache. syslog is an error: pipe to logger instead.',
    example: 'ErrorLog "|/usr/bin/rotatelogs /var/log/tswsgi/error.%Y-%m-%d 86400"',
    apply: (d, ctx) => {
      let [where, value] = d.args as [string, string | undefined];
      if (value === undefined && where.startsWith('syslog')) [where, value] = ['syslog', where.slice(7)];
      if (value !== undefined) {
        if (where === 'syslog') {
          throw new DirectiveError('ErrorLog syslog is not supported by tswsgi: log to a file, or pipe to logger, as in ' +
            `ErrorLog "|/usr/bin/logger -t apache2 -p ${value || 'local7'}.err"`);
        }
        if (where !== 'file') throw new DirectiveError(`Unknown ErrorLog provider: ${where}`);
        where = value;
      }
      const target = logTarget(ctx, where);
      if (ctx.inVhost) ctx.vhost.errorLog = target;
      else ctx.config.errorLog = target;
    },
  },
  {
    name: 'ErrorLogFormat', module: 'core_module', contexts: RSRC, args: [1, 2],
    syntax: 'ErrorLogFormat [connection|request] format', default: '"[%{u}t] [%-m:%l] [pid %P] %M" (tswsgi\'s lines; worker lines add :tid %T and [remote %a])',
    argHelp: 'Format string for the ErrorLog',
    description: 'The error log\'s line format, with Apache 2.4\'s items (%t %{u}t %{cu}t %{cuz}t %l %m %M %P %T %a %{c}a %A ' +
      '%{name}i %{name}e %k %L %{c}L %{C}L %v %V %%; %E %F %{name}n and %{g}T of a worker\'s line produce nothing), its field ' +
      'rules ("\\ " a space within a field, "% " a divider) and modifiers (- + and a level number). "connection" and "request" ' +
      'lines are written once, before the first line logged for a connection or request. One in a <VirtualHost> is that ' +
      'vhost\'s. Strftime forms of %{...}t are an error.',
    example: 'ErrorLogFormat "[%{cu}t] [%-m:%l] [pid %P:tid %T] [client\\ %a] %M"',
    apply: (d, ctx) => {
      let formats = ctx.errorLogFormats.get(ctx.vhost);
      if (!formats) ctx.errorLogFormats.set(ctx.vhost, (formats = {}));
      const [first, second] = d.args as [string, string | undefined];
      if (second === undefined) {
        formats.main = errorLogFormat(first, true);
        return;
      }
      const kind = first.toLowerCase();
      if (kind !== 'connection' && kind !== 'request') throw new DirectiveError('ErrorLogFormat type must be one of request, connection');
      const lines = (formats[kind] ??= []);
      if (second !== '') lines.push(errorLogFormat(second, false));
    },
  },
  {
    name: 'LogFormat', module: 'log_config_module', contexts: RSRC, args: [1, 2],
    syntax: 'LogFormat format [nickname]', default: '"%h %l %u %t \\"%r\\" %>s %b"', argHelp: 'a log format string (see docs) and an optional format name',
    description: 'Defines an access log format under a nickname for CustomLog (one in a <VirtualHost> is that vhost\'s own). ' +
      'Every field of mod_log_config and mod_logio but %^FU and %^FB works, with the status conditions (%400,501{User-Agent}i, ' +
      '%!200{Referer}i) and the < and > modifiers (the same request: tswsgi makes no internal redirects); strftime formats in ' +
      '%{...}t use the C locale\'s conversions, without %Z. A field tswsgi cannot produce is an error. Without a nickname it is ' +
      'the format of the scope\'s TransferLog lines (the format, or the nickname it names).',
    example: 'LogFormat "%h %l %u %t \\"%r\\" %>s %b" common',
    apply: (d, ctx) => {
      const format = logFormat(d.args[0]!);
      if (d.args[1] === undefined) {
        ctx.defaultLogFormats.set(ctx.vhost, d.args[0]!);
        return;
      }
      let scope = ctx.logFormats.get(ctx.vhost);
      if (!scope) ctx.logFormats.set(ctx.vhost, (scope = new Map()));
      scope.set(d.args[1], format);
    },
  },
  {
    name: 'CustomLog', module: 'log_config_module', contexts: RSRC, args: [2, 3],
    syntax: 'CustomLog file|"|program args" format-or-nickname [env=[!]variable]', default: 'none', argHelp: 'a file name, a custom log format string or format name, and an optional "env=" or "expr=" clause (see docs)',
    description: 'Writes an access log line per request, in a format or a LogFormat nickname (common and combined are ' +
      'predefined). One in a <VirtualHost> logs that vhost\'s requests, and a vhost with none logs to the main server\'s, as ' +
      'in Apache. env=NAME logs only requests with that variable (SetEnv, or for a WSGI request the environ), env=!NAME ' +
      'only those without. /dev/stdout is the standard output; "|program args" a piped program, as ErrorLog\'s; expr= is an error.',
    example: 'CustomLog "|/usr/bin/rotatelogs /var/log/tswsgi/access.%Y-%m-%d 86400" combined',
    apply: (d, ctx) => customLog(d, ctx, false),
  },
  {
    name: 'GlobalLog', module: 'log_config_module', contexts: GLOBAL_ONLY, args: [2, 3],
    syntax: 'GlobalLog file|"|program args" format-or-nickname [env=[!]variable]', default: 'none', argHelp: 'Same as CustomLog, but forces virtualhosts to inherit the log',
    description: 'As CustomLog in the main server, but every vhost\'s requests are logged to it, those of vhosts with logs of their own too.',
    example: 'GlobalLog logs/all-access.log combined',
    apply: (d, ctx) => customLog(d, ctx, true),
  },
  {
    name: 'TransferLog', module: 'log_config_module', contexts: RSRC, args: [1, 1],
    syntax: 'TransferLog file|"|program args"', default: 'none', argHelp: 'the filename of the access log',
    description: 'As CustomLog, in the scope\'s last LogFormat without a nickname (the main server\'s if the vhost has none), ' +
      'else the common format "%h %l %u %t \\"%r\\" %>s %b".',
    example: 'TransferLog logs/access.log',
    apply: (d, ctx) => {
      ctx.customLogs.push({ vhost: ctx.vhost, log: { target: logTarget(ctx, d.args[0]!), format: DEFAULT_LOG_FORMATS.get('common')!, condition: null }, nickname: null, global: false });
    },
  },
  {
    name: 'Timeout', module: 'core_module', contexts: RSRC, args: [1, 1],
    syntax: 'Timeout seconds', default: '60', argHelp: 'timeout duration (sec)',
    description: 'Seconds to wait for a client to send its request head.',
    example: 'Timeout 30',
    apply: (d, ctx) => { ctx.config.timeout = seconds(d); },
  },
  {
    name: 'KeepAlive', module: 'core_module', contexts: RSRC, args: [1, 1],
    syntax: 'KeepAlive On|Off', default: 'On', argHelp: 'Whether persistent connections are allowed',
    description: 'Whether client connections stay open between requests.',
    example: 'KeepAlive Off',
    apply: (d, ctx) => { ctx.config.keepAlive = flag(d, false); },
  },
  {
    name: 'KeepAliveTimeout', module: 'core_module', contexts: RSRC, args: [1, 1],
    syntax: 'KeepAliveTimeout seconds', default: '5', argHelp: 'Keep-Alive timeout duration (sec)',
    description: 'Seconds an idle client connection stays open.',
    example: 'KeepAliveTimeout 15',
    apply: (d, ctx) => { ctx.config.keepAliveTimeout = seconds(d); },
  },
  {
    name: 'MaxKeepAliveRequests', module: 'core_module', contexts: RSRC, args: [1, 1],
    syntax: 'MaxKeepAliveRequests n', default: '100', argHelp: 'Maximum number of Keep-Alive requests per connection, or 0 for infinite',
    description: 'Requests one client connection may carry (0: no limit).',
    example: 'MaxKeepAliveRequests 500',
    apply: (d, ctx) => { ctx.config.maxKeepAliveRequests = wholeNumber(d, d.args[0]!, 'value'); },
  },
  ...(['LimitRequestBody', 'LimitRequestFields', 'LimitRequestFieldSize', 'LimitRequestLine'] as const).map((name): DirectiveSpec => ({
    name, module: 'core_module', contexts: name === 'LimitRequestBody' ? EVERYWHERE : RSRC, args: [1, 1],
    ...(name === 'LimitRequestBody' ? { override: 'any' as const } : {}),
    syntax: `${name} n`, default: { LimitRequestBody: '1073741824', LimitRequestFields: '100', LimitRequestFieldSize: '8190', LimitRequestLine: '8190' }[name],
    argHelp: name === 'LimitRequestBody' ? 'Limit (in bytes) on maximum size of request message body' : 'Limit on the request head',
    description: {
      LimitRequestBody: 'Largest request body in bytes (0: no limit); larger gets 413 before the application sees the request.',
      LimitRequestFields: 'Most header fields in a request; more gets 431.',
      LimitRequestFieldSize: 'Longest header field in bytes; longer gets 431.',
      LimitRequestLine: 'Longest request line in bytes; longer gets 414.',
    }[name],
    example: `${name} ${name === 'LimitRequestBody' ? '10485760' : '8190'}`,
    apply: (d, ctx) => {
      const value = wholeNumber(d, d.args[0]!, 'argument');
      if (name === 'LimitRequestBody') {
        ctx.dir.limitRequestBody = value;
        return;
      }
      const field = (name[0]!.toLowerCase() + name.slice(1)) as 'limitRequestFields' | 'limitRequestFieldSize' | 'limitRequestLine';
      ctx.config[field] = value;
    },
  })),
  {
    name: 'ServerTokens', module: 'core_module', contexts: GLOBAL_ONLY, args: [1, 1],
    syntax: 'ServerTokens Prod|Major|Minor|Min|OS|Full', default: 'Full', argHelp: "'Prod(uctOnly)', 'Major', 'Minor', 'Min(imal)', 'OS', or 'Full'",
    description: 'How much the Server header and SERVER_SOFTWARE say.',
    example: 'ServerTokens Prod',
    apply: (d, ctx) => { ctx.config.serverTokens = d.args[0]!; },
  },
  {
    name: 'TraceEnable', module: 'core_module', contexts: RSRC, args: [1, 1],
    syntax: 'TraceEnable On|Off|extended', default: 'On', argHelp: "'on' (default), 'off' or 'extended' to trace request body content",
    description: 'Whether TRACE is answered by the server itself, before routing and access checks, as Apache\'s core does: On echoes ' +
      'the request head (200, message/http) and refuses a request body (413); extended echoes a body too, up to 64 KB; Off answers 405. ' +
      'TRACE never reaches the application.',
    example: 'TraceEnable Off',
    apply: (d, ctx) => {
      const value = d.args[0]!.toLowerCase();
      if (value !== 'on' && value !== 'off' && value !== 'extended') throw new DirectiveError("TraceEnable must be one of 'on', 'off', or 'extended'");
      ctx.vhost.traceEnable = value;
    },
  },
  {
    name: 'RequestReadTimeout', module: 'reqtimeout_module', contexts: RSRC, args: [1, -1],
    syntax: 'RequestReadTimeout [header=N[-M][,MinRate=R]] [body=N[-M][,MinRate=R]] [handshake=...]',
    default: 'header=20-40,MinRate=500 body=20,MinRate=500 (with mod_reqtimeout loaded; none without it)',
    argHelp: 'Set various timeout parameters for TLS handshake and/or reading request headers and body',
    description: 'How long a client may take to send its request head (from its first byte) and its body: N seconds, one more for ' +
      'every R bytes received, up to M. Past it the head gets 408 and the connection closes; a body gets 408 too (mod_wsgi\'s ' +
      'application would see a read error). header= is taken from the virtual host the connection\'s address selects, as Apache ' +
      'does before it reads a Host header. 0 turns a stage off; handshake= has no effect (no TLS).',
    example: 'RequestReadTimeout header=20-40,MinRate=500 body=20,MinRate=500',
    apply: (d, ctx) => {
      try {
        Object.assign(ctx.vhost.requestReadTimeout, parseRequestReadTimeout(d.args));
      } catch (err) {
        throw new DirectiveError((err as Error).message);
      }
    },
  },
  // MaxClients: Apache 2.4's old name for MaxRequestWorkers.
  ...(['StartServers', 'ServerLimit', 'ThreadsPerChild', 'MaxRequestWorkers', 'MaxClients'] as const).map((name): DirectiveSpec => ({
    name, module: 'mpm_event_module', contexts: GLOBAL_ONLY, args: [1, 1],
    syntax: `${name} n`, default: { StartServers: '3', ServerLimit: '16', ThreadsPerChild: '25', MaxRequestWorkers: 'ServerLimit x ThreadsPerChild', MaxClients: 'as MaxRequestWorkers' }[name],
    argHelp: 'a number',
    description: name === 'MaxRequestWorkers' || name === 'MaxClients'
      ? 'Client connections served at once (settled as the event MPM does: at least ThreadsPerChild, a multiple of it, at most ' +
        'ServerLimit x ThreadsPerChild). Past it a new connection waits, unread, until one ends; none is refused. A connection idle ' +
        'between keep-alive requests is closed to make room for a waiting one, as the event MPM keeps no worker for it. Also caps ' +
        'the server\'s own pool at MaxRequestWorkers / ThreadsPerChild processes.'
      : 'Sizes the server\'s own pool (%{GLOBAL}): StartServers (capped by ServerLimit and MaxRequestWorkers / ThreadsPerChild) processes of ThreadsPerChild threads.',
    example: `${name} 2`,
    apply: (d, ctx) => {
      const value = wholeNumber(d, d.args[0]!, 'value');
      if (name === 'StartServers') ctx.mpm.startServers = value;
      else if (name === 'ServerLimit') ctx.mpm.serverLimit = value;
      else if (name === 'ThreadsPerChild') ctx.mpm.threadsPerChild = value;
      else {
        ctx.mpm.maxRequestWorkers = value;
        ctx.mpm.maxRequestWorkersAt = `${d.file}:${d.line}`;
      }
    },
  })),
  {
    name: 'DefaultRuntimeDir', module: 'core_module', contexts: GLOBAL_ONLY, args: [1, 1],
    syntax: 'DefaultRuntimeDir directory', default: 'a fresh directory in the temp dir', argHelp: 'The location of the directory Apache changes to before dumping core',
    description: 'Where tswsgi puts its worker sockets and control socket (in DIRECTORY/tswsgi), unless WSGISocketPrefix says ' +
      'otherwise; checked as WSGISocketPrefix\'s is. Without either, each server makes a fresh directory only its user can ' +
      'write, tswsgi-PID-XXXXXX (random) in the temp dir.',
    example: 'DefaultRuntimeDir /run/tswsgi',
    apply: (d, ctx) => { ctx.config.runtimeDir = path.join(resolvePath(ctx, d.args[0]!), 'tswsgi'); },
  },
  ...(['User', 'Group'] as const).map((name): DirectiveSpec => ({
    name, module: 'unixd_module', contexts: GLOBAL_ONLY, args: [1, 1],
    syntax: `${name} name|#id`, default: 'the user tswsgi runs as', argHelp: `Effective ${name.toLowerCase()} id for this server`,
    description: `${name} the worker processes run as when tswsgi starts as root: the server's own pool, and every daemon group without its own ${name.toLowerCase()}= option (as mod_wsgi's daemons default to Apache's ${name}). Ignored when not root, as in Apache.`,
    example: `${name} www-data`,
    apply: (d, ctx) => { ctx.config[name === 'User' ? 'user' : 'group'] = d.args[0]!; },
  })),
  {
    name: 'PidFile', module: 'mpm_event_module', contexts: GLOBAL_ONLY, args: [1, 1],
    syntax: 'PidFile file', default: 'none', argHelp: 'A file for logging the server process ID',
    description: 'A file tswsgi writes its process id to while it runs (relative to ServerRoot), and removes when it stops.',
    example: 'PidFile run/tswsgi.pid',
    apply: (d, ctx) => { ctx.config.pidFile = resolvePath(ctx, d.args[0]!); },
  },
  accepted('Mutex', 'core_module', GLOBAL_ONLY, [1, 2], 'Accepted; tswsgi needs no mutexes.', 'Mutex file:/var/lock'),
  accepted('HttpProtocolOptions', 'core_module', RSRC, [1, -1], 'Accepted; tswsgi refuses what Strict refuses (and HTTP/0.9, as Require1.0 does), except extra spaces between the parts of the request line, which its HTTP parser allows.', 'HttpProtocolOptions Strict'),
  accepted('ServerAdmin', 'core_module', RSRC, [1, 1], 'Accepted; SERVER_ADMIN is "[no address given]" for now.', 'ServerAdmin webmaster@example.com'),
  {
    name: 'Options', module: 'core_module', contexts: EVERYWHERE, args: [1, -1],
    syntax: 'Options [+|-]option ...', default: 'FollowSymLinks', argHelp: 'Set a number of attributes for a given directory',
    description: 'FollowSymLinks and SymLinksIfOwnerMatch decide, as in Apache, whether static files and WSGI scripts may be ' +
      'reached through a symbolic link. Every component of the file\'s path, from /, is checked under the Options of the ' +
      'directory holding it (the server, the vhost and <Directory> sections; <Location>, <Files> and <DirectoryMatch> do not ' +
      'count, as in Apache\'s directory walk): with neither option a symbolic link gets 403, with SymLinksIfOwnerMatch only a ' +
      'link owned by its target\'s owner is followed; a link to nothing gets 403 under any Options. The other options (Indexes, ExecCGI, Includes, MultiViews) are accepted ' +
      'without effect: tswsgi lists no directories and WSGIScriptAlias needs no ExecCGI.',
    example: 'Options -FollowSymLinks +SymLinksIfOwnerMatch',
    apply: (d, ctx) => { ctx.dir.options = options(d, ctx.dir.options); },
  },
  {
    name: 'AllowOverride', module: 'core_module', contexts: ['directory'], args: [1, -1],
    syntax: 'AllowOverride None|All|AuthConfig|FileInfo|Indexes|Limit ...', default: 'None', argHelp: 'Controls what options .htaccess files in directories can override',
    description: 'Which directives .htaccess files in the directories this covers may hold, as in Apache: AuthConfig (Require, ' +
      'AuthMerging, Satisfy), Limit (Order, Allow, Deny), FileInfo (SetEnv, PassEnv, UnsetEnv, SetEnvIf, BrowserMatch, AddType), ' +
      'Indexes (DirectoryIndex), and LimitRequestBody under any. tswsgi reads them per request (again when one changes), for the ' +
      'directives it implements and <RequireAll>/<RequireAny>/<RequireNone>; a .htaccess with any other line (Options, <Files>, ' +
      'RewriteRule, ...) or one AllowOverride does not allow gets 500, the error log naming its file:line, so that what it says is ' +
      'never skipped. Nonfatal= is taken as fatal, and Options= allows no Options line.',
    example: 'AllowOverride AuthConfig Limit',
    apply: (d, ctx) => {
      const bad = d.args.find((arg) => !/^(none|all|authconfig|fileinfo|indexes|limit|options(=.*)?|nonfatal=(override|unknown|all))$/i.test(arg));
      if (bad !== undefined) throw new DirectiveError(`Illegal override option ${bad}`);
      // As Apache's set_override: None and All reset what came before them.
      const kinds = new Set<OverrideKind>();
      for (const arg of d.args.map((a) => a.toLowerCase())) {
        if (arg === 'none') kinds.clear();
        else if (arg === 'all') for (const kind of OVERRIDE_KINDS) kinds.add(kind);
        else if ((OVERRIDE_KINDS as readonly string[]).includes(arg)) kinds.add(arg as OverrideKind);
      }
      ctx.dir.allowOverride = [...kinds];
    },
  },
];

/** Nicknames tswsgi knows without a LogFormat (Apache's documented common and combined), for configs written for tswsgi alone. */
export const DEFAULT_LOG_FORMATS: ReadonlyMap<string, LogFormat> = new Map([
  ['common', '%h %l %u %t "%r" %>s %b'],
  ['combined', '%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i"'],
].map(([name, text]) => [name!, parseLogFormat(text!)]));

/** Sections and what their contents are. */
export const SECTIONS: ReadonlyArray<{ name: string; kind: 'vhost' | 'directory' | 'authz'; contexts: readonly Context[] }> = [
  { name: 'VirtualHost', kind: 'vhost', contexts: GLOBAL_ONLY },
  { name: 'Directory', kind: 'directory', contexts: RSRC },
  { name: 'DirectoryMatch', kind: 'directory', contexts: RSRC },
  { name: 'Files', kind: 'directory', contexts: EVERYWHERE },
  { name: 'FilesMatch', kind: 'directory', contexts: EVERYWHERE },
  { name: 'Location', kind: 'directory', contexts: RSRC },
  { name: 'LocationMatch', kind: 'directory', contexts: RSRC },
  { name: 'RequireAll', kind: 'authz', contexts: ['directory'] },
  { name: 'RequireAny', kind: 'authz', contexts: ['directory'] },
  { name: 'RequireNone', kind: 'authz', contexts: ['directory'] },
];

const byKey = new Map(DIRECTIVES.map((spec) => [spec.name.toLowerCase(), spec]));

export function directiveSpec(key: string): DirectiveSpec | undefined {
  return byKey.get(key);
}
