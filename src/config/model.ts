// The typed model that every way of configuring tswsgi produces (start-server
// options, Apache config files) and the rest of the server reads.

import type { ReadTimeoutStages } from './request-read-timeout';
import type { DaemonOptions } from './daemon-options';
import type { IpSubnet } from './trusted-proxies';
import type { LogLevel } from '../log/error-log';
import type { LogFormat } from './log-format';

/** mod_wsgi's name for the server's own pool and for the main interpreter; "" internally. */
export const GLOBAL = '';

/** A script loaded into a process before it takes requests (WSGIImportScript, a preloaded WSGIScriptAlias). */
export interface ImportScriptSetting {
  path: string;
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

export type AccessRule =
  | { kind: 'all'; granted: boolean }
  | { kind: 'ip'; networks: string[] };

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
  /** Require lines of one section: the request is allowed when any of them allows it. */
  require?: AccessRule[];
  setEnv?: Array<[string, string]>;
  directoryIndex?: string[];
  /** AllowOverride other than None: Apache would read .htaccess files in the directories this covers. */
  allowOverride?: boolean;
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

/** Alias, AliasMatch, WSGIScriptAlias and WSGIScriptAliasMatch, in declaration order. */
export interface AliasRule {
  handler: 'wsgi-script' | 'static';
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
   * CustomLog lines of this vhost (the main server's in `main`). A vhost with none logs to the
   * main server's, as mod_log_config does.
   */
  accessLogs: AccessLogConfig[];
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
  /** A file path, or "-" for stdout. */
  target: string;
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
  errorLog: string | null;
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
