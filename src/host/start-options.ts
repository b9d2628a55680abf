// The library's start options: start-server's, as camelCase fields, made into the
// config through the same function `tswsgi start-server` uses.

import type { ServerConfig } from '../config/model';
import { OptionError, START_SERVER_DEFAULTS, startServerConfig } from '../config/start-server';

/** What the host serves: a WSGI script file, or a callable of a module imported by name. */
export type WsgiHostEntry =
  /** The WSGI script file, relative to workingDirectory. */
  | { script: string; callable?: never }
  /** 'MODULE:CALLABLE' or 'MODULE' (the callable then is callableObject), such as 'mysite.wsgi:application', imported from workingDirectory or pythonPath. */
  | { callable: string; script?: never };

export type WsgiHostOptions = WsgiHostEntry & {
  /** The name of the WSGI callable in the script or module (default: application). */
  callableObject?: string;
  /** Worker processes (default 1) and request threads in each (default 5). */
  processes?: number;
  threads?: number;
  /** SCRIPT_NAME for requests that reach `handler` unmounted (default '/'); under Express or Connect, their mount prefix is. */
  mountPoint?: string;
  /** The application group (interpreter) the script and import scripts run in (default %{GLOBAL}, the main one). */
  applicationGroup?: string;
  /** The interpreter (default: TSWSGI_PYTHON, else python3). */
  python?: string;
  /** Directories put on sys.path, relative to workingDirectory. */
  pythonPath?: string[];
  /** The directory the workers run in (default: the current one). */
  workingDirectory?: string;
  /** Scripts every process loads before it takes requests, relative to workingDirectory. */
  importScripts?: string[];
  /** The largest request body accepted, in bytes (0: no limit). */
  limitRequestBody?: number;
  /** Error log level: emerg, alert, crit, error, warn, notice, info (default), debug. */
  logLevel?: string;
  /** Seconds close() waits for in-flight requests before the workers are stopped. */
  shutdownTimeout?: number;
  /** Where error log lines go (default: stderr). */
  errorLog?: (line: string) => void;
};

export function hostConfig(options: WsgiHostOptions): ServerConfig {
  const python = options.python ?? process.env.TSWSGI_PYTHON;
  const d = START_SERVER_DEFAULTS;
  const module = typeof options.callable === 'string';
  if (module === (typeof options.script === 'string')) throw new OptionError('give one of script (a WSGI script file) and callable (\'module:app\')');
  return startServerConfig(module ? options.callable! : options.script!, {
    applicationType: module ? 'module' : 'script',
    // No listener: the host's user owns those.
    host: d.host,
    port: 0,
    accessLog: false,
    processes: options.processes ?? d.processes,
    threads: options.threads ?? d.threads,
    mountPoint: options.mountPoint ?? d.mountPoint,
    callableObject: options.callableObject ?? d.callableObject,
    applicationGroup: options.applicationGroup ?? d.applicationGroup,
    python: python ?? d.python,
    pythonSource: options.python ? `the python option (${python})`
      : python ? `TSWSGI_PYTHON=${python}` : `the default interpreter, ${d.python} (the python option or TSWSGI_PYTHON choose another)`,
    pythonPath: options.pythonPath ?? [],
    workingDirectory: options.workingDirectory,
    importScript: options.importScripts ?? [],
    limitRequestBody: options.limitRequestBody ?? d.limitRequestBody,
    logLevel: options.logLevel ?? d.logLevel,
    shutdownTimeout: options.shutdownTimeout ?? d.shutdownTimeout,
  });
}
