// The typed model that every way of configuring tswsgi produces (start-server
// options, Apache config files) and the rest of the server reads.

import type { ReadTimeoutStages } from './request-read-timeout';
import type { DaemonOptions } from './daemon-options';
import type { IpSubnet } from './ip-subnet';
import type { LogLevel } from '../log/error-log';
import type { LogFormat } from './log-format';
import type { ErrorLogFormats } from '../log/error-log-format';
import type { LogTarget } from '../log/log-target';
import type { ModuleRegistry } from './modules';

/** mod_wsgi's name for the server's own pool and for the main interpreter; "" internally. */
export const GLOBAL = '';

/** A script loaded into a process before it takes requests (WSGIImportScript, a preloaded WSGIScriptAlias). */
export interface ImportScriptSetting {
  /** The script file; with `module`, a Python module's dotted name. */
  path: string;
  /** Imported by name (start-server's --application-type module) rather than run from a file. */
  module?: boolean;
  /** "" is the main interpreter (%{GLOBAL}). */
  applicationGroup: string;
}

export interface ProcessGroupConfig {
  /** "" is %{GLOBAL}, the server's own pool; otherwise the WSGIDaemonProcess name. */
  name: string;
  processes: number;
  threads: number;
  /** Python interpreter to run the workers with. */
  python: string;
  /** What chose `python`, for messages: "FILE:LINE: the directive" or the command-line option. */
  pythonSource: string;
  pythonPath: string[];
  home: string | null;
  importScripts: ImportScriptSetting[];
  /** wsgi.multiprocess, which mod_wsgi ties to how the group was declared. */
  multiprocess: boolean;
  /** WSGIDaemonProcess's other options, defaults applied (all defaults for a group no such line declares). */
  options: DaemonOptions;
  /**
   * ServerName of the vhost that declared it, as known so far while reading (mod_wsgi's
   * parse-time checks use that); the final name once the file is read. Null at server level.
   */
  vhostServerName: string | null;
  /** The vhost that declared it; null at server level (usable everywhere). */
  vhost: VirtualHost | null;
  /** Where it was declared, for messages. */
  source: string;
}

export type MapHeadToGet = 'on' | 'off' | 'auto';

/** A Require line's provider, as mod_authz_core and mod_authz_host check it. */
export type AuthzProvider =
  | { name: 'all'; granted: boolean }
  | { name: 'ip'; subnets: IpSubnet[] }
  | { name: 'local' }
  | { name: 'env'; variables: string[] }
  /** Apache's method numbers: HEAD is GET's. */
  | { name: 'method'; methods: string[] };

export interface AuthzRequire {
  kind: 'require';
  provider: AuthzProvider;
  /** Require not ... */
  negate: boolean;
}

/**
 * <RequireAll> (and, not negated), <RequireAny> (or), <RequireNone> (or, negated); a scope's own
 * Require lines are an implicit <RequireAny>, and AuthMerging And/Or joins two scopes' in one.
 */
export interface AuthzSection {
  kind: 'section';
  op: 'and' | 'or';
  negate: boolean;
  children: AuthzNode[];
}

export type AuthzNode = AuthzRequire | AuthzSection;

/** An Allow from or Deny from entry of mod_access_compat. */
export type HostRule =
  | { kind: 'all' }
  | { kind: 'ip'; subnet: IpSubnet }
  /** env=VAR (env=!VAR: negated): whether the request has the variable at access-check time. */
  | { kind: 'env'; variable: string; negated: boolean };

/** mod_access_compat's settings of one scope; the most specific scope with any of them replaces the others. */
export interface AccessCompat {
  order: 'allow,deny' | 'deny,allow' | 'mutual-failure';
  allow: HostRule[];
  deny: HostRule[];
  /** Satisfy; null when not given (Apache's "nospec", which acts as All). */
  satisfy: 'all' | 'any' | null;
}

/** What SetEnvIf and BrowserMatch test, besides request headers and earlier variables. */
export type SpecialAttribute = 'remote_addr' | 'remote_host' | 'server_addr' | 'request_uri' | 'request_method' | 'request_protocol';

