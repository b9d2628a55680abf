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

// Not `module`: in the CommonJS output that name is the wrapper's own parameter.
const info = (name: string, source: string, builtIn = false): ModuleInfo => ({ name, source, builtIn });

/** Modules whose directives tswsgi implements (the ones a mod_wsgi config uses). */
export const IMPLEMENTED_MODULES: readonly ModuleInfo[] = [
  info('core_module', 'core.c', true),
  info('so_module', 'mod_so.c', true),
  info('http_module', 'http_core.c', true),
  info('log_config_module', 'mod_log_config.c', true),
  info('logio_module', 'mod_logio.c', true),
  info('version_module', 'mod_version.c', true),
  info('unixd_module', 'mod_unixd.c', true),
  info('watchdog_module', 'mod_watchdog.c', true),
  // tswsgi's own directives; Apache, lacking it, skips them inside <IfModule tswsgi_module>.
  info('tswsgi_module', 'tswsgi.c', true),
  info('mpm_event_module', 'event.c'),
  info('mpm_worker_module', 'worker.c'),
  info('mpm_prefork_module', 'prefork.c'),
  info('authz_core_module', 'mod_authz_core.c'),
  info('authz_host_module', 'mod_authz_host.c'),
  info('alias_module', 'mod_alias.c'),
  info('mime_module', 'mod_mime.c'),
  info('env_module', 'mod_env.c'),
  info('setenvif_module', 'mod_setenvif.c'),
  info('dir_module', 'mod_dir.c'),
  info('wsgi_module', 'mod_wsgi.c'),
];

export function moduleByName(name: string): ModuleInfo | undefined {
  return IMPLEMENTED_MODULES.find((m) => m.name === name || m.source === name);
}

export interface ModuleRegistry {
  /** Names given to LoadModule so far, implemented or not. */
  loaded: Set<string>;
  /**
   * False until the first LoadModule: a config written for tswsgi alone needs no LoadModule
   * lines, and then every implemented module counts as loaded. One written for Apache lists its
   * modules, and from then on only those count, as in Apache.
   */
  explicit: boolean;
}

export function newModuleRegistry(): ModuleRegistry {
  return { loaded: new Set(), explicit: false };
}

/**
 * <IfModule NAME>, and whether a module's directives may be used: true for built-in
 * modules and for implemented ones that were LoadModule'd (or all, before any LoadModule). A module tswsgi does not implement never counts as loaded, so its
 * directives inside <IfModule> are skipped, as Apache skips them when it is absent.
 */
export function isModuleLoaded(registry: ModuleRegistry, name: string): boolean {
  const info = moduleByName(name);
  if (!info) return false;
  return info.builtIn || !registry.explicit || registry.loaded.has(info.name);
}
