// Require, <RequireAll>/<RequireAny>/<RequireNone>, AuthMerging, Order/Allow/Deny/Satisfy, SetEnvIf
// and BrowserMatch, PassEnv and UnsetEnv as the config reads them: Apache's messages at file:line
// (checked against apache2 -t where it is installed), tswsgi's refusals of what it cannot check,
// and the access decision for clients the differential tests cannot be (they all connect from
// 127.0.0.1), through the real loader, router and access check.

import { describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigError } from '../src/config/apache-parser';
import { loadConfig, loadHtaccess } from '../src/config/load';
import type { OverrideKind } from '../src/config/model';
import { accessGranted } from '../src/http/access';
import { Router } from '../src/http/router';

const APACHE = '/usr/sbin/apache2';
const MODULES = '/usr/lib/apache2/modules';
const HEAD = ['mpm_event', 'authz_core', 'authz_host', 'access_compat', 'setenvif', 'env']
  .map((name) => `LoadModule ${name}_module ${MODULES}/mod_${name}.so`).concat('Listen 127.0.0.1:18080');

/** `lines` as main.conf of a fresh folder, read by `read`; the folder is removed afterwards. */
function withConfig<T>(lines: string[], read: (file: string, dir: string) => T): T {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tswsgi-access-config-'));
  try {
    fs.mkdirSync(path.join(dir, 'logs'));
    fs.writeFileSync(path.join(dir, 'main.conf'), [...HEAD, ...lines].join('\n') + '\n');
    return read(path.join(dir, 'main.conf'), dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function load(lines: string[], env: NodeJS.ProcessEnv = {}) {
  return withConfig(lines, (file, dir) => {
    const result = loadConfig(file, { defines: [], python: 'python3', pythonSource: 'test', env });
    return { ...result, errors: result.errors.map((e) => `${e.line}: ${e.message.replace(/^Syntax error on line \d+ of [^:]+: /, '')}`), warnings: result.warnings.map((w) => w.replaceAll(dir, 'D')) };
  });
}

/** What apache2 -t says of the lines: the message of its first error, or "Syntax OK". */
function apacheSays(lines: string[]): string {
  return withConfig(lines, (file, dir) => {
    const run = spawnSync(APACHE, ['-t', '-d', dir, '-f', file], { encoding: 'utf8', env: { ...process.env, LANG: 'C' } });
    const syntax = /Syntax error on line (\d+) of [^:]+:\n(.*)/.exec(run.stderr);
    if (syntax) return `${syntax[1]}: ${syntax[2]}`;
    const check = /AH01624: (.*)/.exec(run.stderr);
    return check ? check[1]! : run.status === 0 ? 'Syntax OK' : run.stderr;
  });
}

const inLocation = (...body: string[]) => ['<Location /x>', ...body, '</Location>'];
/** Line numbers of the config: HEAD takes the first 7, <Location /x> is line 8. */
const LOCATION_LINE = HEAD.length + 1;

// Each: the lines, and Apache's error (line: message). Lines in <Location /x> start at line 9.
const APACHE_ERRORS: Array<[string[], string]> = [
  [inLocation('Require all maybe'), "9: Argument for 'Require all' must be 'granted' or 'denied'"],
  [inLocation('Require all granted denied'), "9: Argument for 'Require all' must be 'granted' or 'denied'"],
  [inLocation('Require ip'), "9: 'require ip' requires an argument"],
  [inLocation('Require ip foo'), "9: ip address 'foo' appears to be invalid"],
  [inLocation('Require ip 10.1/16'), "9: ip address '10.1/16' appears to be invalid: The specified IP address is invalid."],
  [inLocation('Require ip 10.0.0.0/0'), "9: ip address '10.0.0.0/0' appears to be invalid: The specified network mask is invalid."],
  [inLocation('Require ip ::ffff:10.0.0.1'), "9: ip address '::ffff:10.0.0.1' appears to be invalid: The specified IP address is invalid."],
  [inLocation('Require method get'), "9: Invalid Method 'get'"],
  [inLocation('Require everyone'), '9: Unknown Authz provider: everyone'],
  [inLocation('Require'), '9: Unknown Authz provider: '],
  [inLocation('Require not ip 1.2.3.4'), '9: negative Require directive has no effect in <RequireAny> directive'],
  [inLocation('<RequireAny>', 'Require not ip 1.2.3.4', '</RequireAny>'), '10: negative Require directive has no effect in <RequireAny> directive'],
  [inLocation('<RequireNone>', 'Require ip 1.2.3.4', '</RequireNone>'), '9: <RequireNone> directive has no effect in <RequireAny> directive'],
  [inLocation('<RequireAll>', '</RequireAll>'), '9: <RequireAll> directive contains no authorization directives'],
  [inLocation('<RequireAll>', '<RequireNone>', '</RequireNone>', '</RequireAll>'), '10: <RequireNone> directive contains no authorization directives'],
  [inLocation('<RequireAll foo>', 'Require all granted', '</RequireAll>'), "9: <RequireAll> directive doesn't take additional arguments"],
  [inLocation('<RequireAll>', 'SetEnv a b', 'Require all granted', '</RequireAll>'), '10: SetEnv not allowed in <RequireAll> context'],
  [inLocation('AuthMerging maybe'), '9: AuthMerging must be one of: Off | And | Or'],
  [inLocation('Order sideways'), '9: unknown order'],
  [inLocation('Allow to 10.0.0.1'), "9: allow and deny must be followed by 'from'"],
  [inLocation('Allow from 10.0.0.0/foo'), '9: The specified network mask is invalid.'],
  [inLocation('Deny from 10.1/16'), '9: The specified IP address is invalid.'],
  [inLocation('Allow from ex#ample'), '9: No comments are allowed here'],
  [inLocation('Allow from foo/8'), '9: An IP address was expected'],
  [inLocation('Satisfy some'), "9: Satisfy either 'any' or 'all'."],
  [['SetEnvIf'], '8: Missing header-field name for SetEnvIf'],
  [['SetEnvIfNoCase X'], '8: Missing regular expression for SetEnvIfNoCase'],
  [['SetEnvIf X y'], '8: Missing envariable expression for SetEnvIf'],
  [['SetEnvIf X (unclosed var'], '8: SetEnvIf regex could not be compiled.'],
  [['SetEnvIf (bad x y'], '8: SetEnvIfHeader name regex could not be compiled.'],
  [['BrowserMatch'], '8: Missing regular expression for BrowserMatch'],
  [['BrowserMatchNoCase x'], '8: Missing envariable expression for BrowserMatchNoCase'],
  [['PassEnv'], '8: PassEnv requires at least one argument, a list of environment variables to pass to CGI.'],
  [['UnsetEnv'], '8: UnsetEnv requires at least one argument, a list of variables to remove from the CGI environment.'],
  [['Require all granted'], '8: Require not allowed here'],
];

describe('Apache\'s errors', () => {
  for (const [lines, expected] of APACHE_ERRORS) {
    test(lines.join(' / '), () => {
      assert.deepEqual(load(lines).errors, [expected]);
      if (fs.existsSync(APACHE)) assert.equal(apacheSays(lines), expected);
    });
  }

  // Apache registers mod_access_compat's directives in lower case, and names them so in its messages.
  test('Allow and Order: Apache\'s messages but for the directive\'s capital', () => {
    const cases: Array<[string[], string]> = [
      [inLocation('Allow 10.0.0.1'), "9: Allow requires at least two arguments, 'from' followed by hostnames or IP-address wildcards"],
      [['Order allow,deny'], '8: Order not allowed here'],
    ];
    for (const [lines, expected] of cases) {
      assert.deepEqual(load(lines).errors, [expected]);
      if (fs.existsSync(APACHE)) assert.equal(apacheSays(lines).toLowerCase(), expected.toLowerCase());
    }
  });

  test('a section of negative lines only: Apache\'s check once the file is read, named at the section\'s line', () => {
    for (const body of [['<RequireAll>', 'Require not env x', '</RequireAll>'], ['<RequireAll>', '<RequireNone>', 'Require env x', '</RequireNone>', '</RequireAll>']]) {
      const message = '<RequireAll> directive contains only negative authorization directives';
      assert.deepEqual(load(inLocation(...body)).errors, [`${LOCATION_LINE}: ${message}`]);
      if (fs.existsSync(APACHE)) assert.equal(apacheSays(inLocation(...body)), message);
    }
  });

  test('one error inside a section is reported alone, not also the section it left incomplete', () => {
    assert.deepEqual(load(inLocation('<RequireAll>', 'Require not ip 1.2.3.4 x/y', '</RequireAll>')).errors,
      ["10: ip address 'x/y' appears to be invalid"]);
  });
});

describe('refused: what tswsgi cannot check as Apache does', () => {
  test('host names (Apache looks them up in DNS), expressions and user providers are errors at file:line', () => {
    const { errors } = load(inLocation('Require host example.com', 'Require forward-dns example.com', 'Require expr "%{REMOTE_ADDR} == \'1.2.3.4\'"',
      'Require valid-user', 'Allow from example.com', 'Deny from .example.com'));
    assert.deepEqual(errors.map((e) => e.replace(/ \(Apache checks.*| yet$| yet, and ignoring.*/, '')), [
      '9: Require host is not supported by tswsgi: tswsgi does not look up client host names',
      '10: Require forward-dns is not supported by tswsgi: tswsgi does not look up client host names',
      '11: Require expr is not supported by tswsgi: tswsgi does not evaluate expressions',
      '12: Require valid-user is not supported by tswsgi: tswsgi does not implement authentication',
      '13: Allow from example.com is not supported by tswsgi: it names a host, and tswsgi does not look up client host names',
      '14: Deny from .example.com is not supported by tswsgi: it names a host, and tswsgi does not look up client host names',
    ]);
  });

  test('SetEnvIfExpr stays refused', () => {
    assert.match(load(['SetEnvIfExpr "-R \'10.0.0.0/8\'" internal']).errors[0]!, /^8: SetEnvIfExpr \(setenvif_module\) is not supported by tswsgi: /);
  });
});

describe('variables Apache\'s protocol handling acts on', () => {
  test('setting one warns once per variable: tswsgi passes it on without acting on it', () => {
    const { errors, warnings } = load(['BrowserMatch "MSIE 4\\.0b2;" nokeepalive downgrade-1.0 force-response-1.0', 'BrowserMatch "Java/1\\.0" force-response-1.0']);
    assert.deepEqual(errors, []);
    assert.deepEqual(warnings, [
      'D/main.conf:8: BrowserMatch sets downgrade-1.0, on which Apache acts (it treats the request as HTTP/1.0); tswsgi only passes the variable on',
      'D/main.conf:8: BrowserMatch sets force-response-1.0, on which Apache acts (it answers with HTTP/1.0); tswsgi only passes the variable on',
    ]);
  });
});

describe('PassEnv', () => {
  test('reads the environment given to the loader; an unset name is left out with Apache\'s warning', () => {
    const { errors, warnings, config } = load(['PassEnv APP_MODE MISSING_ONE'], { APP_MODE: 'production' });
    assert.deepEqual(errors, []);
    assert.deepEqual(warnings, ['D/main.conf:8: PassEnv variable MISSING_ONE was undefined']);
    assert.deepEqual(config.main.dir.setEnv, [['APP_MODE', 'production']]);
  });
});

describe('the access decision for other clients', () => {
  const decide = (lines: string[], client: string, local = '192.0.2.1', method = 'GET') => {
    const { config, errors } = load([...lines]);
    assert.deepEqual(errors, []);
    const dir = new Router(config).merge(config.main, '/srv/x', '/x', {});
    return accessGranted(dir, { client, local, method, variable: () => undefined });
  };

  test('Require local: loopback (IPv4 and IPv6) and the server\'s own address, no other', () => {
    const lines = inLocation('Require local');
    assert.equal(decide(lines, '127.5.6.7'), true);
    assert.equal(decide(lines, '::1'), true);
    assert.equal(decide(lines, '192.0.2.1'), true);
    assert.equal(decide(lines, '192.0.2.2'), false);
    assert.equal(decide(lines, '::2'), false);
  });

  test('Require ip: a partial address is whole octets, a mask bits or a netmask; IPv6 networks', () => {
    assert.equal(decide(inLocation('Require ip 10.1'), '10.1.200.3'), true);
    assert.equal(decide(inLocation('Require ip 10.1'), '10.10.0.1'), false);
    assert.equal(decide(inLocation('Require ip 10.1.'), '10.1.0.1'), true);
    assert.equal(decide(inLocation('Require ip 192.168.0.0/255.255.254.0'), '192.168.1.9'), true);
    assert.equal(decide(inLocation('Require ip 192.168.0.0/23'), '192.168.2.1'), false);
    assert.equal(decide(inLocation('Require ip 2001:db8::/32'), '2001:db8:1::5'), true);
    assert.equal(decide(inLocation('Require ip 2001:db8::/32'), '2001:db9::5'), false);
  });

  test('Allow from with Order: partial addresses and networks of other clients', () => {
    const lines = inLocation('Order deny,allow', 'Deny from all', 'Allow from 10.1 2001:db8::/32');
    assert.equal(decide(lines, '10.1.2.3'), true);
    assert.equal(decide(lines, '10.2.0.1'), false);
    assert.equal(decide(lines, '2001:db8::1'), true);
  });

  test('Require method: any method Apache does not know is refused', () => {
    const lines = inLocation('Require method GET');
    assert.equal(decide(lines, '10.0.0.1', '10.0.0.2', 'HEAD'), true);
    assert.equal(decide(lines, '10.0.0.1', '10.0.0.2', 'FOO'), false);
  });
});

describe('.htaccess files', () => {
  const ALL: OverrideKind[] = ['authconfig', 'fileinfo', 'indexes', 'limit', 'options'];
  /** A .htaccess of `lines` read under `allowed`, in a config that loads HEAD's modules (and `extra`). */
  const read = (lines: string[], allowed: OverrideKind[], extra: string[] = []) => withConfig(extra, (file, dir) => {
    const { config } = loadConfig(file, { defines: [], python: 'python3', pythonSource: 'test', env: {} });
    fs.writeFileSync(path.join(dir, '.htaccess'), lines.join('\n') + '\n');
    const result = loadHtaccess(path.join(dir, '.htaccess'), allowed, config);
    return result instanceof ConfigError ? `${result.line}: ${result.detail}` : result;
  });

  test('the directives of the kinds AllowOverride allows become the directory\'s settings', () => {
    const dir = read(['Require env let_in', 'Order allow,deny', 'Allow from 10.0.0.0/8', 'SetEnv A b', 'UnsetEnv C', 'DirectoryIndex start.html',
      'LimitRequestBody 10', '<RequireAll>', 'Require all granted', '</RequireAll>'], ['authconfig', 'limit', 'fileinfo', 'indexes'],
    [`LoadModule dir_module ${MODULES}/mod_dir.so`]);
    assert.ok(typeof dir !== 'string', dir as string);
    assert.equal(dir.authz?.children.length, 2);
    assert.equal(dir.accessCompat?.order, 'allow,deny');
    assert.deepEqual(dir.setEnv, [['A', 'b']]);
    assert.deepEqual(dir.unsetEnv, ['C']);
    assert.deepEqual(dir.directoryIndex, ['start.html']);
    assert.equal(dir.limitRequestBody, 10);
  });

  test('the first line of a kind it does not allow is the error, as Apache\'s "not allowed here"', () => {
    assert.equal(read(['Require all granted', 'SetEnv A b'], ['authconfig']), '2: SetEnv not allowed here');
    assert.equal(read(['Allow from all'], ['authconfig']), '1: Allow not allowed here');
    assert.equal(read(['LimitRequestBody 10'], []), '1: LimitRequestBody not allowed here');
  });

  test('what tswsgi does not read from a .htaccess is an error too, whatever AllowOverride allows', () => {
    assert.equal(read(['Options -Indexes'], ALL), '1: Options not allowed here (tswsgi reads no Options from .htaccess files)');
    assert.equal(read(['WSGIProcessGroup app'], ALL, [`LoadModule wsgi_module ${MODULES}/mod_wsgi.so`]), '1: WSGIProcessGroup not allowed here (tswsgi reads no WSGIProcessGroup from .htaccess files)');
    assert.equal(read(['<Files x.txt>', 'Require all denied', '</Files>'], ALL), '1: <Files> in a .htaccess file is not supported by tswsgi');
    assert.equal(read(['RewriteEngine On'], ALL, [`LoadModule rewrite_module ${MODULES}/mod_rewrite.so`]), '1: RewriteEngine in a .htaccess file is not supported by tswsgi');
    assert.match(read(['RewriteEngine On'], ALL) as string, /^1: Invalid command 'RewriteEngine', perhaps misspelled/);
    assert.equal(read(['Require all granted', 'Include /etc/apache2/apache2.conf'], ALL), '2: Include not allowed here');
    assert.equal(read(['Define X'], ALL), '1: Define not allowed here');
  });

  test('AccessFileName: .htaccess, the default, is accepted; another name is refused, since tswsgi would not read those files', () => {
    assert.deepEqual(load(['AccessFileName .htaccess']).errors, []);
    assert.match(load(['AccessFileName .acl']).errors[0]!, /^8: AccessFileName \(core_module\) is not supported by tswsgi: tswsgi reads access files named \.htaccess only/);
  });

  test('Apache\'s checks of the file as a whole: negative lines only', () => {
    assert.equal(read(['<RequireAll>', 'Require not env x', '</RequireAll>'], ALL), '1: <RequireAll> directive contains only negative authorization directives');
  });
});
