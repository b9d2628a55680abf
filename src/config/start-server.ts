// `tswsgi start-server SCRIPT`: one WSGI script, no config file. The options make
// the same model a config file does, as mod_wsgi-express generates an httpd.conf.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { GLOBAL, type ServerConfig } from './model';
import { parseLogLevel } from '../log/error-log';

export interface StartServerOptions {
  host: string;
  port: number;
  processes: number;
  threads: number;
  mountPoint: string;
  callableObject: string;
  python: string;
  pythonPath: string[];
  workingDirectory?: string;
  importScript: string[];
  limitRequestBody: number;
  logLevel: string;
  accessLog: boolean;
  shutdownTimeout: number;
}

export class OptionError extends Error {}

/** Apache's core defaults, which mod_wsgi users' clients already live with. */
export const APACHE_DEFAULTS = {
  limitRequestBody: 1024 * 1024 * 1024,
  limitRequestLine: 8190,
  limitRequestFieldSize: 8190,
  limitRequestFields: 100,
  keepAliveTimeout: 5,
} as const;

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
  const applicationGroup = GLOBAL;
  return {
    listen: [{ host: options.host, port: options.port }],
    serverName: options.host,
    documentRoot: workingDirectory,
    mounts: [{
      mountPoint: normalizeMountPoint(options.mountPoint),
      script: scriptPath,
      processGroup: GLOBAL,
      applicationGroup,
      callableObject: options.callableObject,
      passAuthorization: false,
    }],
    processGroups: [{
      name: GLOBAL,
      processes: options.processes,
      threads: options.threads,
      python: options.python,
      pythonPath: options.pythonPath.map((dir) => path.resolve(workingDirectory, dir)),
      home: workingDirectory,
      // The script itself is preloaded too, as mod_wsgi-express does, so no request waits for its import.
      importScripts: [
        ...options.importScript.map((p) => ({ path: path.resolve(workingDirectory, p), applicationGroup })),
        { path: scriptPath, applicationGroup },
      ],
      multiprocess: options.processes > 1,
      startupTimeout: 0,
      shutdownTimeout: options.shutdownTimeout,
    }],
    limitRequestBody: options.limitRequestBody,
    limitRequestLine: APACHE_DEFAULTS.limitRequestLine,
    limitRequestFieldSize: APACHE_DEFAULTS.limitRequestFieldSize,
    limitRequestFields: APACHE_DEFAULTS.limitRequestFields,
    chunkedRequest: true,
    scriptReloading: true,
    keepAliveTimeout: APACHE_DEFAULTS.keepAliveTimeout,
    shutdownTimeout: options.shutdownTimeout,
    logLevel: parseLogLevel(options.logLevel),
    accessLog: options.accessLog,
    runtimeDir: path.join(os.tmpdir(), `tswsgi-${process.pid}`),
  };
}
