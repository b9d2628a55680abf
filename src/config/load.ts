// Reads an Apache configuration file into the server model: parse, then walk the
// tree with the directive table, checking each directive's context and arguments.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigError, parseCommandLine, parseFile, type Directive, type ParseState } from './apache-parser';
import { authzSectionName, checkScope, closeSection, openSection } from './authz';
import { DirectiveError, SECTIONS, directiveSpec, warnOnce, type BuildContext, type Context, type DirectiveSpec, type MpmSizing } from './directives';
import { GLOBAL, type DirConfig, type OverrideKind, type ProcessGroupConfig, type Section, type SectionKind, type ServerConfig, type VirtualHost } from './model';
import { isModuleLoaded, moduleByName, newModuleRegistry } from './modules';
import { tierRules, type TierRule } from './module-rules';
import { APACHE_DEFAULTS } from './defaults';
import { defaultDaemonOptions } from './daemon-options';
import { readMimeTypes } from './mime-types';
import { defaultStages } from './request-read-timeout';
import { checkGroupReferences } from './group-references';
import { settleAccessLogs, settleErrorLogFormats } from './log-scopes';

export interface LoadOptions {
  /** -D names. */
  defines: string[];
  /** The interpreter for groups that name none (no python-home, no WSGIPythonHome). */
  python: string;
  /** What chose it, for messages (the command-line option, the environment variable, the default). */
  pythonSource: string;
  env?: NodeJS.ProcessEnv;
  /** -d: ServerRoot until the config sets one; a relative config file name is relative to it, as in Apache. */
  serverRoot?: string;
  /** -C: directives read before the config file. */
  before?: readonly string[];
  /** -c: directives read after it. */
  after?: readonly string[];
}

export interface LoadResult {
  config: ServerConfig;
  errors: ConfigError[];
  warnings: string[];
}

export function newVirtualHost(source: string): VirtualHost {
  return { addresses: [], serverName: '', serverPort: null, serverAliases: [], documentRoot: '', aliases: [], dir: {}, sections: [], envConditions: [], accessLogs: [], requestReadTimeout: {}, traceEnable: null, source };
}

/** The config file a name means: as apache2, a relative one is relative to -d's ServerRoot when there is one. */
export const configFilePath = (file: string, serverRoot?: string) => path.resolve(serverRoot ?? '', file);

export function loadConfig(file: string, options: LoadOptions): LoadResult {
  const configFile = configFilePath(file, options.serverRoot);
  const state: ParseState = {
    serverRoot: options.serverRoot === undefined ? path.dirname(configFile) : path.resolve(options.serverRoot),
    defines: new Map(options.defines.map((name) => [name, ''])),
    env: options.env ?? process.env,
    modules: newModuleRegistry(),
    errors: [],
    warnings: [],
  };
  const tree = [...parseCommandLine(options.before ?? [], state), ...parseFile(configFile, state), ...parseCommandLine(options.after ?? [], state)];
  const main = newVirtualHost(configFile);
  const config: ServerConfig = {
    serverRoot: state.serverRoot,
    htaccessReading: { defines: state.defines, modules: state.modules, env: state.env },
    listen: [],
    main,
    vhosts: [],
    processGroups: [],
    limitRequestLine: APACHE_DEFAULTS.limitRequestLine,
    limitRequestFieldSize: APACHE_DEFAULTS.limitRequestFieldSize,
    limitRequestFields: APACHE_DEFAULTS.limitRequestFields,
    maxRequestWorkers: null,
    readTimeoutDefaults: defaultStages(false),
    keepAlive: true,
    keepAliveTimeout: APACHE_DEFAULTS.keepAliveTimeout,
    maxKeepAliveRequests: 100,
    timeout: 60,
    shutdownTimeout: 30,
    restrictEmbedded: false,
    applicationGroups: 'auto',
    user: null,
    group: null,
    pidFile: null,
    pythonOptimize: 0,
    logLevel: 'warn',
    errorLog: null,
    serverTokens: 'Full',
    runtimeDir: null,
    maximumRequestsJitter: 0,
    mimeTypes: new Map(),
  };
  const ctx = newBuildContext(config, main, state, { python: options.python, source: options.pythonSource });
  const errors = state.errors;
  walk(tree, ctx, 'server', state, errors);
  config.readTimeoutDefaults = defaultStages(isModuleLoaded(state.modules, 'reqtimeout_module'));
  finish(ctx, errors);
  errors.sort((a, b) => (a.file === b.file ? a.line - b.line : 0));
  return { config, errors, warnings: state.warnings };
}

