// What a request is served by once whoever received it has resolved it: the script,
// the split of its URL at the mount point, the groups it runs in and the settings of
// its scope. The Apache front end makes one from its router and vhosts, the library
// handler from its start options; the host needs nothing else about where it came from.

import type { DirConfig, DIR_DEFAULTS } from '../config/model';

/** The directory settings the host applies to a request (the WSGI* directives and LimitRequestBody of its scope). */
export type MountSettings =
  Pick<typeof DIR_DEFAULTS, 'limitRequestBody' | 'chunkedRequest' | 'mapHeadToGet' | 'passAuthorization' | 'scriptReloading'> &
  Pick<DirConfig, 'setEnv' | 'restrictProcess' | 'trustedProxyHeaders' | 'trustedProxies' | 'addDefaultCharset'>;

export interface AliasContext {
  prefix: string;
  documentRoot: string;
}

export interface Mount {
  /** The WSGI script file; with `module`, the Python module's name. */
  script: string;
  /** Imported by name (start-server's --application-type module) rather than run from a file. */
  module: boolean;
  callableObject: string;
  /** Expanded names: '' is %{GLOBAL}. */
  processGroup: string;
  applicationGroup: string;
  /** SCRIPT_NAME and PATH_INFO (decoded, one char per byte) and the raw query string. */
  scriptName: string;
  pathInfo: string;
  query: string;
  documentRoot: string;
  /** CONTEXT_PREFIX and CONTEXT_DOCUMENT_ROOT where an Alias mapped the script (mod_alias's context); else '' and documentRoot. */
  context?: AliasContext;
  /** The ServerName for requests without a Host header, and the port it names (null: none). */
  serverName: string;
  serverPort: number | null;
  /** The address the request came in on, as configured (mod_wsgi.listener_host and _port). */
  listenerHost: string;
  listenerPort: number;
  settings: MountSettings;
}
