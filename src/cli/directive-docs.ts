// `tswsgi help directives` and docs/directives.md, both made from the directive table.

import { DAEMON_OPTIONS } from '../config/daemon-options';
import { DIRECTIVES, SECTIONS, type Context } from '../config/directives';

const CONTEXT_NAMES: Record<Context, string> = { server: 'server config', vhost: 'virtual host', directory: 'directory' };
const contexts = (list: readonly Context[]) => list.map((c) => CONTEXT_NAMES[c]).join(', ');
const sorted = () => [...DIRECTIVES].sort((a, b) => a.name.localeCompare(b.name));

export function directivesText(): string {
  const lines = sorted().map((d) => `${d.syntax}\n    ${d.description}\n    Context: ${contexts(d.contexts)}. Default: ${d.default}. Module: ${d.module}.`);
  lines.push(`Sections: ${SECTIONS.map((s) => `<${s.name}>`).join(' ')}, and <IfModule>, <IfDefine>; Include, IncludeOptional, Define, UnDefine, LoadModule.`);
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
    'a configuration with no `LoadModule` lines at all may use every directive below.',
    '',
    'Read while parsing, as Apache does: `Include` and `IncludeOptional` (wildcards, relative to',
    '`ServerRoot`), `Define` and `UnDefine` with `${NAME}` (then environment variables), `<IfDefine>`',
    '(and `-D NAME` on the command line), `<IfModule>`, `LoadModule`, `ServerRoot`.',
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
  return out.join('\n');
}