function newBuildContext(config: ServerConfig, vhost: VirtualHost, state: ParseState, defaultPython: BuildContext['defaultPython']): BuildContext {
  return {
    config, vhost, inVhost: false, dir: vhost.dir, sectionName: null, env: state.env,
    groups: new Map(), imports: [], groupReferences: [],
    mpm: { startServers: 3, serverLimit: 16, threadsPerChild: 25, maxRequestWorkers: null, maxRequestWorkersAt: '' },
    python: { home: null, path: [] },
    defaultPython,
    typesConfig: false,
    warnings: state.warnings,
    logFormats: new Map(), defaultLogFormats: new Map(), customLogs: [], errorLogFormats: new Map(), warnedDirectives: new Set(),
  };
}

/**
 * A .htaccess file, read as Apache reads it for a request: the directives `allowed` lets it hold
 * (of those tswsgi implements) into the settings of its directory, or the first error, which
 * Apache answers with 500. Modules, Define'd names and the environment are the config's.
 */
export function loadHtaccess(file: string, allowed: readonly OverrideKind[], config: ServerConfig): DirConfig | ConfigError {
  const { defines, modules, env } = config.htaccessReading;
  const state: ParseState = {
    serverRoot: config.serverRoot, defines: new Map(defines), env,
    modules: { loaded: new Set(modules.loaded), explicit: modules.explicit }, errors: [], warnings: [], htaccess: true,
  };
  const tree = parseFile(file, state);
  if (state.errors.length > 0) return state.errors[0]!;
  const holder = newVirtualHost(file);
  const ctx: BuildContext = { ...newBuildContext(config, holder, state, { python: '', source: '' }), sectionName: '.htaccess', htaccess: allowed };
  const errors: ConfigError[] = [];
  walk(tree, ctx, 'directory', state, errors);
  if (errors.length === 0 && holder.dir.authz) {
    try {
      checkScope(holder.dir.authz);
    } catch (err) {
      if (!(err instanceof DirectiveError)) throw err;
      errors.push(new ConfigError(file, 1, err.message));
    }
  }
  return errors[0] ?? holder.dir;
}

const SECTION_KINDS: Record<string, SectionKind> = {
  directory: 'directory', directorymatch: 'directorymatch', files: 'files', filesmatch: 'filesmatch', location: 'location', locationmatch: 'locationmatch',
};

function walk(nodes: Directive[], ctx: BuildContext, where: Context, state: ParseState, errors: ConfigError[]): void {
  for (const node of nodes) {
    try {
      if (node.children) section(node, ctx, where, state, errors);
      else directive(node, ctx, where, state);
    } catch (err) {
      if (!(err instanceof DirectiveError)) throw err;
      errors.push(new ConfigError(node.file, node.line, err.message));
    }
  }
}

function contextError(name: string, where: Context, sectionName: string | null, allowed: readonly Context[]): string {
  if (where === 'vhost') return `${name} cannot occur within <VirtualHost> section`;
  if (where === 'directory') return `${name} not allowed in <${sectionName}> context`;
  return allowed.length === 1 && allowed[0] === 'vhost' ? `${name} only used in <VirtualHost>` : `${name} not allowed here`;
}

