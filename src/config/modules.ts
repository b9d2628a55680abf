// Apache modules tswsgi knows by name: which it implements (their directives work
// and LoadModule marks them loaded) and which are built into Debian's apache2.

export interface ModuleInfo {
  /** Identifier used by LoadModule and <IfModule>, e.g. wsgi_module. */
  name: string;
  /** Source file name, the other form <IfModule> accepts, e.g. mod_wsgi.c. */
  source: string;
  /** Compiled into Debian's apache2: always loaded, and LoadModule of it is an error. */
  builtIn: boolean;
}

const module = (name: string, source: string, builtIn = false): ModuleInfo => ({ name, source, builtIn });

/** Modules whose directives tswsgi implements (the ones a mod_wsgi config uses). */
export const IMPLEMENTED_MODULES: readonly ModuleInfo[] = [
  module('core_module', 'core.c', true),
  module('so_module', 'mod_so.c', true),
  module('http_module', 'http_core.c', true),
  module('log_config_module', 'mod_log_config.c', true),
  module('logio_module', 'mod_logio.c', true),
  module('version_module', 'mod_version.c', true),
  module('unixd_module', 'mod_unixd.c', true),
  module('watchdog_module', 'mod_watchdog.c', true),
  module('mpm_event_module', 'event.c'),
  module('mpm_worker_module', 'worker.c'),
  module('mpm_prefork_module', 'prefork.c'),
  module('authz_core_module', 'mod_authz_core.c'),
  module('authz_host_module', 'mod_authz_host.c'),
  module('alias_module', 'mod_alias.c'),
  module('mime_module', 'mod_mime.c'),
  module('env_module', 'mod_env.c'),
  module('setenvif_module', 'mod_setenvif.c'),
  module('dir_module', 'mod_dir.c'),
  module('wsgi_module', 'mod_wsgi.c'),
];

export function moduleByName(name: string): ModuleInfo | undefined {
  return IMPLEMENTED_MODULES.find((m) => m.name === name || m.source === name);
}

export interface ModuleRegistry {
  /** Names given to LoadModule so far, implemented or not. */
  loaded: Set<string>;
}

export function newModuleRegistry(): ModuleRegistry {
  return { loaded: new Set() };
}

/**
 * <IfModule NAME>: true for built-in modules and for implemented ones that were
 * LoadModule'd. A module tswsgi does not implement never counts as loaded, so its
 * directives inside <IfModule> are skipped, as Apache skips them when it is absent.
 */
export function isModuleLoaded(registry: ModuleRegistry, name: string): boolean {
  const info = moduleByName(name);
  if (!info) return false;
  return info.builtIn || registry.loaded.has(info.name);
}
