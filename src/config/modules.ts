// Apache modules tswsgi knows by name: which it implements (their directives work),
// which are built into Debian's apache2, and every other module Debian's apache2
// ships (module-rules.ts says what becomes of their directives).

import { MODULE_RULES } from './module-rules';

export interface ModuleInfo {
  /** Identifier used by LoadModule and <IfModule>, e.g. wsgi_module. */
  name: string;
  /** Source file name, the other form <IfModule> accepts, e.g. mod_wsgi.c. */
  source: string;
  /** Compiled into Debian's apache2: always loaded, and LoadModule of it is an error. */
  builtIn: boolean;
  /** In IMPLEMENTED_MODULES: counts as loaded in a config written for tswsgi alone. */
  implemented: boolean;
}

// Not `module`: in the CommonJS output that name is the wrapper's own parameter.
const info = (name: string, source: string, builtIn = false): ModuleInfo => ({ name, source, builtIn, implemented: true });

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

const KNOWN_MODULES: readonly ModuleInfo[] = [
  ...IMPLEMENTED_MODULES,
  ...MODULE_RULES.filter((rules) => !IMPLEMENTED_MODULES.some((m) => m.name === rules.name))
    .map((rules): ModuleInfo => ({ name: rules.name, source: rules.source, builtIn: false, implemented: false })),
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