function section(node: Directive, ctx: BuildContext, where: Context, state: ParseState, errors: ConfigError[]): void {
  const spec = SECTIONS.find((s) => s.name.toLowerCase() === node.key);
  if (ctx.htaccess && spec?.kind !== 'authz') throw new DirectiveError(`<${node.name}> in a .htaccess file is not supported by tswsgi`);
  if (!spec) {
    // Every section of module-rules.ts is refused: an accepted one would drop its contents unread.
    const { rule, modules } = tierLookup(`<${node.key}`, state);
    if (!rule) throw invalidCommand(`<${node.name}>`, modules[0], state);
    applyTier(rule, node, ctx);
    return;
  }
  if (!spec.contexts.includes(where)) throw new DirectiveError(contextError(`<${spec.name}>`, where, ctx.sectionName, spec.contexts));
  if (spec.kind === 'authz') {
    const open = openSection(node.key, node.args, spec.name);
    const before = errors.length;
    walk(node.children!, { ...ctx, openAuthz: open }, 'directory', state, errors);
    // A line refused inside leaves the section incomplete: Apache stops at that error.
    if (errors.length === before) closeSection(ctx.dir, ctx.openAuthz ?? null, open);
    return;
  }
  if (spec.kind === 'vhost') {
    if (node.args.length === 0) throw new DirectiveError('<VirtualHost> directive requires additional arguments');
    const vhost = newVirtualHost(`${node.file}:${node.line}`);
    vhost.addresses = node.args.map((a) => parseVhostAddress(a));
    ctx.config.vhosts.push(vhost);
    walk(node.children!, { ...ctx, vhost, inVhost: true, dir: vhost.dir, sectionName: null }, 'vhost', state, errors);
    return;
  }
  const kind = SECTION_KINDS[node.key]!;
  const isRegex = kind.endsWith('match') || node.args[0] === '~';
  const pattern = node.args[0] === '~' ? node.args[1] : node.args[0];
  if (pattern === undefined || node.args.length > (node.args[0] === '~' ? 2 : 1)) {
    throw new DirectiveError(`<${spec.name}> directive requires additional arguments`);
  }
  let regex: RegExp | null = null;
  if (isRegex) {
    try {
      regex = new RegExp(pattern);
    } catch {
      throw new DirectiveError(`Regex could not be compiled`);
    }
  }
  const base = kind.startsWith('directory') ? path.resolve(ctx.config.serverRoot, pattern) : pattern;
  const entry: Section = { kind: isRegex && !kind.endsWith('match') ? (`${kind}match` as SectionKind) : kind, pattern: isRegex ? pattern : base, regex, config: {} };
  ctx.vhost.sections.push(entry);
  const before = errors.length;
  walk(node.children!, { ...ctx, dir: entry.config, sectionName: spec.name }, 'directory', state, errors);
  if (entry.config.authz && errors.length === before) checkScope(entry.config.authz);
}

/** What may stand in a <RequireAll>, <RequireAny> or <RequireNone> (Apache's AuthConfig directives tswsgi has). */
const AUTHZ_DIRECTIVES = new Set(['require', 'authmerging', 'satisfy']);

function directive(node: Directive, ctx: BuildContext, where: Context, state: ParseState): void {
  const spec = directiveSpec(node.key);
  if (ctx.htaccess) checkHtaccessLine(node, spec, ctx.htaccess, state);
  if (!spec || !moduleUsable(spec, state)) {
    const { rule, modules } = tierLookup(node.key, state);
    if (!rule) throw invalidCommand(node.name, spec?.module ?? modules[0], state);
    if (!rule.contexts.includes(where)) throw new DirectiveError(contextError(rule.name, where, ctx.sectionName, rule.contexts));
    applyTier(rule, node, ctx);
    return;
  }
  if (!spec.contexts.includes(where)) throw new DirectiveError(contextError(spec.name, where, ctx.sectionName, spec.contexts));
  // Apache reads a <Require*> section's lines as authorization directives only.
  if (ctx.openAuthz && !AUTHZ_DIRECTIVES.has(node.key)) throw new DirectiveError(`${spec.name} not allowed in ${authzSectionName(ctx.openAuthz)} context`);
  checkArity(spec, node);
  spec.apply(node, ctx);
}

/**
 * A .htaccess line must be one tswsgi implements (what it would skip could forbid something), and
 * of a kind AllowOverride allows there (Apache's "not allowed here").
 */
function checkHtaccessLine(node: Directive, spec: DirectiveSpec | undefined, allowed: readonly OverrideKind[], state: ParseState): void {
  if (!spec || !moduleUsable(spec, state)) {
    if (tierRules(node.key).some((rule) => isModuleLoaded(state.modules, rule.module))) {
      throw new DirectiveError(`${node.name} in a .htaccess file is not supported by tswsgi`);
    }
    return; // Apache's "Invalid command" follows
  }
  const kind = spec.override;
  if (kind === undefined) throw new DirectiveError(`${spec.name} not allowed here (tswsgi reads no ${spec.name} from .htaccess files)`);
  if (kind === 'any' ? allowed.length === 0 : !allowed.includes(kind)) throw new DirectiveError(`${spec.name} not allowed here`);
}

