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
import { APACHE_VERSION, ifVersion } from '../src/config/if-version';
import { newModuleRegistry } from '../src/config/modules';

const APACHE = '/usr/sbin/apache2';

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
