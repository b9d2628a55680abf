// Process group names that requests will use (WSGIProcessGroup, process-group= of
// WSGIScriptAlias), checked once the whole file is read: mod_wsgi only finds a bad one
// at request time, when every request it covers gets a 500. A group may be declared
// after the line that names it, or in another <VirtualHost>, as mod_wsgi allows.

import { ConfigError } from './apache-parser';
import { GLOBAL, type ProcessGroupConfig, type VirtualHost } from './model';

export interface GroupReference {
  /** As written, with %{GLOBAL} already made "". */
  name: string;
  /** How the config named it, for the message: "WSGIProcessGroup" or "WSGIScriptAlias process-group=". */
  via: string;
  file: string;
  line: number;
  /** The <VirtualHost> it stands in; null at server level, whose settings every vhost inherits. */
  vhost: VirtualHost | null;
}

/** The forms mod_wsgi expands per request (its §4.1 table); any other text is a literal name. */
const PER_REQUEST = /^%\{(?:SERVER|RESOURCE|HOST|ENV:[^}]+)\}$/;

export function expandsPerRequest(name: string): boolean {
  return PER_REQUEST.test(name);
}

const EXPECTED = '%{GLOBAL}, a name expanded per request (%{ENV:variable}, %{SERVER}, %{RESOURCE}, %{HOST}), or the name of a WSGIDaemonProcess';

/**
 * An error for each literal name that no WSGIDaemonProcess declares, and for each one used in a
 * <VirtualHost> that cannot reach it: mod_wsgi lets a request use a group declared at server
 * level or in a vhost with the same ServerName only (the final ServerNames, as at request time).
 */
export function checkGroupReferences(references: readonly GroupReference[], groups: ReadonlyMap<string, ProcessGroupConfig>): ConfigError[] {
  const errors: ConfigError[] = [];
  for (const ref of references) {
    if (ref.name === GLOBAL || expandsPerRequest(ref.name)) continue;
    const group = groups.get(ref.name);
    if (!group) {
      const declared = [...groups.keys()];
      errors.push(new ConfigError(ref.file, ref.line, `${ref.via} names process group '${ref.name}', which no WSGIDaemonProcess declares ` +
        `(every request it covers would get a 500); expected ${EXPECTED}${declared.length ? ` (declared: ${declared.join(', ')})` : ' (none is declared)'}`));
      continue;
    }
    if (ref.vhost && group.vhost && group.vhost.serverName !== ref.vhost.serverName) {
      errors.push(new ConfigError(ref.file, ref.line, `${ref.via} names process group '${ref.name}', declared at ${group.source} in the ` +
        `<VirtualHost> of ServerName ${group.vhost.serverName}; requests of this <VirtualHost> (ServerName ${ref.vhost.serverName}) ` +
        `cannot use it (mod_wsgi answers them 500: "Daemon process called '${ref.name}' cannot be accessed by this WSGI application"); ` +
        'declare the group at server level or in a <VirtualHost> with the same ServerName'));
    }
  }
  return errors;
}
