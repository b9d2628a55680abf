// `tswsgi help directives` and docs/directives.md, both made from the directive table.

import { DAEMON_OPTIONS } from '../config/daemon-options';
import { DIRECTIVES, SECTIONS, type Context } from '../config/directives';
import { MODULE_RULES, type TierGroup } from '../config/module-rules';
import { APACHE_VERSION } from '../config/if-version';

const CONTEXT_NAMES: Record<Context, string> = { server: 'server config', vhost: 'virtual host', directory: 'directory' };
const contexts = (list: readonly Context[]) => list.map((c) => CONTEXT_NAMES[c]).join(', ');
const sorted = () => [...DIRECTIVES].sort((a, b) => a.name.localeCompare(b.name));
/** A group's directive names, without their argument shapes. */
const names = (group: TierGroup) => group.directives.split(/\s+/).filter(Boolean).map((word) => word.split(':')[0]!.replace(/^<.*/, '$&>'));
const TIER_NAMES = { accepted: 'accepted without effect', refused: 'refused' } as const;
const tierGroups = () => MODULE_RULES.flatMap((module) => module.groups.map((group) => ({ module: module.name, group })));

export function directivesText(): string {
  const lines = sorted().map((d) => `${d.syntax}\n    ${d.description}\n    Context: ${contexts(d.contexts)}. Default: ${d.default}. Module: ${d.module}.`);
  lines.push(`Sections: ${SECTIONS.map((s) => `<${s.name}>`).join(' ')}, and <IfModule>, <IfDefine>, <IfFile>, <IfVersion> (as Apache ${APACHE_VERSION}); Include, IncludeOptional, Define, UnDefine, LoadModule.`);
  lines.push('Directives of other modules, once the module is loaded:');
  for (const { module, group } of tierGroups()) lines.push(`${names(group).join(' ')}\n    ${module}, ${TIER_NAMES[group.tier]}: ${group.why}.`);
  return lines.join('\n\n') + '\n';
}

export function directivesMarkdown(): string {
  const out: string[] = [
    '# Directives',
    '',
    'Every directive tswsgi reads. This page is generated from the directive table',
    '(`src/config/directives.ts`) by `tswsgi help directives --markdown`; a test checks that it',
    'is up to date. Contexts: *server config* is outside any section, *virtual host* inside',
    '`<VirtualHost>`, *directory* inside `<Directory>`, `<Location>`, `<Files>` and their `Match` forms.',
    'A directive of a module the configuration does not `LoadModule` is an error, as in Apache;',
    'one that loads no MPM (written for tswsgi alone, or a fragment such as a site file) may use every directive below.',
    '',
    'Read while parsing, as Apache does: `Include` and `IncludeOptional` (wildcards, relative to',
    '`ServerRoot`), `Define` and `UnDefine` with `${NAME}` (then environment variables), `<IfDefine>`',
    '(and `-D NAME` on the command line), `<IfModule>`, `<IfFile>` (relative to `ServerRoot`),',
    `\`<IfVersion>\` (tswsgi answers as Apache ${APACHE_VERSION}, Debian 12's apache2), \`LoadModule\`, \`ServerRoot\`.`,
    '',
    `Sections: ${SECTIONS.map((s) => `\`<${s.name}>\``).join(', ')}.`,
    '',
  ];
  for (const d of sorted()) {
    out.push(`## ${d.name}`, '', d.description, '', '| | |', '|---|---|',
      `| Syntax | \`${d.syntax.replace(/\|/g, '\\|')}\` |`, `| Context | ${contexts(d.contexts)} |`,
      `| Default | ${d.default.replace(/\|/g, '\\|')} |`, `| Module | ${d.module} |`, '', '```apache', d.example, '```', '');
    if (d.name === 'WSGIDaemonProcess') {
      out.push('| option | default | meaning |', '|---|---|---|');
      for (const o of DAEMON_OPTIONS) out.push(`| \`${o.name}\` | ${o.default} | ${o.description} |`);
      out.push('');
    }
  }
  out.push('# Directives of other modules', '',
    'Every other directive of the modules Debian\'s apache2 package ships, and of mod_wsgi, once its module is loaded',
    '(a directive of a module the configuration does not load is Apache\'s "Invalid command"). *Accepted without effect*:',
    'it cannot change what a WSGI site returns or how safe it is; its arguments are checked as Apache checks them',
    '(their number, and their keywords where Apache\'s are fixed), and configtest prints one warning per directive name.',
    '*Refused*: ignoring it would make the site less safe or answer differently, so it is an error at configtest and at start.',
    '', '| module | tswsgi | directives | why |', '|---|---|---|---|');
  for (const { module, group } of tierGroups()) {
    out.push(`| ${module} | ${TIER_NAMES[group.tier]} | ${names(group).map((n) => `\`${n}\``).join(' ')} | ${group.why.replace(/\|/g, '\\|')} |`);
  }
  out.push('');
  return out.join('\n');
}
