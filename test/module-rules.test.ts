// Directives of modules tswsgi does not implement (src/config/module-rules.ts): every directive
// Debian's apache2 and mod_wsgi register has a rule; accepted ones warn once per name and keep
// Apache's argument checks; refused ones are errors at their file:line; <IfModule> answers by what
// the config loads. And Debian's stock /etc/apache2, with a WSGI site added, passes configtest.

import { describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadConfig } from '../src/config/load';
import { DIRECTIVES, SECTIONS } from '../src/config/directives';
import { MODULE_RULES, allTierRules } from '../src/config/module-rules';

// __dirname is dist/test.
const REPO = path.resolve(__dirname, '..', '..');
const BIN = path.join(REPO, 'bin', 'tswsgi.js');
const APACHE = '/usr/sbin/apache2';
const DEBIAN_CONF = '/etc/apache2';
const MODULES = '/usr/lib/apache2/modules';

const load = (name: string) => `LoadModule ${name}_module ${MODULES}/mod_${name}.so`;
const HEAD = [load('mpm_event'), load('authz_core'), load('wsgi'), 'Listen 127.0.0.1:18080'];

/** Loads `lines` as main.conf of a fresh folder: errors and warnings with the folder shown as D. */
function check(lines: string[]): { errors: string[]; warnings: string[] } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tswsgi-module-rules-'));
  try {
    fs.writeFileSync(path.join(dir, 'main.conf'), lines.join('\n') + '\n');
    const result = loadConfig(path.join(dir, 'main.conf'), { defines: [], python: 'python3', pythonSource: 'test' });
    const shown = (text: string) => text.replaceAll(dir, 'D');
    return { errors: result.errors.map((e) => shown(e.message)), warnings: result.warnings.map(shown) };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('the rules', () => {
  test('no directive is both implemented and in a tier; every section in a tier is refused; every accepted directive checks its arguments', () => {
    const implemented = new Set(DIRECTIVES.map((d) => d.name.toLowerCase()));
    for (const rule of allTierRules()) {
      assert.ok(!implemented.has(rule.name.toLowerCase()), `${rule.name} is implemented and in ${rule.module}'s tiers`);
      if (rule.name.startsWith('<')) assert.equal(rule.tier, 'refused', rule.name);
    }
    for (const module of MODULE_RULES) {
      for (const group of module.groups.filter((g) => g.tier === 'accepted')) {
        for (const word of group.directives.split(/\s+/).filter(Boolean)) assert.match(word, /:/, `${module.name}: ${word} has no argument shape`);
      }
    }
  });

  // `apache2 -L` with every module of mods-available loaded (once per MPM) lists each directive with its source file.
  test('every directive Debian\'s apache2 and mod_wsgi register is implemented or has a rule', { skip: !fs.existsSync(APACHE) && 'no apache2' }, () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tswsgi-apache-L-'));
    try {
      fs.mkdirSync(path.join(dir, 'logs'));
      const known = new Set([...DIRECTIVES.map((d) => d.name), ...allTierRules().map((r) => r.name.replace(/>$/, ''))].map((n) => n.toLowerCase()));
      // Read by Apache while parsing, as by tswsgi's parser (apache-parser.ts).
      for (const name of ['<IfModule', '<IfDefine', '<IfVersion', '<IfFile', 'Include', 'IncludeOptional', 'Define', 'UnDefine', 'LoadModule',
        ...SECTIONS.map((s) => `<${s.name}`)]) known.add(name.toLowerCase());
      const missing = new Set<string>();
      for (const mpm of ['event', 'worker', 'prefork']) {
        fs.writeFileSync(path.join(dir, 'all.conf'), loadLines(mpm).join('\n') + '\n');
        const listing = execFileSync(APACHE, ['-d', dir, '-f', path.join(dir, 'all.conf'), '-L'], { encoding: 'utf8' });
        for (const m of listing.matchAll(/^(<?\w+) \((\w+\.c)\)$/gm)) if (!known.has(m[1]!.toLowerCase())) missing.add(`${m[1]} (${m[2]})`);
      }
      assert.deepEqual([...missing], []);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** LoadModule lines of every mods-available/*.load (one MPM), each after those its "# Depends:" names. */
function loadLines(mpm: string): string[] {
  const available = path.join(DEBIAN_CONF, 'mods-available');
  const modules = new Map<string, { depends: string[]; lines: string[] }>();
  for (const file of fs.readdirSync(available).filter((f) => f.endsWith('.load'))) {
    const name = file.slice(0, -'.load'.length);
    if (name.startsWith('mpm_') && name !== `mpm_${mpm}`) continue;
    const text = fs.readFileSync(path.join(available, file), 'utf8');
    const depends = [...text.matchAll(/#\s*Depends:(.*)/g)].flatMap((m) => m[1]!.trim().split(/\s+/));
    modules.set(name, { depends, lines: text.split('\n').map((l) => l.trim()).filter((l) => l.startsWith('LoadModule')) });
  }
  const out: string[] = [];
  const seen = new Set<string>();
  const visit = (name: string) => {
    const module = modules.get(name);
    if (!module || seen.has(name)) return;
    seen.add(name);
    module.depends.forEach(visit);
    out.push(...module.lines);
  };
  [...modules.keys()].sort().forEach(visit);
  return out;
}

describe('accepted without effect', () => {
  test('one warning per directive name, naming its module and why, however often it is repeated', () => {
    const { errors, warnings } = check([...HEAD, load('autoindex'), 'AddIcon /icons/a.gif .a', 'AddIcon /icons/b.gif .b', 'MinSpareThreads 5', 'MinSpareThreads 6']);
    assert.deepEqual(errors, []);
    assert.deepEqual(warnings, [
      'D/main.conf:6: AddIcon (autoindex_module) has no effect in tswsgi: tswsgi lists no directories',
      'D/main.conf:8: MinSpareThreads (mpm_event_module) has no effect in tswsgi: tswsgi sizes its own processes (StartServers, ThreadsPerChild, WSGIDaemonProcess); Apache\'s process manager tuning does not apply',
    ]);
  });

  test('mod_wsgi 4.9\'s directives tswsgi does not implement are known, with what tswsgi does instead', () => {
    const { errors, warnings } = check([...HEAD, 'WSGIRestrictSignal Off', 'WSGIRestrictStdout On', 'WSGIPythonEggs /tmp/eggs', 'WSGIPythonHashSeed random']);
    assert.deepEqual(errors, []);
    assert.equal(warnings.length, 4);
    assert.match(warnings[0]!, /^D\/main.conf:5: WSGIRestrictSignal \(wsgi_module\) has no effect in tswsgi: tswsgi lets applications register signal handlers/);
  });

  test('process-wide ones are refused in a <VirtualHost> or <Directory>, as Apache and mod_wsgi refuse them', () => {
    const { errors } = check([...HEAD, '<VirtualHost *:80>', '  MinSpareThreads 5', '  WSGIRestrictSignal Off', '</VirtualHost>']);
    assert.deepEqual(errors, [
      'Syntax error on line 6 of D/main.conf: MinSpareThreads cannot occur within <VirtualHost> section',
      'Syntax error on line 7 of D/main.conf: WSGIRestrictSignal cannot occur within <VirtualHost> section',
    ]);
  });

  test('a typo in the arguments stays an error, with Apache\'s checks: count, On/Off, keyword sets', () => {
    const { errors } = check([...HEAD, load('autoindex'), load('reqtimeout'),
      'IndexOptions FancyIndexing FolderFirst', 'ServerSignature Of', 'MinSpareThreads 5 10', 'WSGIRestrictStdout yes',
      'RequestReadTimeout header=20-40,minrat=500', 'WSGIPythonHashSeed sometimes', 'AddIcon /icons/a.gif']);
    assert.deepEqual(errors, [
      'Syntax error on line 7 of D/main.conf: Invalid directory indexing option',
      'Syntax error on line 8 of D/main.conf: ServerSignature: use one of: off | on | email',
      'Syntax error on line 9 of D/main.conf: MinSpareThreads takes one argument',
      'Syntax error on line 10 of D/main.conf: WSGIRestrictStdout must be one of: Off | On',
      'Syntax error on line 11 of D/main.conf: RequestReadTimeout: header=20-40,minrat=500: Must set MinRate option if using timeout range',
      'Syntax error on line 12 of D/main.conf: WSGIPythonHashSeed must be "random" or an integer in range [0; 4294967295]',
      'Syntax error on line 13 of D/main.conf: AddIcon requires at least two arguments',
    ]);
  });
});

describe('refused', () => {
  test('SSLEngine on inside <IfModule ssl_module>, with ssl loaded: an error at its file:line naming the module and why', () => {
    const { errors } = check([...HEAD, load('ssl'), '<IfModule ssl_module>', '  SSLCertificateFile /etc/ssl/certs/site.pem', '  SSLEngine on', '</IfModule>']);
    assert.deepEqual(errors, ['Syntax error on line 8 of D/main.conf: SSLEngine (ssl_module) is not supported by tswsgi: tswsgi has no TLS yet: ' +
      'terminate TLS in front of it (a reverse proxy or load balancer)']);
  });

  test('values that would change the answer are refused where others of the same directive are accepted', () => {
    const { errors, warnings } = check([...HEAD, load('setenvif'), load('mime'),
      'HostnameLookups Double', 'SetEnvIfExpr "-R \'10.0.0.0/8\'" internal', 'AddHandler cgi-script .cgi', 'AddHandler type-map var', 'SetHandler None']);
    assert.deepEqual(errors, [
      'Syntax error on line 7 of D/main.conf: HostnameLookups (core_module) is not supported by tswsgi: tswsgi does not look up client host names, so REMOTE_HOST would be missing from the environ',
      "Syntax error on line 8 of D/main.conf: SetEnvIfExpr (setenvif_module) is not supported by tswsgi: tswsgi does not evaluate expressions yet, and the application's environ would differ",
      "Syntax error on line 9 of D/main.conf: AddHandler (mime_module) is not supported by tswsgi: tswsgi does not run the 'cgi-script' handler, and would serve what it handles as plain files",
      'Syntax error on line 11 of D/main.conf: SetHandler (core_module) is not supported by tswsgi: under a WSGIScriptAlias mount it takes requests away from the application in Apache, and tswsgi would hand them to it',
    ]);
    assert.equal(warnings.length, 1);
  });

  test('auth modules, mod_rewrite, Header and sections of loaded modules are refused, never skipped', () => {
    const { errors } = check([...HEAD, load('auth_basic'), load('authn_core'), load('rewrite'), load('headers'),
      '<Location /admin>', '  AuthType Basic', '  Require valid-user', '</Location>', 'RewriteEngine On', 'Header set X-Frame-Options DENY',
      '<Location /x>', '  <AuthzProviderAlias ip local-net 10.0.0.0/8>', '  </AuthzProviderAlias>', '</Location>']);
    assert.deepEqual(errors.map((e) => e.replace(/ is not supported by tswsgi: .*/, '')), [
      'Syntax error on line 10 of D/main.conf: AuthType (authn_core_module)',
      'Syntax error on line 11 of D/main.conf: Require valid-user',
      'Syntax error on line 13 of D/main.conf: RewriteEngine (rewrite_module)',
      'Syntax error on line 14 of D/main.conf: Header (headers_module)',
      'Syntax error on line 16 of D/main.conf: <AuthzProviderAlias> (authz_core_module)',
    ]);
  });
});

describe('output filters and error documents', () => {
  test('INCLUDES reads, DEFLATE warns once per directive, any other filter is refused', () => {
    const { errors, warnings } = check([...HEAD, load('mime'), 'AddOutputFilter INCLUDES .shtml', 'AddOutputFilter DEFLATE .css', 'AddOutputFilter DEFLATE .js',
      'SetOutputFilter INCLUDES;DEFLATE', 'AddOutputFilter SUBSTITUTE .html']);
    assert.deepEqual(errors, ["Syntax error on line 10 of D/main.conf: AddOutputFilter is not supported by tswsgi for filter 'substitute': tswsgi applies no output " +
      'filters but INCLUDES (refusing such files) and compression (none), and this one would change responses']);
    assert.deepEqual(warnings, [
      'D/main.conf:7: AddOutputFilter DEFLATE has no effect in tswsgi: tswsgi sends responses uncompressed',
      'D/main.conf:9: SetOutputFilter DEFLATE has no effect in tswsgi: tswsgi sends responses uncompressed',
    ]);
  });

  test('ErrorDocument: a full URL for 401 is ignored with Apache\'s notice; a message with an expression is refused', () => {
    const { errors, warnings } = check([...HEAD, 'ErrorDocument 401 https://login.example/', 'ErrorDocument 404 "No %{REQUEST_URI} here"', 'ErrorDocument 500 default']);
    assert.deepEqual(warnings, ['D/main.conf:5: cannot use a full URL in a 401 ErrorDocument directive --- ignoring!']);
    assert.deepEqual(errors, ['Syntax error on line 6 of D/main.conf: ErrorDocument is not supported by tswsgi with an expression (%{...}) in its message: ' +
      'tswsgi sends messages as they are written']);
  });
});

describe('<IfModule> and loaded modules', () => {
  test('a loaded module tswsgi does not implement counts: <IfModule !rewrite_module> is skipped, <IfModule mod_rewrite.c> entered', () => {
    const { errors } = check([...HEAD, load('rewrite'), '<IfModule !rewrite_module>', '  ServerName skipped', '  Bogus', '</IfModule>',
      '<IfModule mod_rewrite.c>', '  RewriteRule ^/old /new', '</IfModule>']);
    assert.deepEqual(errors.map((e) => e.replace(/ is not supported by tswsgi: .*/, '')), ['Syntax error on line 11 of D/main.conf: RewriteRule (rewrite_module)']);
  });

  test('a directive of a module the config does not load is Apache\'s "Invalid command", with the LoadModule it needs', () => {
    const { errors } = check([...HEAD, 'AddIcon /icons/a.gif .a']);
    assert.deepEqual(errors, ["Syntax error on line 5 of D/main.conf: Invalid command 'AddIcon', perhaps misspelled or defined by a module not included " +
      'in the server configuration (add LoadModule autoindex_module to use it)']);
  });

  test('a directive no known module defines, with a module tswsgi does not know loaded, names that module', () => {
    const { errors } = check([...HEAD, `LoadModule auth_openidc_module ${MODULES}/mod_auth_openidc.so`, '<IfModule auth_openidc_module>',
      '  OIDCProviderMetadataURL https://id.example.com/.well-known/openid-configuration', '</IfModule>']);
    assert.deepEqual(errors, ["Syntax error on line 7 of D/main.conf: Invalid command 'OIDCProviderMetadataURL', perhaps misspelled or defined by a " +
      'module not included in the server configuration (or by auth_openidc_module, loaded here, which tswsgi does not know and cannot honour)']);
  });

  test('a fragment with its own LoadModule line but no MPM keeps the implemented modules: WSGI, Alias and Require lines read', () => {
    const { errors } = check([load('wsgi'), 'Listen 127.0.0.1:18080', 'WSGIScriptAlias /app /srv/app.wsgi', 'Alias /static /srv/static',
      '<Directory /srv>', '  Require all granted', '</Directory>']);
    assert.deepEqual(errors, []);
  });

  test('no Listen is reported for the main file as a whole, not at a line', () => {
    const { errors } = check(['# a comment', 'ServerName example.com']);
    assert.deepEqual(errors, ['Configuration error in D/main.conf: no listening sockets available: the configuration has no Listen directive']);
  });
});

describe('Debian\'s stock /etc/apache2 with a WSGI site', { skip: !fs.existsSync(path.join(DEBIAN_CONF, 'apache2.conf')) && 'no /etc/apache2' }, () => {
  /** A copy of /etc/apache2 with mod_wsgi enabled and a site in sites-enabled, and the environment envvars sets. */
  function debianCopy(): { dir: string; env: NodeJS.ProcessEnv } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tswsgi-debian-'));
    fs.cpSync(DEBIAN_CONF, dir, { recursive: true, verbatimSymlinks: true });
    for (const ext of ['load', 'conf']) {
      const link = path.join(dir, 'mods-enabled', `wsgi.${ext}`);
      fs.rmSync(link, { force: true });
      fs.symlinkSync(`../mods-available/wsgi.${ext}`, link);
    }
    const site = path.join(dir, 'site');
    fs.mkdirSync(site);
    fs.writeFileSync(path.join(site, 'app.wsgi'), 'def application(environ, start_response):\n    start_response("200 OK", [])\n    return [b"ok"]\n');
    fs.writeFileSync(path.join(dir, 'sites-enabled', 'wsgi-site.conf'), [
      '<VirtualHost *:80>',
      '    ServerName wsgi.example.com',
      '    WSGIDaemonProcess site processes=1 threads=2',
      '    WSGIProcessGroup site',
      `    WSGIScriptAlias / ${site}/app.wsgi`,
      `    <Directory ${site}>`,
      '        Require all granted',
      '    </Directory>',
      '</VirtualHost>',
    ].join('\n') + '\n');
    // As `set -a; . /etc/apache2/envvars` does for apache2ctl.
    const printed = execFileSync('sh', ['-c', `set -a; . ${path.join(dir, 'envvars')}; env -0`], { encoding: 'utf8' });
    const env = Object.fromEntries(printed.split('\0').filter(Boolean).map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]));
    return { dir, env };
  }

  test('configtest exits 0 with warnings only, no "Invalid command"; apache2 -t agrees', () => {
    const { dir, env } = debianCopy();
    try {
      const conf = path.join(dir, 'apache2.conf');
      const result = run(process.execPath, [BIN, 'configtest', '-f', conf], env);
      assert.equal(result.code, 0, result.stderr);
      assert.doesNotMatch(result.stderr, /Invalid command|Syntax error/);
      assert.match(result.stdout + result.stderr, /Syntax OK/);
      // One warning per directive name.
      const names = [...result.stderr.matchAll(/^tswsgi: warning: \S+ (\S+) \(\w+\) has no effect/gm)].map((m) => m[1]);
      assert.ok(names.length > 10, result.stderr);
      assert.equal(new Set(names).size, names.length);
      if (fs.existsSync(APACHE)) {
        const apache = run(APACHE, ['-t', '-d', dir, '-f', conf], env);
        assert.equal(apache.code, 0, apache.stderr);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('--envvars envvars gives configtest the same environment, without a shell', () => {
    const { dir } = debianCopy();
    try {
      const result = run(process.execPath, [BIN, 'configtest', '-f', path.join(dir, 'apache2.conf'), '--envvars', path.join(dir, 'envvars')], { PATH: process.env.PATH });
      assert.equal(result.code, 0, result.stderr);
      assert.doesNotMatch(result.stderr, /is not defined/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

function run(file: string, args: string[], env: NodeJS.ProcessEnv): { code: number; stdout: string; stderr: string } {
  const result = spawnSync(file, args, { env, encoding: 'utf8', timeout: 30_000 });
  return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

// The same typos through `apache2 -t`: tswsgi's message is Apache's, or its start (Apache goes on
// with the directive's help text after a comma, which tswsgi does not have for these directives).
describe('argument errors as apache2 -t gives them', { skip: !fs.existsSync(APACHE) && 'no apache2' }, () => {
  const TYPOS = [
    'MinSpareThreads 5 10', 'AddIcon /icons/a.gif', 'FancyIndexing maybe', 'IndexOptions FancyIndexing FolderFirst', 'DeflateFilterNote a b c',
    'WSGIRestrictStdout yes', 'WSGIPythonHashSeed sometimes', 'WSGIAcceptMutex spinlock', 'TraceEnable nope', 'LanguagePriority',
    'SSLRandomSeed startup', 'RemoveType', 'RequestReadTimeout header=20-40,minrat=500', 'RequestReadTimeout body=20-x,MinRate=5',
    'RequestReadTimeout header=20,MinRate=0', 'RequestReadTimeout handshake=5 foo=1', 'RequestReadTimeout header', 'RequestReadTimeout body=10-5,MinRate=1',
  ];
  const MODULE_LINES = [load('mpm_event'), load('authz_core'), load('wsgi'), load('autoindex'), load('deflate'), load('negotiation'),
    load('mime'), load('socache_shmcb'), load('ssl'), load('reqtimeout'), 'Listen 127.0.0.1:18080'];

  for (const typo of TYPOS) {
    test(typo, () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tswsgi-apache-t-'));
      try {
        fs.mkdirSync(path.join(dir, 'logs'));
        fs.writeFileSync(path.join(dir, 'main.conf'), [...MODULE_LINES, typo].join('\n') + '\n');
        const apache = run(APACHE, ['-t', '-d', dir, '-f', path.join(dir, 'main.conf')], process.env);
        const said = /Syntax error on line \d+ of [^:]+:\n(.*)/.exec(apache.stderr)?.[1];
        assert.ok(said, apache.stderr);
        const { errors } = check([...MODULE_LINES, typo]);
        assert.equal(errors.length, 1, errors.join('\n'));
        const ours = errors[0]!.replace(/^Syntax error on line \d+ of D\/main.conf: /, '');
        assert.ok(said === ours || said.startsWith(`${ours},`), `apache2 -t: ${said}\ntswsgi:     ${ours}`);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
