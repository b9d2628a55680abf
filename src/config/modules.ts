// Apache modules tswsgi knows by name: which it implements (their directives work),
// which are built into Debian's apache2, and every other module Debian's apache2
// ships (module-rules.ts says what becomes of their directives).

import { MODULE_RULES } from './module-rules';

export interface ModuleInfo {
  /** Identifier used by LoadModule and <IfModule>, e.g. wsgi_module. */
  name: string;
  /** Source file name, the other form <IfModule> accepts, e.g. mod_wsgi.c. */
  source: string;
  /** Compiled into Debian's apache2: always loaded, and LoadModule of it is an error (unless sharedOnRedHat). */
  builtIn: boolean;
  /**
   * Built into Debian's apache2 but a shared module of Red Hat's httpd, whose stock
   * conf.modules.d/00-base.conf loads it: LoadModule of it is a no-op, so that both layouts read.
   * (Debian's apache2 -t refuses such a line as "built-in and can't be loaded"; being lenient here
   * cannot change what a site does, since the module is there either way.)
   */
  sharedOnRedHat: boolean;
  /** In IMPLEMENTED_MODULES: counts as loaded in a config written for tswsgi alone. */
  implemented: boolean;
}

// Not `module`: in the CommonJS output that name is the wrapper's own parameter.
const info = (name: string, source: string, builtIn: 'built-in' | 'shared on Red Hat' | false = false): ModuleInfo =>
  ({ name, source, builtIn: builtIn !== false, sharedOnRedHat: builtIn === 'shared on Red Hat', implemented: true });

/** Modules whose directives tswsgi implements (the ones a mod_wsgi config uses). */
export const IMPLEMENTED_MODULES: readonly ModuleInfo[] = [
  info('core_module', 'core.c', 'built-in'),
  info('so_module', 'mod_so.c', 'built-in'),
  info('http_module', 'http_core.c', 'built-in'),
  info('log_config_module', 'mod_log_config.c', 'shared on Red Hat'),
  info('logio_module', 'mod_logio.c', 'shared on Red Hat'),
  info('version_module', 'mod_version.c', 'shared on Red Hat'),
  info('unixd_module', 'mod_unixd.c', 'shared on Red Hat'),
  info('watchdog_module', 'mod_watchdog.c', 'shared on Red Hat'),
  // tswsgi's own directives; Apache, lacking it, skips them inside <IfModule tswsgi_module>.
  info('tswsgi_module', 'tswsgi.c', 'built-in'),
  info('mpm_event_module', 'event.c'),
  info('mpm_worker_module', 'worker.c'),
  info('mpm_prefork_module', 'prefork.c'),
  info('authz_core_module', 'mod_authz_core.c'),
  info('authz_host_module', 'mod_authz_host.c'),
  info('access_compat_module', 'mod_access_compat.c'),
  info('alias_module', 'mod_alias.c'),
  info('mime_module', 'mod_mime.c'),
  info('env_module', 'mod_env.c'),
  info('setenvif_module', 'mod_setenvif.c'),
  info('dir_module', 'mod_dir.c'),
  info('wsgi_module', 'mod_wsgi.c'),
  info('reqtimeout_module', 'mod_reqtimeout.c'),
];

const KNOWN_MODULES: readonly ModuleInfo[] = [
  ...IMPLEMENTED_MODULES,
  ...MODULE_RULES.filter((rules) => !IMPLEMENTED_MODULES.some((m) => m.name === rules.name))
    .map((rules): ModuleInfo => ({ name: rules.name, source: rules.source, builtIn: false, sharedOnRedHat: false, implemented: false })),
];

export function moduleByName(name: string): ModuleInfo | undefined {
  return KNOWN_MODULES.find((m) => m.name === name || m.source === name);
}

export interface ModuleRegistry {
  /** Names given to LoadModule so far, known or not. */
  loaded: Set<string>;
  /**
   * False until a LoadModule of an MPM: a whole Apache configuration loads one (Debian's apache2
   * has none built in), and from then on only the modules it loads count, as in Apache. Before
   * that the file is one written for tswsgi alone, or a fragment meant to be Included by such a
   * configuration (a site with its own LoadModule wsgi_module line): every implemented module
   * counts as loaded, so its Alias and Require lines still read.
   */
  explicit: boolean;
}

export function newModuleRegistry(): ModuleRegistry {
  return { loaded: new Set(), explicit: false };
}

/** A LoadModule line: explicit from the MPM on. */
export function noteLoaded(registry: ModuleRegistry, name: string): void {
  registry.loaded.add(name);
  if (name.startsWith('mpm_')) registry.explicit = true;
}

/**
 * <IfModule NAME>, and whether a module's directives may be used, as Apache answers it: true for
 * built-in modules and for every module LoadModule'd, whether tswsgi implements it or not (its
 * directives then meet module-rules.ts, never a silent skip); and for the implemented ones while
 * the config is not explicit. A module named by its source file must be one tswsgi knows.
 */
export function isModuleLoaded(registry: ModuleRegistry, name: string): boolean {
  const info = moduleByName(name);
  if (!info) return registry.loaded.has(name);
  return info.builtIn || registry.loaded.has(info.name) || (info.implemented && !registry.explicit);
}
