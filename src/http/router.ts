// Maps a request to what serves it, in Apache's order: the virtual host by address
// and Host, then Alias/AliasMatch (mod_alias runs first), then WSGIScriptAlias and
// WSGIScriptAliasMatch, then DocumentRoot; then the Directory, Files and Location
// sections that apply, merged from the least to the most specific.

import * as fs from 'node:fs';
import * as path from 'node:path';
import type { AliasContext } from '../host/mount';
import { fileKind } from './file-kinds';
import { ConfigError } from '../config/apache-parser';
import { mergeAuthz, type MergedAuthz } from '../config/authz';
import { loadHtaccess } from '../config/load';
import {
  DIR_DEFAULTS, OPTION, OPTIONS_DEFAULT, applyOptions,
  type AliasRule, type EnvCondition, type DirConfig, type OverrideKind, type Section, type ServerConfig, type VirtualHost,
} from '../config/model';

export type ResolvedDir = typeof DIR_DEFAULTS & Omit<DirConfig, keyof typeof DIR_DEFAULTS>;

/** Apache's r->handler where it is set (the access log's %R): WSGIScriptAlias's, ScriptAlias's, or mod_dir's for a directory. */
export type Handler = 'wsgi-script' | 'cgi-script' | 'httpd/unix-directory';

/**
 * Each route but 'wsgi' names the file the URL resolved to (Apache's r->filename, which the
 * access log's %f shows); a static one also the URL path of what it serves (%U), which mod_dir's
 * DirectoryIndex changes.
 */
export type Route =
  /** `module`: `script` is a Python module's name (start-server's --application-type module), not a file. */
  | { kind: 'wsgi'; vhost: VirtualHost; script: string; module: boolean; scriptName: string; pathInfo: string; dir: ResolvedDir; context?: AliasContext }
  | { kind: 'static'; vhost: VirtualHost; file: string; uri: string; dir: ResolvedDir }
  /** mod_dir's DirectorySlash: a URL naming a directory without the trailing slash gets a 301 to `path`. */
  | { kind: 'redirect'; vhost: VirtualHost; path: string; file: string; handler: Handler; dir: ResolvedDir }
  /**
   * `afterAccess`: the refusal is Apache's handler's (a file not found, say), so it comes only after
   * the access checks of `dir`: a missing file under a denied Location is a 403.
   */
  | { kind: 'refuse'; vhost: VirtualHost; status: number; message: string; file: string; handler: Handler | null; dir: ResolvedDir; afterAccess: boolean };

/** The longest leading part of `file` that exists: where Apache's directory walk stops, the rest being PATH_INFO. */
function existingPart(file: string): string {
  let found = file;
  while (found !== '/' && fileKind(found) === 'none') found = path.dirname(found);
  return found;
}

/** The handler mod_mime and SetHandler give `file`: SetHandler's, else AddHandler's for each of its extensions in turn (the last found wins). */
function handlerOf(file: string, dir: ResolvedDir): string | null {
  if (dir.setHandler) return dir.setHandler;
  let handler: string | null = null;
  for (const ext of path.basename(file).toLowerCase().split('.').slice(1)) {
    const found = dir.addHandler?.slice().reverse().find(([e]) => e === ext);
    if (found) handler = found[1];
  }
  return handler;
}

/** Runs of slashes were merged before routing, so a prefix match plus a segment boundary is Apache's rule. */
export function matchPrefix(urlPath: string, prefix: string): string | null {
  if (prefix === '/') return urlPath;
  if (!urlPath.startsWith(prefix)) return null;
  const rest = urlPath.slice(prefix.length);
  if (prefix.endsWith('/') || rest === '' || rest.startsWith('/')) return rest;
  return null;
}

function matchAlias(rule: AliasRule, urlPath: string): { target: string; rest: string } | null {
  if (!rule.regex) {
    const rest = matchPrefix(urlPath, rule.pattern);
    return rest === null ? null : { target: rule.target, rest };
  }
  const m = rule.regex.exec(urlPath);
  if (!m) return null;
  const target = rule.target.replace(/\$(\d)/g, (_, n: string) => m[Number(n)] ?? '');
  return { target, rest: urlPath.slice(m.index + m[0].length) };
}