/** One SetEnvIf, SetEnvIfNoCase, BrowserMatch or BrowserMatchNoCase line. */
export interface EnvCondition {
  subject:
    | { kind: 'special'; name: SpecialAttribute }
    /** A header, or failing that a variable set earlier. */
    | { kind: 'header'; name: string }
    /** The last header whose name matches. */
    | { kind: 'headers'; regex: RegExp };
  /**
   * A pattern without regex metacharacters is a substring search (mod_setenvif's fast path), and
   * its values are taken literally; a regex's values may hold $0..$9.
   */
  pattern: { kind: 'literal'; text: string; ignoreCase: boolean } | { kind: 'regex'; regex: RegExp };
  /** The variables to set (value) or unset (null), in order. */
  features: Array<[string, string | null]>;
}

/**
 * ErrorDocument's document, by Apache's reading of it: a local URL (an internal redirect), a full
 * URL (a 302 to it), a message sent as the page, or `default`, which restores the canned page.
 */
export type ErrorDocument =
  | { kind: 'local'; path: string }
  | { kind: 'remote'; url: string }
  | { kind: 'text'; text: string }
  | { kind: 'default' };

/** Apache's Options, as bits. Only the two symlink options change what tswsgi does. */
export const OPTION = {
  indexes: 1,
  includes: 2,
  includesWithExec: 4,
  followSymLinks: 8,
  symLinksIfOwnerMatch: 16,
  execCgi: 32,
  multiViews: 64,
} as const;
/** Options All: everything but MultiViews and SymLinksIfOwnerMatch, as in Apache 2.4. */
export const OPTIONS_ALL = OPTION.indexes | OPTION.includes | OPTION.includesWithExec | OPTION.followSymLinks | OPTION.execCgi;
/** Apache 2.4's Options where nothing sets them (FollowSymLinks since 2.3.11). */
export const OPTIONS_DEFAULT = OPTION.followSymLinks;

/**
 * One scope's Options lines, as Apache keeps them: `set` when a line lists options without
 * + or - (it replaces what wider scopes say); otherwise `add` and `remove` adjust it.
 */
export interface OptionsSetting {
  set: number | null;
  add: number;
  remove: number;
}

export function applyOptions(inherited: number, setting: OptionsSetting | undefined): number {
  if (!setting) return inherited;
  return setting.set ?? ((inherited & ~setting.remove) | setting.add);
}

/** AllowOverride's kinds of directives (Apache's OR_AUTHCFG, OR_FILEINFO, ...). */
export type OverrideKind = 'authconfig' | 'fileinfo' | 'indexes' | 'limit' | 'options';