/** For a directive tswsgi does not implement: the rule of a loaded module that registers it, and every module that does. */
function tierLookup(key: string, state: ParseState): { rule: TierRule | undefined; modules: string[] } {
  const rules = tierRules(key);
  return { rule: rules.find((rule) => isModuleLoaded(state.modules, rule.module)), modules: rules.map((rule) => rule.module) };
}

/**
 * Apache's message, with the module that would make the directive known when tswsgi knows one; else
 * the loaded modules tswsgi does not know, which may be the ones that define it.
 */
function invalidCommand(name: string, module: string | undefined, state: ParseState): DirectiveError {
  const known = moduleByName(module ?? '');
  const unknown = [...state.modules.loaded].filter((loaded) => !moduleByName(loaded));
  const hint = known ? ` (add LoadModule ${known.name} to use it)`
    : unknown.length > 0 ? ` (or by ${unknown.join(', ')}, loaded here, which tswsgi does not know and cannot honour)` : '';
  return new DirectiveError(`Invalid command '${name}', perhaps misspelled or defined by a module not included in the server configuration${hint}`);
}

/** A directive of a loaded module tswsgi does not implement: its arguments checked, then a warning (once per name) or a refusal. */
function applyTier(rule: TierRule, node: Directive, ctx: BuildContext): void {
  const result = rule.check(rule.name, node.args);
  if (result && 'error' in result) throw new DirectiveError(result.error);
  if (rule.tier === 'refused' || result) throw new DirectiveError(`${rule.name} (${rule.module}) is not supported by tswsgi: ${result?.refuse ?? rule.why}`);
  warnOnce(ctx, node, rule.name, `${rule.name} (${rule.module}) has no effect in tswsgi: ${rule.why}`);
}

/** MPM directives of the table belong to whichever MPM is loaded. */
function moduleUsable(spec: DirectiveSpec, state: ParseState): boolean {
  if (spec.module.startsWith('mpm_')) {
    return ['mpm_event_module', 'mpm_worker_module', 'mpm_prefork_module'].some((m) => isModuleLoaded(state.modules, m));
  }
  return isModuleLoaded(state.modules, spec.module);
}

const WORDS = ['no', 'one', 'two', 'three'];

function checkArity(spec: DirectiveSpec, node: Directive): void {
  const [min, max] = spec.args;
  const n = node.args.length;
  if (n >= min && (max < 0 || n <= max)) return;
  const count = max < 0 ? `requires at least ${WORDS[min] ?? min} argument${min === 1 ? '' : 's'}`
    : min === max ? `takes ${WORDS[min] ?? min} argument${min === 1 ? '' : 's'}`
      : `takes ${min}-${max} arguments`;
  throw new DirectiveError(`${spec.name} ${count}, ${spec.argHelp}`);
}

function parseVhostAddress(text: string): { host: string; port: number | null } {
  const m = /^(\[[^\]]+\]|[^:]+)(?::(\*|\d+))?$/.exec(text);
  if (!m) throw new DirectiveError(`Could not resolve host name ${text} -- ignoring!`);
  const host = m[1]!.replace(/^\[|\]$/g, '');
  return { host: host === '_default_' ? '*' : host, port: m[2] === undefined || m[2] === '*' ? null : Number(m[2]) };
}

