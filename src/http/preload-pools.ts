// Which (process group, application group) pairs the mounts of a config resolve
// to, worked out before any request, so that their processes start and preload
// with the server rather than on a user's first request; and which WSGI scripts
// are loaded there at start, so that WSGIScriptReloading watches them from then on.

import type { ServerConfig, VirtualHost } from '../config/model';
import type { PoolPlan, PreloadedScript } from '../host/wsgi-host';
import { expandGroupName } from './group-names';
import { isFile, Router } from './router';

/** The pools a config's mounts need, and the preloaded scripts WSGIScriptReloading applies to (a change before their first request is a change too). */
export function preloadPlan(config: ServerConfig): PoolPlan {
  const router = new Router(config);
  const pairs = new Map<string, [string, string]>();
  const watched: PreloadedScript[] = [];
  const port = config.listen[0]?.port ?? 80;
  const hosts: VirtualHost[] = [config.main, ...config.vhosts];
  for (const vhost of hosts) {
    // A vhost also serves the main server's aliases.
    const aliases = vhost === config.main ? vhost.aliases : [...vhost.aliases, ...config.main.aliases];
    for (const alias of aliases) {
      // Regex mounts and directories of scripts name their scripts only per request.
      if (alias.handler !== 'wsgi-script' || alias.regex || !isFile(alias.target)) continue;
      const scriptName = alias.pattern === '/' ? '' : alias.pattern.replace(/\/$/, '');
      const dir = router.merge(vhost, alias.target, scriptName || '/', alias.options);
      // %{HOST} depends on each request's Host header.
      if (dir.processGroup === '%{HOST}' || dir.applicationGroup === '%{HOST}') continue;
      const facts = { serverName: vhost.serverName, port: vhost.serverPort ?? port, scriptName, hostHeader: undefined, setEnv: dir.setEnv ?? [] };
      const processGroup = expandGroupName(dir.processGroup, facts);
      const applicationGroup = expandGroupName(dir.applicationGroup, facts);
      // Listen port 0: the port is known only once bound, so a name made with it (%{SERVER},
      // %{RESOURCE}) would be one no request uses; such groups start on their first request.
      if (facts.port === 0 && [dir.processGroup, dir.applicationGroup].some((v) => expandGroupName(v, { ...facts, port: 1 }) !== expandGroupName(v, facts))) continue;
      if (processGroup.includes('%{') || applicationGroup.includes('%{')) continue;
      if (processGroup === '' && config.restrictEmbedded) continue;
      pairs.set(`${processGroup}\0${applicationGroup}`, [processGroup, applicationGroup]);
      const group = config.processGroups.find((g) => g.name === processGroup);
      const loaded = group?.importScripts.some((s) => s.path === alias.target && s.applicationGroup === applicationGroup);
      if (dir.scriptReloading && loaded) watched.push({ script: alias.target, processGroup, applicationGroup });
    }
  }
  return { pools: [...pairs.values()], watched };
}
