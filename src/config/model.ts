// The typed model every way of configuring tswsgi produces (start-server options
// now, Apache config files later) and the rest of the server reads.

import type { ImportScriptSetting } from '../process/worker-settings';
import type { LogLevel } from '../log/error-log';

/** mod_wsgi's name for the server's own pool and for the main interpreter; "" internally. */
export const GLOBAL = '';

export interface ProcessGroupConfig {
  /** "" is %{GLOBAL}, the server's own pool; otherwise the WSGIDaemonProcess name. */
  name: string;
  processes: number;
  threads: number;
  /** Python interpreter to run the workers with. */
  python: string;
  pythonPath: string[];
  home: string | null;
  importScripts: ImportScriptSetting[];
  /** wsgi.multiprocess, which mod_wsgi ties to how the group was declared. */
  multiprocess: boolean;
  /** Seconds a starting process may take to report ready. */
  startupTimeout: number;
  /** Seconds a stopping process may take before it is killed. */
  shutdownTimeout: number;
}

export interface MountConfig {
  /** URL prefix, "/" or "/app" (no trailing slash except the root). */
  mountPoint: string;
  /** Absolute path of the WSGI script file. */
  script: string;
  processGroup: string;
  applicationGroup: string;
  callableObject: string;
  /** WSGIPassAuthorization: pass the Authorization header to the application. */
  passAuthorization: boolean;
}

export interface ListenAddress {
  host: string;
  port: number;
}

export interface ServerConfig {
  listen: ListenAddress[];
  serverName: string;
  documentRoot: string;
  mounts: MountConfig[];
  processGroups: ProcessGroupConfig[];
  /** Bytes; 0 means no limit (Apache's LimitRequestBody). */
  limitRequestBody: number;
  limitRequestLine: number;
  limitRequestFieldSize: number;
  limitRequestFields: number;
  /** mod_wsgi's WSGIChunkedRequest: accept Transfer-Encoding: chunked request bodies. */
  chunkedRequest: boolean;
  scriptReloading: boolean;
  keepAliveTimeout: number;
  /** Seconds SIGTERM waits for in-flight requests before stopping anyway. */
  shutdownTimeout: number;
  logLevel: LogLevel;
  accessLog: boolean;
  /** Where worker sockets live. */
  runtimeDir: string;
}