/** What can only be settled once the whole file was read. */
function finish(ctx: BuildContext, errors: ConfigError[]): void {
  const { config } = ctx;
  config.main.serverName ||= os.hostname().toLowerCase();
  config.main.documentRoot ||= '/var/www/html';
  for (const vhost of config.vhosts) {
    vhost.serverName ||= config.main.serverName;
    vhost.documentRoot ||= config.main.documentRoot;
  }
  // Requests are checked against the ServerName the declaring vhost ended up with.
  for (const group of ctx.groups.values()) group.vhostServerName = group.vhost?.serverName ?? null;
  errors.push(...checkGroupReferences(ctx.groupReferences, ctx.groups));
  settleAccessLogs(ctx);
  settleErrorLogFormats(ctx);
  if (config.listen.length === 0) {
    errors.push(new ConfigError(path.resolve(config.main.source), 0, 'no listening sockets available: the configuration has no Listen directive'));
  }
  const { mpm } = ctx;
  const workers = settleWorkers(mpm, ctx.warnings);
  config.maxRequestWorkers = workers;
  const globalPool: ProcessGroupConfig = {
    name: GLOBAL,
    processes: Math.max(1, Math.min(mpm.startServers, mpm.serverLimit, Math.floor(workers / Math.max(1, mpm.threadsPerChild)))),
    threads: Math.max(1, mpm.threadsPerChild),
    // Settled below with the daemon groups' (interpreter()).
    python: '',
    pythonSource: '',
    pythonPath: ctx.python.path,
    home: null,
    importScripts: [],
    multiprocess: true,
    options: defaultDaemonOptions(),
    vhostServerName: null,
    vhost: null,
    source: 'the server\'s own pool (StartServers x ThreadsPerChild)',
  };
  const groups = [globalPool, ...ctx.groups.values()];
  for (const group of groups) Object.assign(group, interpreter(group, ctx));
  for (const entry of ctx.imports) {
    const group = groups.find((g) => g.name === entry.processGroup);
    group?.importScripts.push({ path: entry.path, applicationGroup: entry.applicationGroup });
  }
  // The server's own pool runs when requests may use it, or when WSGIImportScript preloads into it
  // (under WSGIRestrictEmbedded On, as mod_wsgi: a WSGIScriptAlias preload alone runs nothing).
  const imported = ctx.imports.some((entry) => entry.processGroup === GLOBAL && !entry.fromAlias);
  config.processGroups = !config.restrictEmbedded || imported ? groups : groups.slice(1);
  if (!ctx.typesConfig && fs.existsSync('/etc/mime.types')) config.mimeTypes = readMimeTypes('/etc/mime.types');
}

/**
 * MaxRequestWorkers as the event MPM settles it at start: at least ThreadsPerChild, a whole multiple
 * of it, and at most ServerLimit processes' worth; each change is warned about in Apache's words.
 */
function settleWorkers(mpm: MpmSizing, warnings: string[]): number {
  const threads = Math.max(1, mpm.threadsPerChild);
  let workers = mpm.maxRequestWorkers ?? mpm.serverLimit * threads;
  const warn = (text: string) => warnings.push(mpm.maxRequestWorkersAt ? `${mpm.maxRequestWorkersAt}: ${text}` : text);
  if (workers < threads) {
    warn(`MaxRequestWorkers of ${workers} is less than ThreadsPerChild of ${threads}, increasing to ${threads}. MaxRequestWorkers must be at least as large as the number of threads in a single server.`);
    workers = threads;
  }
  let processes = Math.floor(workers / threads);
  if (workers % threads !== 0) {
    warn(`MaxRequestWorkers of ${workers} is not an integer multiple of ThreadsPerChild of ${threads}, decreasing to nearest multiple ${processes * threads}, for a maximum of ${processes} servers.`);
  }
  if (processes > mpm.serverLimit) {
    warn(`MaxRequestWorkers of ${processes * threads} would require ${processes} servers and would exceed ServerLimit of ${mpm.serverLimit}, decreasing to ${mpm.serverLimit * threads}. To increase, please see the ServerLimit directive.`);
    processes = mpm.serverLimit;
  }
  return processes * threads;
}

/** A group's python: its python-home= (set when it was declared), else WSGIPythonHome, else the default; with what chose it. */
function interpreter(group: ProcessGroupConfig, ctx: BuildContext): Pick<ProcessGroupConfig, 'python' | 'pythonSource'> {
  if (group.pythonSource !== '') return { python: group.python, pythonSource: group.pythonSource };
  const home = ctx.python.home;
  return home ? { python: path.join(home.dir, 'bin/python3'), pythonSource: home.source } : { python: ctx.defaultPython.python, pythonSource: ctx.defaultPython.source };
}
