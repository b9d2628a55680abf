// The one mount of a host started as a library (WsgiHost.start): script, groups and
// settings from the start-server config, and per request the URL split at the mount
// point, or at the prefix an Express or Connect app mounted the handler under.

import type * as http from 'node:http';
import { DIR_DEFAULTS, type ServerConfig } from '../config/model';
import { plainAddress } from './environ';
import type { Mount } from './mount';
import type { PoolPlan } from './wsgi-host';
import { parseTarget, splitAtMount, TargetError } from './request-target';

/** Express and Connect set these on a request they pass to a handler mounted under a prefix. */
interface MountedRequest extends http.IncomingMessage {
  baseUrl?: string;
  originalUrl?: string;
}

/** The request's Mount, or why it has none. */
export type Resolution = { mount: Mount } | { status: number; message: string };

type FixedPart = Omit<Mount, 'scriptName' | 'pathInfo' | 'query' | 'listenerHost' | 'listenerPort'>;

export class OwnMount {
  private readonly fixed: FixedPart;
  private readonly mountPoint: string;

  constructor(config: ServerConfig) {
    const alias = config.main.aliases[0]!;
    const dir = { ...DIR_DEFAULTS, ...config.main.dir, ...alias.options };
    this.mountPoint = alias.pattern;
    this.fixed = {
      script: alias.target,
      module: alias.handler === 'wsgi-module',
      callableObject: dir.callableObject,
      processGroup: dir.processGroup,
      applicationGroup: dir.applicationGroup,
      documentRoot: config.main.documentRoot,
      serverName: config.main.serverName,
      serverPort: null,
      settings: dir,
    };
  }

  /** Its pool starts with the host; a script, preloaded there, is watched from then on (WSGIScriptReloading); a module is not. */
  plan(): PoolPlan {
    const { script, module, processGroup, applicationGroup, settings } = this.fixed;
    return { pools: [[processGroup, applicationGroup]], watched: settings.scriptReloading && !module ? [{ script, processGroup, applicationGroup }] : [] };
  }

  resolve(req: MountedRequest): Resolution {
    let split;
    let query;
    try {
      const target = parseTarget(req.originalUrl ?? req.url ?? '/');
      query = target.query;
      // Mounted by Express or Connect: SCRIPT_NAME is the prefix it matched, whatever the mount point.
      const mountPoint = req.baseUrl ? parseTarget(req.baseUrl).path : req.baseUrl === '' ? '/' : this.mountPoint;
      split = splitAtMount(target.path, mountPoint);
    } catch (err) {
      if (err instanceof TargetError) return { status: err.status, message: err.message };
      throw err;
    }
    if (!split) return { status: 404, message: `not under the mount point ${this.mountPoint}` };
    return {
      mount: {
        ...this.fixed,
        ...split,
        query,
        listenerHost: plainAddress(req.socket.localAddress),
        listenerPort: req.socket.localPort ?? 0,
      },
    };
  }
}