const wildcard = (pattern: string) =>
  new RegExp('^' + pattern.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.') + '$');

function nameMatches(vhost: VirtualHost, host: string): boolean {
  return vhost.serverName === host || vhost.serverAliases.some((alias) => alias === host || (/[*?]/.test(alias) && wildcard(alias).test(host)));
}

/** Whether `file` is the directory `dir` or below it. */
const inDirectory = (file: string, dir: string) => file === dir || file.startsWith(dir.endsWith('/') ? dir : dir + '/');

const SYMLINK_OPTIONS = OPTION.followSymLinks | OPTION.symLinksIfOwnerMatch;

/** Whether a symbolic link at `file` may be followed under `options` (Apache's resolve_symlink). */
function symlinkAllowed(file: string, options: number): boolean {
  try {
    const link = fs.lstatSync(file, { throwIfNoEntry: false });
    if (!link?.isSymbolicLink()) return true;
    if ((options & SYMLINK_OPTIONS) === 0) return false;
    const target = fs.statSync(file, { throwIfNoEntry: false });
    return target !== undefined && ((options & OPTION.symLinksIfOwnerMatch) === 0 || target.uid === link.uid);
  } catch (err) {
    // Past a file (PATH_INFO after a script) there is nothing, so no link; otherwise a loop, or a
    // target tswsgi may not look at: not accessible.
    return (err as NodeJS.ErrnoException).code === 'ENOTDIR';
  }
}

/**
 * The directories an application's code lives in: each WSGI script's, and each process group's
 * home and python-path. A DocumentRoot or Alias that reaches into one must not hand out the code.
 */
function applicationDirectories(config: ServerConfig): string[] {
  const scripts = [config.main, ...config.vhosts].flatMap((v) => v.aliases).filter((a) => a.handler === 'wsgi-script').map((a) => {
    // A regex target's directory is what precedes its first back reference.
    const fixed = a.regex ? a.target.slice(0, a.target.indexOf('$') + 1 || undefined).replace(/[^/]*\$$/, '') : a.target;
    return isDirectory(fixed) ? fixed : path.dirname(fixed);
  });
  const groups = config.processGroups.flatMap((g) => [...(g.home ? [g.home] : []), ...g.pythonPath]);
  return [...new Set([...scripts, ...groups].map((dir) => path.resolve(dir)))].filter((dir) => dir !== '/');
}

const SOURCE_EXTENSIONS = new Set(['.py', '.pyc', '.pyo', '.wsgi']);

/**
 * Why `file` is never served as a static file, or null: `.ht*` files (Debian's `<Files ".ht*">
 * Require all denied`, built in), and under an application's directory, Python code and
 * dot-files (.git, .env), but for RFC 8615's /.well-known/ which certificate renewal needs.
 */
function neverServed(file: string, appDirs: readonly string[]): string | null {
  if (path.basename(file).startsWith('.ht')) return `client denied by server configuration: ${file}`;
  const home = appDirs.find((dir) => inDirectory(file, dir));
  if (home === undefined) return null;
  const below = path.relative(home, file).split(path.sep);
  const hidden = below.some((name) => name.startsWith('.') && name !== '.well-known') || below.includes('__pycache__');
  if (hidden || SOURCE_EXTENSIONS.has(path.extname(file).toLowerCase())) {
    return `client denied: tswsgi does not serve code or dot-files from an application's directory (${home}) as static files: ${file}`;
  }
  return null;
}

/** The directories from / down to `dir`, each once. */
function directoriesDownTo(dir: string): string[] {
  const levels: string[] = [];
  for (let at = dir, above = ''; at !== above; above = at, at = path.dirname(at)) levels.unshift(at);
  return levels;
}

/** Bounds the .htaccess files kept read. */
const MAX_HTACCESS = 1000;

export const isFile = (file: string) => fileKind(file) === 'file';
const isDirectory = (file: string) => fileKind(file) === 'directory';

/** Settings whose scopes add up (SetEnv, AddType, SetEnvIf) rather than replace each other. */
const ADDED_UP = new Set<keyof DirConfig>(['setEnv', 'addType', 'envConditions', 'addHandler', 'addOutputFilter', 'errorDocuments']);
/** Settings merge() combines by rules of their own. */
const MERGED_APART = new Set<keyof DirConfig>(['authz', 'authMerging', 'unsetEnv']);

/** A script's merged settings per vhost, alias options, file and URL: fixed until the config changes (a new Router). */
type MergedDirs = WeakMap<VirtualHost, WeakMap<DirConfig, Map<string, ResolvedDir>>>;
/** Bounds each map of MergedDirs: distinct URLs (PATH_INFO) are unbounded. */
const MAX_MERGED = 1000;

export class Router {
  private readonly merged: MergedDirs = new WeakMap();
  /**
   * Whether any scope's Options could leave FollowSymLinks off or SymLinksIfOwnerMatch on; if
   * none does, paths are not walked at all (Apache skips its lstat calls the same way).
   */
  private readonly symlinksChecked: boolean;
  /** Whether any <Directory> has AllowOverride other than None: only then are .htaccess files looked for. */
  private readonly overridesChecked: boolean;
  /** .htaccess files read, by path: what reading gave, while the file's identity, size and time stay. */
  private readonly htaccessFiles = new Map<string, { stamp: string; read: DirConfig | ConfigError }>();
  private readonly applicationDirectories: string[];
  /** serverConditions() of each vhost, as Apache merges a vhost's server config onto the main server's. */
  private readonly serverConditionsOf = new Map<VirtualHost, readonly EnvCondition[]>();

  constructor(private readonly config: ServerConfig) {
    for (const vhost of config.vhosts) this.serverConditionsOf.set(vhost, [...config.main.envConditions, ...vhost.envConditions]);
    this.applicationDirectories = applicationDirectories(config);
    const settings = [config.main, ...config.vhosts].flatMap((v) => [v.dir, ...v.sections.map((s) => s.config)]);
    this.overridesChecked = settings.some((dir) => (dir.allowOverride?.length ?? 0) > 0);
    this.symlinksChecked = settings.some((dir) => (applyOptions(OPTIONS_DEFAULT, dir.options) & SYMLINK_OPTIONS) !== OPTION.followSymLinks);
  }

  /** Exact addresses beat '*'; among those, the first whose name matches Host; else the first (the default). */
  selectVhost(localAddress: string, localPort: number, host: string | null): VirtualHost {
    const matching = (exact: boolean) => this.config.vhosts.filter((v) => v.addresses.some((a) =>
      (a.port === null || a.port === localPort) && (exact ? a.host !== '*' && sameAddress(a.host, localAddress) : a.host === '*')));
    const candidates = matching(true).length > 0 ? matching(true) : matching(false);
    if (candidates.length === 0) return this.config.main;
    return (host !== null && candidates.find((v) => nameMatches(v, host))) || candidates[0]!;
  }

  /** SetEnvIf and BrowserMatch lines outside sections that apply to `vhost`: the main server's, then its own. */
  serverConditions(vhost: VirtualHost): readonly EnvCondition[] {
    return this.serverConditionsOf.get(vhost) ?? this.config.main.envConditions;
  }

  route(vhost: VirtualHost, urlPath: string): Route {
    const main = this.config.main;
    const aliases = vhost === main ? main.aliases : [...vhost.aliases, ...main.aliases];
    // mod_alias's Alias and ScriptAlias before mod_wsgi's WSGIScriptAlias, whatever the order of the lines.
    for (const wsgi of [false, true]) {
      for (const rule of aliases) {
        if (rule.handler.startsWith('wsgi-') !== wsgi) continue;
        const match = matchAlias(rule, urlPath);
        if (!match) continue;
        // mod_alias's context: the URL part it matched and where that maps to.
        const context = { prefix: urlPath.slice(0, urlPath.length - match.rest.length), documentRoot: match.target };
        if (rule.handler === 'static') return this.staticFile(vhost, urlPath, match.target + match.rest, context);
        if (rule.handler === 'cgi-script') return this.cgiScript(vhost, urlPath, match.target + match.rest);
        if (rule.handler === 'wsgi-script') return this.script(vhost, urlPath, match.target, match.rest, rule.options);
        // A module has no file to look at: its Directory sections are the server's alone.
        const scriptName = urlPath.slice(0, urlPath.length - match.rest.length);
        return { kind: 'wsgi', vhost, script: match.target, module: true, scriptName, pathInfo: match.rest, dir: this.scriptDir(vhost, '/', urlPath, rule.options) };
      }
    }
    if (vhost.documentRoot === '') {
      return { kind: 'refuse', vhost, status: 404, message: `No document root, and no alias for ${urlPath}`, file: '', handler: null, dir: this.merge(vhost, '/', urlPath, {}), afterAccess: true };
    }
    return this.staticFile(vhost, urlPath, vhost.documentRoot + urlPath);
  }

  private script(vhost: VirtualHost, urlPath: string, target: string, rest: string, options: DirConfig): Route {
    let script = target;
    let pathInfo = rest;
    const refuse = (status: number, message: string, file: string, afterAccess = false): Route =>
      ({ kind: 'refuse', vhost, status, message, file, handler: 'wsgi-script', dir: this.merge(vhost, file, urlPath, options), afterAccess });
    if (isDirectory(target)) {
      const segment = /^\/*([^/]+)/.exec(rest);
      // Apache's mod_dir redirects /dir to /dir/ before mod_wsgi refuses the directory (observed: 301).
      if (!segment && !urlPath.endsWith('/')) return this.slashRedirect(vhost, urlPath, target, 'wsgi-script');
      if (!segment) return refuse(403, `Attempt to invoke directory as WSGI application: ${target}`, target);
      script = path.join(target, segment[1]!);
      pathInfo = rest.slice(segment[0].length);
    }
    const link = this.forbiddenLink(vhost, script, fileKind(script) !== 'none');
    if (link) return refuse(403, `Symbolic link not allowed or link target not accessible: ${link}`, script);
    if (isDirectory(script)) return refuse(403, `Attempt to invoke directory as WSGI application: ${script}`, script);
    const broken = this.brokenHtaccess(vhost, script);
    if (broken) return refuse(500, broken, script);
    if (!isFile(script)) return refuse(404, `Target WSGI script not found or unable to stat: ${script}`, script, true);
    const scriptName = urlPath.slice(0, urlPath.length - pathInfo.length);
    return { kind: 'wsgi', vhost, script, module: false, scriptName, pathInfo, dir: this.scriptDir(vhost, script, scriptName + pathInfo, options) };
  }

  /**
   * A URL under ScriptAlias: Apache's directory walk finds the script as the longest existing
   * part of the path (the rest is PATH_INFO) and mod_cgi runs it. tswsgi runs no CGI, and never
   * sends a script as a file: 403 where Apache would run one, mod_cgi's 403 and 404 otherwise.
   */
  private cgiScript(vhost: VirtualHost, urlPath: string, file: string): Route {
    const found = existingPart(file);
    const refuse = (status: number, message: string): Route =>
      ({ kind: 'refuse', vhost, status, message, file: found, handler: 'cgi-script', dir: this.merge(vhost, found, urlPath, {}), afterAccess: true });
    if (isFile(found)) return refuse(403, `tswsgi runs no CGI scripts, and does not send ${found} (under ScriptAlias) as a file`);
    if (found === file && isDirectory(file)) return refuse(403, `attempt to invoke directory as script: ${file}`);
    return refuse(404, `script not found or unable to stat: ${file}`);
  }

  /** merge() for a script, remembered: every request to a WSGI script needs it. */
  private scriptDir(vhost: VirtualHost, script: string, urlPath: string, options: DirConfig): ResolvedDir {
    // .htaccess files may change between requests.
    if (this.overridesChecked) return this.merge(vhost, script, urlPath, options);
    let byOptions = this.merged.get(vhost);
    if (!byOptions) this.merged.set(vhost, (byOptions = new WeakMap()));
    let byPath = byOptions.get(options);
    if (!byPath) byOptions.set(options, (byPath = new Map()));
    const key = `${script}\0${urlPath}`;
    let dir = byPath.get(key);
    if (!dir) {
      if (byPath.size >= MAX_MERGED) byPath.clear();
      dir = this.merge(vhost, script, urlPath, options);
      byPath.set(key, dir);
    }
    return dir;
  }

  private staticFile(vhost: VirtualHost, urlPath: string, file: string, context?: AliasContext): Route {
    let resolved = file;
    let uri = urlPath;
    const refuse = (status: number, message: string, afterAccess = false): Route =>
      ({ kind: 'refuse', vhost, status, message, file: resolved, handler: null, dir: this.merge(vhost, resolved, uri, {}), afterAccess });
    const link = this.forbiddenLink(vhost, resolved, fileKind(resolved) !== 'none');
    if (link) return refuse(403, `Symbolic link not allowed or link target not accessible: ${link}`);
    const broken = this.brokenHtaccess(vhost, resolved);
    if (broken) return refuse(500, broken);
    if (isDirectory(resolved)) {
      if (!urlPath.endsWith('/')) return this.slashRedirect(vhost, urlPath, resolved, 'httpd/unix-directory');
      const dir = this.merge(vhost, resolved, urlPath, {});
      const index = (dir.directoryIndex ?? ['index.html']).find((name) => isFile(path.join(resolved, name)));
      if (!index) return refuse(404, `No DirectoryIndex file in ${resolved}`, true);
      resolved = path.join(resolved, index);
      // mod_dir serves the index as an internal redirect to its URL.
      uri = urlPath + index;
      const indexLink = this.forbiddenLink(vhost, resolved, true);
      if (indexLink) return refuse(403, `Symbolic link not allowed or link target not accessible: ${indexLink}`);
    }
    if (!isFile(resolved)) {
      // Apache's directory walk stops at the first file on the path; a WSGI script there takes the rest as PATH_INFO.
      const found = existingPart(resolved);
      const pathInfo = resolved.slice(found.length);
      if (isFile(found) && handlerOf(found, this.merge(vhost, found, uri.slice(0, uri.length - pathInfo.length), {})) === 'wsgi-script') {
        return this.handledScript(vhost, uri, found, pathInfo, context);
      }
      return refuse(404, `File does not exist: ${resolved}`, true);
    }
    const dir = this.merge(vhost, resolved, urlPath, {});
    if (handlerOf(resolved, dir) === 'wsgi-script') return this.handledScript(vhost, uri, resolved, '', context);
    const denied = neverServed(resolved, this.applicationDirectories);
    if (denied) return refuse(403, denied, true);
    if (this.includesActive(vhost, resolved, dir)) {
      return refuse(403, `tswsgi processes no server-side includes (INCLUDES under Options Includes), and does not send ${resolved} unprocessed`, true);
    }
    return { kind: 'static', vhost, file: resolved, uri, dir };
  }

  /**
   * A file whose handler is wsgi-script (SetHandler or AddHandler), as mod_wsgi runs it: only where
   * Options ExecCGI is on, with SCRIPT_NAME the URL up to the file.
   */
  private handledScript(vhost: VirtualHost, uri: string, script: string, pathInfo: string, context: AliasContext | undefined): Route {
    const scriptName = uri.slice(0, uri.length - pathInfo.length);
    const dir = this.scriptDir(vhost, script, uri, {});
    // mod_wsgi asks ap_allow_options: Options of every scope, <Location> and <Files> too.
    const options = this.sectionLayers(vhost, script, uri).reduce<number>((o, layer) => applyOptions(o, layer.options), OPTIONS_DEFAULT);
    if ((options & OPTION.execCgi) === 0) {
      return { kind: 'refuse', vhost, status: 403, message: `Options ExecCGI is off in this directory: ${script}`, file: script, handler: 'wsgi-script', dir, afterAccess: true };
    }
    return { kind: 'wsgi', vhost, script, module: false, scriptName, pathInfo, dir, context };
  }

  /** Whether mod_include would process `file`: an INCLUDES filter on it, and Options Includes or IncludesNOEXEC where it is. */
  private includesActive(vhost: VirtualHost, file: string, dir: ResolvedDir): boolean {
    const ext = path.extname(file).slice(1).toLowerCase();
    const filters = [...(dir.setOutputFilter ?? []), ...(dir.addOutputFilter ?? []).filter(([e]) => e === ext).flatMap(([, f]) => f)];
    if (!filters.includes('includes')) return false;
    return (this.optionsAt(vhost, path.dirname(file), this.directorySections(vhost)) & OPTION.includes) !== 0;
  }

  private slashRedirect(vhost: VirtualHost, urlPath: string, directory: string, handler: Handler): Route {
    return { kind: 'redirect', vhost, path: urlPath + '/', file: directory, handler, dir: this.merge(vhost, directory, urlPath, {}) };
  }

  /**
   * Apache's directory walk: each component of `file`, from /, is lstat'ed under the Options of
   * the directory that holds it (server, vhost, then <Directory> sections; not the *Match,
   * Files or Location ones), and a symbolic link those Options do not allow gets 403. Under
   * FollowSymLinks alone Apache lstats only when `file` does not exist, so that a dangling
   * link gets 403 too. Returns the first link refused, or null.
   */
  private forbiddenLink(vhost: VirtualHost, file: string, exists: boolean): string | null {
    if (!this.symlinksChecked && exists) return null;
    const directories = this.directorySections(vhost);
    let dir = '/';
    for (const name of file.split('/').filter(Boolean)) {
      const options = this.optionsAt(vhost, dir, directories);
      const next = path.join(dir, name);
      if (((options & SYMLINK_OPTIONS) !== OPTION.followSymLinks || !exists) && !symlinkAllowed(next, options)) return next;
      dir = next;
    }
    return null;
  }

  /** Why a .htaccess file on the way to `target` makes the request a 500 (its file:line and error), or null. */
  private brokenHtaccess(vhost: VirtualHost, target: string): string | null {
    if (!this.overridesChecked) return null;
    const { error } = this.directoryWalk(vhost, target);
    return error ? `${error.file}:${error.line}: ${error.detail}` : null;
  }

  /**
   * Apache's directory walk down to `target` (a file: down to its directory): at each directory from
   * /, the <Directory> sections of that directory, then its .htaccess file where AllowOverride allows
   * any kind. The layers in that order; with a .htaccess that cannot be read, those before it and its error.
   */
  private directoryWalk(vhost: VirtualHost, target: string): { layers: DirConfig[]; error?: ConfigError } {
    const main = this.config.main;
    const base = [main.dir, ...(vhost === main ? [] : [vhost.dir])];
    const covering = this.directorySections(vhost).filter((s) => inDirectory(target, s.pattern));
    if (!this.overridesChecked) return { layers: [...base, ...covering.map((s) => s.config)] };
    const layers = base;
    const placed = new Set<Section>();
    for (const level of directoriesDownTo(isDirectory(target) ? target : path.dirname(target))) {
      for (const section of covering) {
        if (section.pattern !== level) continue;
        layers.push(section.config);
        placed.add(section);
      }
      const allowed = layers.reduce<OverrideKind[]>((kinds, layer) => layer.allowOverride ?? kinds, []);
      if (allowed.length === 0) continue;
      const read = this.readHtaccess(path.join(level, '.htaccess'), allowed);
      if (read === null) continue;
      if (read instanceof ConfigError) return { layers, error: read };
      layers.push(read);
    }
    layers.push(...covering.filter((s) => !placed.has(s)).map((s) => s.config));
    return { layers };
  }

  /** A .htaccess file's settings, read again only when it changed; null when there is none. */
  private readHtaccess(file: string, allowed: readonly OverrideKind[]): DirConfig | ConfigError | null {
    const stat = fs.statSync(file, { throwIfNoEntry: false });
    if (!stat?.isFile()) return null;
    const stamp = `${stat.dev}:${stat.ino}:${stat.size}:${stat.mtimeMs}:${allowed.join(',')}`;
    const known = this.htaccessFiles.get(file);
    if (known?.stamp === stamp) return known.read;
    const read = loadHtaccess(file, allowed, this.config);
    if (this.htaccessFiles.size >= MAX_HTACCESS) this.htaccessFiles.clear();
    this.htaccessFiles.set(file, { stamp, read });
    return read;
  }

  /** The Options in effect in `dir`: the server's, the vhost's, then the <Directory> sections covering it. */
  private optionsAt(vhost: VirtualHost, dir: string, directories: readonly Section[]): number {
    return this.walkLayers(vhost, dir, directories).reduce<number>((o, layer) => applyOptions(o, layer.options), OPTIONS_DEFAULT);
  }

  /**
   * What Apache's directory walk applies at `dir`, least specific first: the server's settings, the
   * vhost's, then each of `directories` (from directorySections) that covers it; no .htaccess file, whose Options
   * tswsgi refuses (the symlink check's walk).
   */
  private walkLayers(vhost: VirtualHost, dir: string, directories: readonly Section[]): DirConfig[] {
    const main = this.config.main;
    return [main.dir, ...(vhost === main ? [] : [vhost.dir]), ...directories.filter((s) => inDirectory(dir, s.pattern)).map((s) => s.config)];
  }

  /** <Directory> sections (not regex ones) of the server and the vhost, the fewest path components first. */
  private directorySections(vhost: VirtualHost): Section[] {
    const main = this.config.main;
    const sections = vhost === main ? main.sections : [...main.sections, ...vhost.sections];
    return sections.filter((s) => s.kind === 'directory').sort((a, b) => a.pattern.split('/').length - b.pattern.split('/').length);
  }

  /** The scopes that apply to `file` at `urlPath`, least specific first: server, vhost, Directory (shortest first), DirectoryMatch, Files, Location. */
  private sectionLayers(vhost: VirtualHost, file: string, urlPath: string): DirConfig[] {
    const main = this.config.main;
    const sections = vhost === main ? main.sections : [...main.sections, ...vhost.sections];
    const dirOf = path.dirname(file);
    const base = path.basename(file);
    const applies = (kinds: string[]) => sections.filter((s) => kinds.includes(s.kind) && (
      s.kind === 'directorymatch' ? s.regex!.test(dirOf + '/') || s.regex!.test(dirOf)
        : s.kind === 'files' ? wildcard(s.pattern).test(base)
          : s.kind === 'filesmatch' ? s.regex!.test(base)
            // <Location /a> covers /a and /a/... but not /ab (Apache's location walk, observed).
            : s.kind === 'location' ? matchPrefix(urlPath, s.pattern) !== null
              : s.regex!.test(urlPath)));
    return [...this.directoryWalk(vhost, file).layers, ...applies(['directorymatch']).map((s) => s.config),
      ...applies(['files', 'filesmatch']).map((s) => s.config), ...applies(['location', 'locationmatch']).map((s) => s.config)];
  }

  /** Server, vhost, Directory (shortest first), DirectoryMatch, Files, Location; alias options last. */
  merge(vhost: VirtualHost, file: string, urlPath: string, options: DirConfig): ResolvedDir {
    const layers = [...this.sectionLayers(vhost, file, urlPath), options];
    const merged: ResolvedDir = { ...DIR_DEFAULTS };
    let authz: MergedAuthz = { section: undefined, op: undefined };
    for (const layer of layers) {
      authz = mergeAuthz(authz, layer);
      // UnsetEnv removes the wider scopes' SetEnv before this scope's own are added, as mod_env merges.
      if (layer.unsetEnv && merged.setEnv) {
        const unset = new Set(layer.unsetEnv.map((name) => name.toLowerCase()));
        merged.setEnv = merged.setEnv.filter(([name]) => !unset.has(name.toLowerCase()));
      }
      for (const [key, value] of Object.entries(layer) as Array<[keyof DirConfig, unknown]>) {
        if (value === undefined || MERGED_APART.has(key)) continue;
        // These add up; every other setting is replaced by the more specific scope.
        if (ADDED_UP.has(key)) (merged[key] as unknown[]) = [...((merged[key] as unknown[]) ?? []), ...(value as unknown[])];
        else (merged as Record<string, unknown>)[key] = value;
      }
    }
    merged.authz = authz.section;
    return merged;
  }
}

function sameAddress(configured: string, local: string): boolean {
  const plain = local.startsWith('::ffff:') ? local.slice(7) : local;
  if (configured === 'localhost') return plain === '127.0.0.1' || plain === '::1';
  return configured === plain;
}
