// What the distributions' stock layouts need while reading: <IfVersion>, <IfFile>, the command
// line's -d, -C and -c, --envvars, and Red Hat's httpd.conf with its conf.modules.d and conf.d.
// Behaviours were checked against Debian's apache2 (`apache2 -t`), and are compared with it here
// where it is installed.

import { describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseFile, type ParseState } from '../src/config/apache-parser';
import { readEnvvars } from '../src/config/envvars';
import { loadConfig } from '../src/config/load';
import { APACHE_VERSION, ifVersion } from '../src/config/if-version';
import { newModuleRegistry } from '../src/config/modules';

// __dirname is dist/test.
const REPO = path.resolve(__dirname, '..', '..');
const BIN = path.join(REPO, 'bin', 'tswsgi.js');
const APACHE = '/usr/sbin/apache2';
const DEBIAN_ENVVARS = '/etc/apache2/envvars';

function tempDir(files: Record<string, string> = {}): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tswsgi-layouts-'));
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

/** The errors and the ServerAlias names main.conf of a fresh tree (ServerRoot at it) leaves. */
function parse(files: Record<string, string>) {
  const dir = tempDir(files);
  const state: ParseState = { serverRoot: dir, defines: new Map(), env: {}, modules: newModuleRegistry(), errors: [], warnings: [] };
  const tree = parseFile(path.join(dir, 'main.conf'), state);
  fs.rmSync(dir, { recursive: true, force: true });
  return { errors: state.errors.map((e) => e.detail), marks: tree.filter((d) => d.key === 'serveralias').map((d) => d.args[0]) };
}

describe('<IfVersion>, as Apache ' + APACHE_VERSION, () => {
  const CASES: Array<[string, boolean | string]> = [
    ['2.4.62', true], ['= 2.4', false], ['== 2.4.62', true], ['2', false], ['02.04.062', true],
    ['> 2.4.61', true], ['> 2.4.62', false], ['>= 2.4.62', true], ['>= 2.4.7', true], ['< 2.5', true], ['< 2.4', false], ['<= 2.4.62', true],
    ['!= 2.4.62', false], ['!< 2.5', false], ['!>= 3', true],
    ['~ ^2\\.4\\.', true], ['!~ ^2\\.2', true], ['/^2\\.4/', true], ['= /^2\\.2/', false], ['== /62$/', true],
    ['!2.4.62', 'Version appears to be invalid. It must have the format major[.minor[.patch]] where major, minor and patch are numbers.'],
    ['< /2/', 'Version appears to be invalid. It must have the format major[.minor[.patch]] where major, minor and patch are numbers.'],
    ['2.4.1.2', 'Version appears to be invalid. It must have the format major[.minor[.patch]] where major, minor and patch are numbers.'],
    ['! 2.4', "unrecognized operator '!'"], ['=> 2.4', "unrecognized operator '=>'"],
    ['~ (', 'Unable to compile regular expression'], ['> 2.4 extra', "<IfVersion> directive missing closing '>'"],
  ];
  for (const [args, expected] of CASES) {
    test(`<IfVersion ${args}>`, () => {
      const words = args.split(' ');
      if (typeof expected === 'boolean') assert.equal(ifVersion(words), expected);
      else assert.throws(() => ifVersion(words), { message: expected });
    });
  }

  test('a section of the config: entered or skipped, an error with Apache\'s message at its line', () => {
    const { errors, marks } = parse({
      'main.conf': '<IfVersion >= 2.4>\nServerAlias new\n</IfVersion>\n<IfVersion < 2.4>\nServerAlias old\n</IfVersion>\n<IfVersion ~ (>\nServerAlias bad\n</IfVersion>\n',
    });
    assert.deepEqual(marks, ['new']);
    assert.deepEqual(errors, ['Unable to compile regular expression']);
  });
});

