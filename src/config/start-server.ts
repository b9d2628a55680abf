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

export interface StartServerOptions {
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

export function startServerConfig(script: string, options: StartServerOptions): ServerConfig {
  const workingDirectory = path.resolve(options.workingDirectory ?? process.cwd());
  const scriptPath = path.resolve(workingDirectory, script);
  if (!fs.existsSync(scriptPath)) throw new OptionError(`WSGI script '${scriptPath}' does not exist`);
  if (!fs.statSync(workingDirectory).isDirectory()) throw new OptionError(`--working-directory '${workingDirectory}' is not a directory`);
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
  if (options.accessLog) main.accessLogs.push({ target: '-', format: DEFAULT_LOG_FORMATS.get('combined')!, condition: null });
  main.aliases.push({
    handler: 'wsgi-script',
    pattern: normalizeMountPoint(options.mountPoint),
    regex: null,
    target: scriptPath,
    options: { processGroup: GLOBAL, applicationGroup, callableObject: options.callableObject },
    source: 'start-server',
  });
  return {
    serverRoot: workingDirectory,
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
      // The script itself is preloaded too, as mod_wsgi-express does, so no request waits for its import.
      importScripts: [
        ...options.importScript.map((p) => ({ path: path.resolve(workingDirectory, p), applicationGroup })),
        { path: scriptPath, applicationGroup },
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
