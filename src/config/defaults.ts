// Apache's core defaults, which mod_wsgi users' clients already live with, and where
// tswsgi keeps its sockets when the config does not say.

import * as os from 'node:os';
import * as path from 'node:path';

/** The runtime directory of the server with this pid, unless DefaultRuntimeDir or WSGISocketPrefix names one. */
export function defaultRuntimeDir(pid: number): string {
  return path.join(os.tmpdir(), `tswsgi-${pid}`);
}

export const APACHE_DEFAULTS = {
  limitRequestLine: 8190,
  limitRequestFieldSize: 8190,
  limitRequestFields: 100,
  keepAliveTimeout: 5,
} as const;
