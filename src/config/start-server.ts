// `tswsgi start-server SCRIPT`: one WSGI script, no config file. The options make
// the same model a config file does, as mod_wsgi-express generates an httpd.conf.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { DIR_DEFAULTS, GLOBAL, type ServerConfig } from './model';
import { APACHE_DEFAULTS } from './defaults';
import { defaultDaemonOptions } from './daemon-options';
import { DEFAULT_LOG_FORMATS } from './directives';
import { newVirtualHost } from './load';
import { defaultStages } from './request-read-timeout';
import { parseLogLevel } from '../log/error-log';
import { newModuleRegistry } from './modules';

export type ApplicationType = 'script' | 'module';

export interface StartServerOptions {
  /** What the entry point names: a WSGI script file, or a Python module (MODULE[:CALLABLE]) imported by name. */
  applicationType: ApplicationType;
  host: string;
  port: number;
  processes: number;
  threads: number;
  mountPoint: string;
  callableObject: string;
  applicationGroup: string;
  python: string;
  /** What chose `python` (the option, the environment variable or the default), for messages. */
  pythonSource: string;
  pythonPath: string[];
  workingDirectory?: string;
  importScript: string[];
  limitRequestBody: number;
  logLevel: string;
  accessLog: boolean;
  shutdownTimeout: number;
}

/** start-server's defaults, for the command's options and the library's alike. */
export const START_SERVER_DEFAULTS = {
  applicationType: 'script',
  host: 'localhost',
  port: 8000,
  processes: 1,
  threads: 5,
  mountPoint: '/',
  callableObject: 'application',
  applicationGroup: '%{GLOBAL}',
  python: 'python3',
  limitRequestBody: DIR_DEFAULTS.limitRequestBody,
  logLevel: 'info',
  accessLog: false,
  shutdownTimeout: 30,
} as const satisfies Omit<StartServerOptions, 'pythonSource' | 'workingDirectory' | 'pythonPath' | 'importScript'>;

export class OptionError extends Error {}

function normalizeMountPoint(mountPoint: string): string {
  if (!mountPoint.startsWith('/')) throw new OptionError(`--mount-point must start with '/': '${mountPoint}'`);
  const trimmed = mountPoint.replace(/\/+/g, '/').replace(/\/$/, '');
  return trimmed === '' ? '/' : trimmed;
}

const MODULE_NAME = /^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$/;

/** What an entry point names: a script file's absolute path, or a module and, if given, its callable. */
function entryPoint(entry: string, type: ApplicationType, workingDirectory: string): { target: string; callable: string | null } {
  if (type === 'script') {
    const scriptPath = path.resolve(workingDirectory, entry);
    if (!fs.existsSync(scriptPath)) throw new OptionError(`WSGI script '${scriptPath}' does not exist`);
    return { target: scriptPath, callable: null };
  }
  if (type !== 'module') throw new OptionError(`--application-type must be script or module, got '${type}'`);
  const [module, callable, ...extra] = entry.split(':');
  if (!MODULE_NAME.test(module!) || extra.length > 0 || (callable !== undefined && !/^[A-Za-z_]\w*$/.test(callable))) {
    throw new OptionError(`a module entry point is MODULE[:CALLABLE], such as mysite.wsgi:application; got '${entry}'`);
  }
  return { target: module!, callable: callable ?? null };
}

export function startServerConfig(entry: string, options: StartServerOptions): ServerConfig {
  const workingDirectory = path.resolve(options.workingDirectory ?? process.cwd());
  if (!fs.statSync(workingDirectory, { throwIfNoEntry: false })?.isDirectory()) throw new OptionError(`--working-directory '${workingDirectory}' is not a directory`);
  const { target, callable } = entryPoint(entry, options.applicationType, workingDirectory);
  const module = options.applicationType === 'module';
  for (const [name, value] of [['--processes', options.processes], ['--threads', options.threads]] as const) {
    if (!Number.isInteger(value) || value < 1) throw new OptionError(`${name} must be a whole number of at least 1, got ${value}`);
  }
  // As mod_wsgi-express: the main interpreter unless asked otherwise.
  const applicationGroup = options.applicationGroup === '%{GLOBAL}' ? GLOBAL : options.applicationGroup;
  const main = newVirtualHost('start-server');
  main.serverName = options.host;
  // As mod_wsgi-express's empty htdocs: outside the mount point nothing is served, least of all
  // the working directory (a project's settings, database and .git).
  main.documentRoot = '';
  // As mod_wsgi-express: chunked request bodies accepted.
  main.dir.chunkedRequest = true;
  main.dir.limitRequestBody = options.limitRequestBody;
  if (options.accessLog) main.accessLogs.push({ target: { kind: 'stdout' }, format: DEFAULT_LOG_FORMATS.get('combined')!, condition: null });
  main.aliases.push({
    handler: module ? 'wsgi-module' : 'wsgi-script',
    pattern: normalizeMountPoint(options.mountPoint),
    regex: null,
    target,
    options: { processGroup: GLOBAL, applicationGroup, callableObject: callable ?? options.callableObject },
    source: 'start-server',
  });
  return {
    serverRoot: workingDirectory,
    htaccessReading: { defines: new Map(), modules: newModuleRegistry(), env: process.env },
    listen: [{ host: options.host, port: options.port }],
    main,
    vhosts: [],
    processGroups: [{
      name: GLOBAL,
      processes: options.processes,
      threads: options.threads,
      python: options.python,
      pythonSource: options.pythonSource,
      pythonPath: options.pythonPath.map((dir) => path.resolve(workingDirectory, dir)),
      home: workingDirectory,
      // The script (or module) itself is preloaded too, as mod_wsgi-express does, so no request waits for its import.
      importScripts: [
        ...options.importScript.map((p) => ({ path: path.resolve(workingDirectory, p), applicationGroup })),
        module ? { path: target, applicationGroup, module } : { path: target, applicationGroup },
      ],
      multiprocess: options.processes > 1,
      options: { ...defaultDaemonOptions(), shutdownTimeoutSeconds: options.shutdownTimeout },
      vhostServerName: null,
      vhost: null,
      source: 'start-server',
    }],
    limitRequestLine: APACHE_DEFAULTS.limitRequestLine,
    limitRequestFieldSize: APACHE_DEFAULTS.limitRequestFieldSize,
    limitRequestFields: APACHE_DEFAULTS.limitRequestFields,
    maxRequestWorkers: null,
    // mod_wsgi-express loads mod_reqtimeout (with its own, similar, values).
    readTimeoutDefaults: defaultStages(true),
    keepAlive: true,
    keepAliveTimeout: APACHE_DEFAULTS.keepAliveTimeout,
    maxKeepAliveRequests: 0,
    timeout: 60,
    shutdownTimeout: options.shutdownTimeout,
    restrictEmbedded: false,
    applicationGroups: 'auto',
    user: null,
    group: null,
    pidFile: null,
    pythonOptimize: 0,
    logLevel: parseLogLevel(options.logLevel),
    errorLog: null,
    serverTokens: 'Full',
    runtimeDir: null,
    maximumRequestsJitter: 0,
    mimeTypes: new Map(),
  };
}