/** Settings that Directory, Location and Files sections, vhosts and the server can each set. */
export interface DirConfig {
  processGroup?: string;
  applicationGroup?: string;
  callableObject?: string;
  passAuthorization?: boolean;
  scriptReloading?: boolean;
  chunkedRequest?: boolean;
  mapHeadToGet?: MapHeadToGet;
  restrictProcess?: string[];
  /** The scope's Require lines and <Require*> sections, as one implicit <RequireAny>. */
  authz?: AuthzSection;
  /** AuthMerging: how `authz` combines with a wider scope's (unset and Off: it replaces it). */
  authMerging?: 'off' | 'and' | 'or';
  /** Order, Allow, Deny and Satisfy. */
  accessCompat?: AccessCompat;
  /** SetEnvIf and BrowserMatch lines of a section (the server's and vhosts' are VirtualHost.envConditions). */
  envConditions?: EnvCondition[];
  /** SetEnv and PassEnv: later pairs of a name win. */
  setEnv?: Array<[string, string]>;
  /** UnsetEnv: names removed from wider scopes' SetEnv and PassEnv (this scope's own are removed when read). */
  unsetEnv?: string[];
  directoryIndex?: string[];
  /** AllowOverride: the kinds of directives .htaccess files in the directories this covers may hold; [] for None. */
  allowOverride?: OverrideKind[];
  /** ErrorDocument lines, in order: the last for a status counts. */
  errorDocuments?: Array<[number, ErrorDocument]>;
  /** AddDefaultCharset: the charset added to text/plain and text/html types that name none; null: Off. */
  addDefaultCharset?: string | null;
  /** AddHandler wsgi-script: the extensions (without dot, lowercase) whose files are WSGI scripts; AddHandler of another handler removes one. */
  addHandler?: Array<[string, string]>;
  /** SetHandler: the handler (lowercase) of everything in the scope; only 'wsgi-script' makes a difference. */
  setHandler?: string;
  /** AddOutputFilter: extension (without dot, lowercase) to its filters (lowercase names). */
  addOutputFilter?: Array<[string, string[]]>;
  /** SetOutputFilter: the filters (lowercase names) of everything the scope serves. */
  setOutputFilter?: string[];
  /** AddType: extension (without dot, lowercase) to content type. */
  addType?: Array<[string, string]>;
  /** LimitRequestBody: bytes a request body may have; 0 means no limit. */
  limitRequestBody?: number;
  /**
   * WSGITrustedProxyHeaders: the headers' CGI names (HTTP_X_FORWARDED_FOR, ...) in the order
   * given, which decides which header wins; an empty list turns off a wider scope's.
   */
  trustedProxyHeaders?: string[];
  /** WSGITrustedProxies: the peers whose proxy headers count; unset trusts every peer, empty none. */
  trustedProxies?: IpSubnet[];
  /** Options; only the server's, vhosts' and <Directory> sections' count (Apache's directory walk). */
  options?: OptionsSetting;
}

export type SectionKind = 'directory' | 'directorymatch' | 'files' | 'filesmatch' | 'location' | 'locationmatch';

export interface Section {
  kind: SectionKind;
  pattern: string;
  /** Set for the *Match kinds and for `~` patterns. */
  regex: RegExp | null;
  config: DirConfig;
}

/**
 * Alias, AliasMatch, ScriptAlias ('cgi-script'), WSGIScriptAlias and WSGIScriptAliasMatch, in declaration
 * order; 'wsgi-module' is start-server's --application-type module, whose target is a Python module's dotted name.
 */
export interface AliasRule {
  handler: 'wsgi-script' | 'wsgi-module' | 'static' | 'cgi-script';
  /** The URL prefix (runs of slashes merged), or the regex source. */
  pattern: string;
  regex: RegExp | null;
  /** File or directory; with a regex, may hold $1..$9. */
  target: string;
  /** The options of WSGIScriptAlias (process-group=, application-group=, ...). */
  options: DirConfig;
  source: string;
}

export interface HostPort {
  /** "*" or an address. */
  host: string;
  /** null for "*" or no port given. */
  port: number | null;
}

/** TraceEnable: whether core answers TRACE itself (extended: also with a request body, echoed). */
export type TraceSetting = 'on' | 'off' | 'extended';

export interface VirtualHost {
  /** Empty for the main server. */
  addresses: HostPort[];
  serverName: string;
  /** Port from ServerName host:port, else the listener's; used by %{SERVER} and %{RESOURCE}. */
  serverPort: number | null;
  serverAliases: string[];
  /** "" (start-server's): none, so that only the mount point and aliases answer, never the working directory. */
  documentRoot: string;
  aliases: AliasRule[];
  dir: DirConfig;
  sections: Section[];
  /**
   * SetEnvIf and BrowserMatch lines outside sections: they run as the request arrives, before it
   * is mapped (a vhost runs the main server's first), where Apache's post-read-request hook runs them.
   */
  envConditions: EnvCondition[];
  /**
   * CustomLog lines of this vhost (the main server's in `main`). A vhost with none logs to the
   * main server's, as mod_log_config does.
   */
  accessLogs: AccessLogConfig[];
  /** A vhost's own ErrorLog (the main server's is ServerConfig.errorLog); undefined: the main server's. */
  errorLog?: LogTarget;
  /** ErrorLogFormat lines of this scope; undefined: the main server's (for `main`: tswsgi's default line). */
  errorLogFormats?: ErrorLogFormats;
  /** RequestReadTimeout's stages set here; one not set is the main server's, else ServerConfig.readTimeoutDefaults. */
  requestReadTimeout: ReadTimeoutStages;
  /** TraceEnable; null: the main server's (and the main server's null: On, Apache's default). */
  traceEnable: TraceSetting | null;
  source: string;
}