describe('<IfFile>', () => {
  test('a path relative to ServerRoot, or absolute; any kind of file; ! negates, apart or not', () => {
    const { errors, marks } = parse({
      'main.conf': ['<IfFile main.conf>', 'ServerAlias relative', '</IfFile>', '<IfFile /nonexistent/x>', 'ServerAlias missing', '</IfFile>',
        '<IfFile !/nonexistent/x>', 'ServerAlias negated', '</IfFile>', '<IfFile ! conf.d>', 'ServerAlias apart', '</IfFile>',
        '<IfFile conf.d>', 'ServerAlias directory', '</IfFile>', '<IfFile !>', '</IfFile>'].join('\n') + '\n',
      'conf.d/x.conf': '',
    });
    assert.deepEqual(marks, ['relative', 'negated', 'directory']);
    assert.deepEqual(errors, ['<IfFile> directive requires additional arguments']);
  });
});

/** The version `apache2 -v` reports. */
function installedVersion(): string {
  return /Apache\/(\d+\.\d+\.\d+)/.exec(execFileSync(APACHE, ['-v'], { encoding: 'utf8' }))![1]!;
}

// Apache answers as its own version, so tswsgi's evaluator is compared at that version.
describe('<IfVersion> and <IfFile> as apache2 -t answers them', { skip: !fs.existsSync(APACHE) && 'no apache2' }, () => {
  const SECTIONS = ['IfVersion 2.4', 'IfVersion >= 2.4.7', 'IfVersion < 2.5', 'IfVersion !~ ^2\\.2', 'IfVersion /^2\\.4/', 'IfVersion = /^2\\.3/',
    'IfVersion != 2.4.0', 'IfVersion !2.4', 'IfVersion ! 2.4', 'IfVersion ~ (', 'IfFile main.conf', 'IfFile !main.conf', 'IfFile /nonexistent'];
  for (const section of SECTIONS) {
    test(`<${section}>`, () => {
      const name = section.split(' ')[0]!;
      const conf = ['LoadModule mpm_event_module /usr/lib/apache2/modules/mod_mpm_event.so', 'Listen 127.0.0.1:18080',
        `<${section}>`, 'Error entered', `</${name}>`].join('\n') + '\n';
      const dir = tempDir({ 'main.conf': conf, 'logs/.keep': '' });
      try {
        const apache = spawnSync(APACHE, ['-t', '-d', dir, '-f', path.join(dir, 'main.conf')], { encoding: 'utf8' });
        // Apache's message follows a newline, or a space for one found before the config is read.
        const said = /Syntax error on line \d+ of [^:]+:\s(.*)/.exec(apache.stderr)?.[1] ?? null;
        const words = section.split(' ').slice(1);
        let ours: string | null;
        if (name === 'IfVersion') {
          try {
            ours = ifVersion(words, installedVersion()) ? 'entered' : null;
          } catch (err) {
            ours = (err as Error).message;
          }
        } else {
          const { errors, marks } = parse({ 'main.conf': conf.replace('Error entered', 'ServerAlias entered') });
          ours = errors[0] ?? (marks.length ? 'entered' : null);
        }
        assert.equal(ours, said, apache.stderr);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});

describe('--envvars', () => {
  /** readEnvvars of `text` in `env`, or its error with the file shown as F. */
  function envvars(text: string, env: NodeJS.ProcessEnv = {}): Record<string, string> | string {
    const dir = tempDir({ envvars: text });
    try {
      return readEnvvars(path.join(dir, 'envvars'), env);
    } catch (err) {
      return (err as Error).message.replaceAll(path.join(dir, 'envvars'), 'F');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }

  test('assignments, export, unset, quotes and the ${} forms; only what is exported comes out, over the environment', () => {
    const result = envvars([
      '# a comment', 'unset HOME', 'BASE=/srv', 'export A=$BASE/a B="${BASE}/b c" C=\'$BASE\'', 'export D=${UNSET:-default} E=${EMPTY-kept}',
      'F=${BASE#/} G=${PATH##/usr}', 'export F', 'export H=x\\$y # trailing comment', 'PATH=/opt/bin',
    ].join('\n') + '\n', { HOME: '/root', PATH: '/usr/bin', EMPTY: '' });
    assert.deepEqual(result, { PATH: '/opt/bin', EMPTY: '', A: '/srv/a', B: '/srv/b c', C: '$BASE', D: 'default', E: '', F: 'srv', H: 'x$y' });
  });

  test('if [ A = B ]; then ... else ... fi, nested, = and !=', () => {
    const text = ['if [ "$X" = yes ] ; then', '  export R=yes', '  if [ "$Y" != "" ]; then', '    export S=$Y', '  fi', 'else', '  export R=no', 'fi'].join('\n');
    assert.deepEqual(envvars(text, { X: 'yes', Y: 'y' }), { X: 'yes', Y: 'y', R: 'yes', S: 'y' });
    assert.deepEqual(envvars(text, {}), { R: 'no' });
  });

  test('anything that needs a shell is refused, naming file:line and the set -a alternative', () => {
    const CASES: Array<[string, string]> = [
      ['ulimit -n 65536', "'ulimit' is a command"],
      ['. /etc/default/locale', "'.' is a command"],
      ['export A=$(hostname)', "'$(' needs a shell"],
      ['export A=`hostname`', 'command substitution'],
      ['A=${B:+x}', '${B:+x} needs a shell'],
      ['if test -f x; then', 'only `if [ A = B ]; then`'],
      ['fi', "'fi' without its if"],
      ['A="open', 'unterminated'],
    ];
    for (const [line, expected] of CASES) {
      const message = envvars(`# first\n${line}\n`) as string;
      assert.equal(typeof message, 'string', line);
      assert.ok(message.startsWith('F:2: ') && message.includes(expected) && message.includes('set -a; . F'), `${line}: ${message}`);
    }
  });

  test('Debian\'s own envvars gives what `set -a; . envvars` exports, for one instance and for apache2-NAME', { skip: !fs.existsSync(DEBIAN_ENVVARS) && 'no ' + DEBIAN_ENVVARS }, () => {
    for (const env of [{ PATH: '/usr/bin:/bin' }, { PATH: '/usr/bin:/bin', APACHE_CONFDIR: '/etc/apache2-two' }]) {
      const printed = execFileSync('sh', ['-c', `. ${DEBIAN_ENVVARS}; env -0`], { encoding: 'utf8', env });
      const shell = Object.fromEntries(printed.split('\0').filter(Boolean).map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]));
      delete shell.PWD;
      delete shell.SHLVL;
      delete shell._;
      assert.deepEqual(readEnvvars(DEBIAN_ENVVARS, env), shell);
    }
  });
});

describe('-d, -C and -c, as apache2 has them', () => {
  const MAIN = ['Listen 127.0.0.1:18080', 'ServerName ${NAME}', '<IfDefine BEFORE>', 'Alias /before-seen-by-the-file /tmp', '</IfDefine>'].join('\n') + '\n';

  test('-C is read before the file, -c after it; their errors are at lines of "-c/-C directives"', () => {
    const dir = tempDir({ 'main.conf': MAIN });
    try {
      const result = loadConfig(path.join(dir, 'main.conf'), {
        defines: [], python: 'python3', pythonSource: 'test', env: {},
        before: ['Define NAME first', 'Define BEFORE'], after: ['Define NAME ignored', 'Alias /after /tmp', 'Bogus x'],
      });
      assert.equal(result.config.main.serverName, 'first');
      assert.deepEqual(result.config.main.aliases.map((alias) => alias.pattern), ['/before-seen-by-the-file', '/after']);
      assert.deepEqual(result.errors.map((e) => e.message), ['Syntax error on line 3 of -c/-C directives: Invalid command \'Bogus\', perhaps misspelled or defined by a module not included in the server configuration']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('-d is ServerRoot (Include and IfFile are relative to it) and what a relative -f is relative to', () => {
    const dir = tempDir({ 'conf/main.conf': 'Listen 127.0.0.1:18080\nInclude conf.d/*.conf\n<IfFile conf.d>\nAlias /iffile /tmp\n</IfFile>\n', 'conf.d/site.conf': 'ServerName site\n' });
    try {
      const result = loadConfig('conf/main.conf', { defines: [], python: 'python3', pythonSource: 'test', env: {}, serverRoot: dir });
      assert.deepEqual(result.errors, []);
      assert.equal(result.config.serverRoot, dir);
      assert.equal(result.config.main.serverName, 'site');
      assert.deepEqual(result.config.main.aliases.map((alias) => alias.pattern), ['/iffile']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('configtest takes -d, -C, -c and --envvars, as apache2 -t does', () => {
    const dir = tempDir({ 'main.conf': MAIN, envvars: 'export NAME=from-envvars\n', 'logs/.keep': '' });
    try {
      const args = ['-d', dir, '-f', 'main.conf', '-C', 'Define BEFORE', '-c', 'Error after ${NAME}'];
      const ours = spawnSync(process.execPath, [BIN, 'configtest', ...args, '--envvars', path.join(dir, 'envvars')], { encoding: 'utf8', env: { PATH: process.env.PATH } });
      assert.equal(ours.status, 1);
      assert.match(ours.stderr, /Syntax error on line 1 of -c\/-C directives: Error \(core_module\) is not supported by tswsgi: the configuration asks to fail here/);
      assert.ok(ours.stderr.includes(`1 error in ${path.join(dir, 'main.conf')}`), ours.stderr);
      if (fs.existsSync(APACHE)) {
        // Apache needs an MPM (and then mod_alias): for tswsgi, a file without one may use what it implements.
        const modules = ['mpm_event', 'alias'].flatMap((name) => ['-C', `LoadModule ${name}_module /usr/lib/apache2/modules/mod_${name}.so`]);
        const apache = spawnSync(APACHE, ['-t', ...modules, ...args], { encoding: 'utf8', env: { PATH: process.env.PATH, NAME: 'from-envvars' } });
        assert.match(apache.stderr, /Syntax error on line 1 of -c\/-C directives:\nafter from-envvars/);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('Red Hat\'s stock httpd layout (test/fixtures/redhat, as /etc/httpd) with a WSGI site', () => {
  test('every directive reads, configtest exits 0: modules of conf.modules.d (log_config, version, ... too), sites of conf.d; no "Invalid command"', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tswsgi-redhat-'));
    try {
      fs.cpSync(path.join(REPO, 'test', 'fixtures', 'redhat'), dir, { recursive: true });
      fs.mkdirSync(path.join(dir, 'logs'));
      const conf = path.join(dir, 'conf', 'httpd.conf');
      fs.writeFileSync(conf, fs.readFileSync(conf, 'utf8').replace('ServerRoot "/etc/httpd"', `ServerRoot "${dir}"`));
      const result = spawnSync(process.execPath, [BIN, 'configtest', '-f', conf], { encoding: 'utf8' });
      assert.doesNotMatch(result.stderr, /Invalid command/);
      // Every line of the stock files reads: implemented, or accepted with a warning.
      assert.doesNotMatch(result.stderr, /Syntax error|not supported/);
      assert.equal(result.status, 0, result.stderr);
      assert.match(result.stderr, /UserDir \(userdir_module\) has no effect in tswsgi: tswsgi maps no ~user URLs, as with UserDir disabled/);

      const loaded = loadConfig(conf, { defines: [], python: 'python3', pythonSource: 'test', env: {} });
      const site = loaded.config.vhosts.find((vhost) => vhost.serverName === 'app.example.com');
      assert.ok(site, 'conf.d/wsgi-app.conf\'s virtual host');
      assert.ok(loaded.config.processGroups.some((group) => group.name === 'app'));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