export interface ListenAddress {
  host: string;
  port: number;
}

export interface AccessLogConfig {
  target: LogTarget;
  format: LogFormat;
  /** CustomLog's env=NAME (env=!NAME: negated): only requests with (without) that variable are logged. */
  condition: { variable: string; negated: boolean } | null;
}

export interface ServerConfig {
  serverRoot: string;
  listen: ListenAddress[];
  main: VirtualHost;
  vhosts: VirtualHost[];
  processGroups: ProcessGroupConfig[];
  limitRequestLine: number;
  limitRequestFieldSize: number;
  limitRequestFields: number;
  /**
   * MaxRequestWorkers (as the event MPM settles it against ThreadsPerChild and ServerLimit): client
   * connections served at once; more wait unread until one ends. null: no limit but open files.
   */
  maxRequestWorkers: number | null;
  /** RequestReadTimeout's stages where no RequestReadTimeout sets them: mod_reqtimeout's defaults when it is loaded. */
  readTimeoutDefaults: Required<ReadTimeoutStages>;
  keepAlive: boolean;
  keepAliveTimeout: number;
  maxKeepAliveRequests: number;
  /** Apache's Timeout: seconds to wait for a client. */
  timeout: number;
  /** Seconds SIGTERM waits for in-flight requests before stopping anyway. */
  shutdownTimeout: number;
  /** WSGIRestrictEmbedded: requests may not run in the %{GLOBAL} pool. */
  restrictEmbedded: boolean;
  /**
   * TswsgiApplicationGroups: how application groups other than %{GLOBAL} run. "auto" uses
   * sub-interpreters (as mod_wsgi) where the group's Python has them, else processes of their own.
   */
  applicationGroups: 'auto' | 'sub-interpreters' | 'processes';
  /** User and Group: who the worker processes run as when tswsgi starts as root (unless user= says otherwise). */
  user: string | null;
  group: string | null;
  pidFile: string | null;
  /** WSGIPythonOptimize: Python's -O level for every worker. */
  pythonOptimize: number;
  logLevel: LogLevel;
  /** null: stderr. */
  errorLog: LogTarget | null;
  serverTokens: string;
  /**
   * Where the worker sockets and the control socket live: DefaultRuntimeDir's or WSGISocketPrefix's
   * directory; null: a fresh one that the server makes at start in the temp dir.
   */
  runtimeDir: string | null;
  /** TswsgiMaximumRequestsJitter: up to this many requests more than maximum-requests, drawn per process. */
  maximumRequestsJitter: number;
  /** Content types by extension (from TypesConfig), for static files. */
  mimeTypes: ReadonlyMap<string, string>;
  /** What reading a .htaccess file takes from reading the config: its Define'd names, loaded modules and environment. */
  htaccessReading: { defines: ReadonlyMap<string, string>; modules: ModuleRegistry; env: NodeJS.ProcessEnv };
}

/** Per-directory defaults, as mod_wsgi and Apache have them when nothing is set. */
export const DIR_DEFAULTS: Required<Pick<DirConfig,
  'processGroup' | 'applicationGroup' | 'callableObject' | 'passAuthorization' | 'scriptReloading' | 'chunkedRequest' | 'mapHeadToGet' |
  'limitRequestBody'>> = {
  processGroup: GLOBAL,
  applicationGroup: '%{RESOURCE}',
  callableObject: 'application',
  passAuthorization: false,
  scriptReloading: true,
  chunkedRequest: false,
  mapHeadToGet: 'off',
  limitRequestBody: 1024 * 1024 * 1024,
};
