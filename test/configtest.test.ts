// `tswsgi configtest -f FILE` on the fixture configs, run as a user runs it (bin/tswsgi.js).
//
// test/fixtures/bad-conf/NN-short-name.conf: each is broken; its leading comment lines
// `# expect: line N: message` name every error configtest must print, as
// `tswsgi: Syntax error on line N of <absolute path of the fixture>: message`, and no other
// (`# expect: file: message` one of the file as a whole, `tswsgi: Configuration error in <path>: message`)
// (N counts the fixture's own lines; `${FIXTURE_DIR}` in a message stands for the fixture folder).
// The messages are Apache's and mod_wsgi's own, checked with Debian's apache2 2.4 + mod_wsgi 4.9.4
// (`apache2 -t` on a wrapper that Includes the fixture); a fixture whose comments say "Differs from
// Apache on purpose" expects tswsgi's wording and says why.
//
// test/fixtures/good-conf/*.conf: each must print only `Syntax OK` and exit 0. They are run with
// FIXTURE_DIR set to their folder, which they use for ServerRoot and absolute paths.

import { after, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DAEMON_OPTIONS } from '../src/config/daemon-options';

// __dirname is dist/test.
const REPO = path.resolve(__dirname, '..', '..');
const BIN = path.join(REPO, 'bin', 'tswsgi.js');
const BAD = path.join(REPO, 'test', 'fixtures', 'bad-conf');
const GOOD = path.join(REPO, 'test', 'fixtures', 'good-conf');

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

function configtest(file: string, env: NodeJS.ProcessEnv, args: string[] = []): Promise<Outcome> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, 'configtest', '-f', file, ...args], { cwd: REPO, env, timeout: 30_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** The environment without FIXTURE_DIR, or with it set to `dir`. */
function envWith(dir: string | null): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.FIXTURE_DIR;
  if (dir !== null) env.FIXTURE_DIR = dir;
  return env;
}

const confs = (dir: string) => fs.readdirSync(dir).filter((name) => name.endsWith('.conf')).sort();

interface Expectation {
  /** 0: the file as a whole. */
  line: number;
  message: string;
}

/** The `# expect: line N: message` lines of the leading comment block. */
function expectations(file: string): Expectation[] {
  const found: Expectation[] = [];
  for (const text of fs.readFileSync(file, 'utf8').split('\n')) {
    if (!text.startsWith('#')) break;
    const m = /^# expect: (?:line (\d+)|file): (.+)$/.exec(text);
    if (m) found.push({ line: Number(m[1] ?? 0), message: m[2]!.replaceAll('${FIXTURE_DIR}', path.dirname(file)) });
  }
  return found;
}

describe('configtest on broken configs (test/fixtures/bad-conf)', { concurrency: 8 }, () => {
  const names = confs(BAD);

  test('there are at least 30, named NN-short-name.conf, each with its expectation on its first line', () => {
    assert.ok(names.length >= 30, `only ${names.length} fixtures`);
    for (const name of names) {
      assert.match(name, /^\d{2}-[a-z0-9]+(-[a-z0-9]+)*\.conf$/);
      assert.match(fs.readFileSync(path.join(BAD, name), 'utf8').split('\n')[0]!, /^# expect: (line \d+|file): ./, name);
    }
  });

  for (const name of names) {
    test(name, async () => {
      const file = path.join(BAD, name);
      const expected = expectations(file);
      const { code, stderr } = await configtest(file, envWith(null));
      assert.equal(code, 1, `exit code; stderr:\n${stderr}`);
      const printed = stderr.split('\n').filter((l) => l.includes('Syntax error') || l.includes('Configuration error'));
      for (const { line, message } of expected) {
        const wanted = line > 0 ? `tswsgi: Syntax error on line ${line} of ${file}: ${message}` : `tswsgi: Configuration error in ${file}: ${message}`;
        assert.ok(printed.includes(wanted), `missing:\n  ${wanted}\nprinted:\n  ${printed.join('\n  ')}`);
      }
      assert.equal(printed.length, expected.length, `unexpected errors:\n  ${printed.join('\n  ')}`);
      assert.doesNotMatch(stderr, /Syntax OK/);
    });
  }
});

describe('configtest on good configs (test/fixtures/good-conf)', { concurrency: 4 }, () => {
  const names = confs(GOOD);

  test('there are the three kinds: stand-alone Apache, no LoadModule, Include/Define/IfDefine/IfModule', () => {
    assert.ok(names.length >= 3, names.join(', '));
    const text = (name: string) => fs.readFileSync(path.join(GOOD, name), 'utf8');
    assert.ok(names.some((n) => /^ServerRoot /m.test(text(n)) && /^LoadModule /m.test(text(n)) && /^<VirtualHost /m.test(text(n))));
    assert.ok(names.some((n) => !/^\s*LoadModule /m.test(text(n)) && !/^\s*Include/m.test(text(n))));
    assert.ok(names.some((n) => ['Include', 'Define', '<IfDefine', '<IfModule'].every((d) => new RegExp(`^\\s*${d} `, 'm').test(text(n)))));
  });

  for (const name of names) {
    test(name, async () => {
      const { code, stdout, stderr } = await configtest(path.join(GOOD, name), envWith(GOOD));
      assert.equal(stderr, 'Syntax OK\n');
      assert.equal(stdout, '');
      assert.equal(code, 0);
    });
  }

  test('without FIXTURE_DIR a fixture that needs it fails, naming the variable', async () => {
    const { code, stderr } = await configtest(path.join(GOOD, '01-apache-standalone.conf'), envWith(null));
    assert.equal(code, 1);
    assert.match(stderr, /Config variable \$\{FIXTURE_DIR\} is not defined/);
  });
});

// What a config can name that would make reading it never end, or end badly: each is refused
// with its file:line. The configtest runs are killed after LIMIT_MS, so a regression fails
// instead of hanging the suite; a good run takes a few hundred milliseconds.
describe('configtest refuses what cannot be read to the end, quickly', { concurrency: 4 }, () => {
  const LIMIT_MS = 10_000;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tswsgi-configtest-'));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** configtest of `lines` (after a Listen line) in a file of its own, and the file's path. */
  async function check(name: string, lines: string[]): Promise<Outcome & { file: string }> {
    const file = path.join(dir, `${name}.conf`);
    fs.writeFileSync(file, ['Listen 127.0.0.1:0', ...lines].join('\n') + '\n');
    const outcome = await new Promise<Outcome>((resolve) => {
      execFile(process.execPath, [BIN, 'configtest', '-f', file], { cwd: REPO, env: envWith(null), timeout: LIMIT_MS }, (err, stdout, stderr) => {
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
      });
    });
    return { ...outcome, file };
  }

  /** Exactly these errors, `line: message`, with the file's path; and exit status 1. */
  function assertErrors(outcome: Outcome & { file: string }, expected: string[]): void {
    const printed = outcome.stderr.split('\n').filter((l) => l.includes('Syntax error'));
    assert.deepEqual(printed, expected.map((e) => {
      const [, line, message] = /^(\d+): (.*)$/s.exec(e)!;
      return `tswsgi: Syntax error on line ${line} of ${outcome.file}: ${message}`;
    }), outcome.stderr);
    assert.equal(outcome.code, 1, `exit code (-1: killed after ${LIMIT_MS} ms)`);
  }

  const notRegular = (kind: string) => `not a regular file but ${kind} (tswsgi, like Apache, reads configuration only from regular files)`;

  for (const device of ['/dev/zero', '/dev/urandom']) {
    test(`Include ${device}`, async () => {
      assertErrors(await check(`include-${device.slice(5)}`, [`Include ${device}`]),
        [`2: Could not open configuration file ${device}: ${notRegular('a character device')}`]);
    });
  }

  test('Include of a FIFO, itself or in an included directory, is refused without opening it', async () => {
    const fifos = path.join(dir, 'fifos');
    fs.mkdirSync(fifos);
    execFileSync('mkfifo', [path.join(fifos, 'pipe.conf')]);
    const fifo = path.join(fifos, 'pipe.conf');
    assertErrors(await check('include-fifo', [`Include ${fifo}`, `IncludeOptional ${fifos}/*.conf`]), [
      `2: Could not open configuration file ${fifo}: ${notRegular('a FIFO')}`,
      `3: Could not open configuration file ${fifo}: ${notRegular('a FIFO')}`,
    ]);
  });

  test('Include /dev/null is empty, as in Apache', async () => {
    const { code, stderr } = await check('include-null', ['Include /dev/null']);
    assert.equal(stderr, 'Syntax OK\n');
    assert.equal(code, 0);
  });

  test('TypesConfig of a device or a directory', async () => {
    assertErrors(await check('typesconfig', ['TypesConfig /dev/zero', `TypesConfig ${dir}`]), [
      `2: could not open mime types config file /dev/zero: ${notRegular('a character device')}`,
      `3: could not open mime types config file ${dir}: ${notRegular('a directory')}`,
    ]);
  });

  test('100,000 nested <IfDefine>: one error at the section past the cap', async () => {
    const depth = 100_000;
    const outcome = await check('nested', ['Define X', ...Array<string>(depth).fill('<IfDefine X>'), ...Array<string>(depth).fill('</IfDefine>')]);
    assertErrors(outcome, [`${3 + 128}: <IfDefine> nested more than 128 sections deep`]);
  });

  test('128 nested sections are fine', async () => {
    const { code, stderr } = await check('nested-128', ['Define X', ...Array<string>(128).fill('<IfDefine X>'), ...Array<string>(128).fill('</IfDefine>')]);
    assert.equal(stderr, 'Syntax OK\n');
    assert.equal(code, 0);
  });

  test('a Define that doubles itself until the line is over 1 MiB', async () => {
    const outcome = await check('define', ['Define A ' + 'x'.repeat(1000), ...Array<string>(40).fill('Define A ${A}${A}'), 'ServerAdmin ${A}']);
    // 1000 x 2^10 is the last value that fits: each later doubling is refused, and A keeps that value.
    const tooLong = 'Line too long: over 1048576 characters once ${...} variables are substituted';
    assertErrors(outcome, Array.from({ length: 30 }, (_, i) => `${13 + i}: ${tooLong}`));
  });

  // Node.js fires any timer over 2^31-1 ms after 1 ms: a longer timeout would expire at once.
  const timers = [...DAEMON_OPTIONS.filter((o) => o.kind.type === 'seconds').map((o) => o.name), 'Timeout', 'KeepAliveTimeout'];
  const timerLines = (seconds: number) => timers.map((name) => (/^[A-Z]/.test(name) ? `${name} ${seconds}` : `WSGIDaemonProcess g-${name} ${name}=${seconds}`));

  test('every timeout is at most 2147483 seconds', async () => {
    const outcome = await check('timers-too-long', timerLines(2_147_484));
    const tooLong = '2147484 seconds is longer than tswsgi can time (Node.js timers reach 2147483647 ms); allowed: 0 to 2147483.';
    assertErrors(outcome, timers.map((name, i) => {
      const option = DAEMON_OPTIONS.find((o) => o.name === name);
      return `${2 + i}: ${option ? `Invalid ${option.label} for WSGI daemon process: ` : `${name}: `}${tooLong}`;
    }));
  });

  test('2147483 seconds is accepted for every timeout', async () => {
    const { code, stderr } = await check('timers-longest', timerLines(2_147_483));
    assert.equal(stderr, 'Syntax OK\n');
    assert.equal(code, 0);
  });
});

// Each group's interpreter is run once (asked its version) before Syntax OK: a wrong python-home,
// WSGIPythonHome or --python is one error naming what chose it, not a respawn loop at start.
describe('configtest checks the Python of every process group', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tswsgi-configtest-python-'));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  async function run(lines: string[], args: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<Outcome & { file: string }> {
    const file = path.join(dir, `${fs.readdirSync(dir).length}.conf`);
    fs.writeFileSync(file, ['Listen 127.0.0.1:0', ...lines].join('\n') + '\n');
    return { ...(await configtest(file, { ...envWith(null), ...env }, args)), file };
  }

  test('a python-home or WSGIPythonHome without a python3 is an error at the directive\'s file:line; no Syntax OK', async () => {
    const outcome = await run(['WSGIDaemonProcess app python-home=/nonexistent', 'WSGIDaemonProcess debian python-home=/usr', 'WSGIPythonHome /nonexistent2']);
    assert.equal(outcome.stderr, [
      `tswsgi: ${outcome.file}:4: WSGIPythonHome /nonexistent2: Python interpreter '/nonexistent2/bin/python3' could not be run: No such file or directory`,
      `tswsgi: ${outcome.file}:2: WSGIDaemonProcess app python-home=/nonexistent: Python interpreter '/nonexistent/bin/python3' could not be run: No such file or directory`,
      `tswsgi: 2 errors in ${outcome.file}`,
      '',
    ].join('\n'));
    assert.equal(outcome.code, 1);
  });

  test('--python and TSWSGI_PYTHON are named as what chose the interpreter', async () => {
    const option = await run([], ['--python', '/nonexistent/python3']);
    assert.equal(option.stderr, `tswsgi: --python /nonexistent/python3: Python interpreter '/nonexistent/python3' could not be run: No such file or directory\ntswsgi: 1 error in ${option.file}\n`);
    assert.equal(option.code, 1);
    const env = await run([], [], { TSWSGI_PYTHON: '/bin/false' });
    assert.equal(env.stderr, `tswsgi: TSWSGI_PYTHON=/bin/false: Python interpreter '/bin/false' exited with status 1 when asked its version\ntswsgi: 1 error in ${env.file}\n`);
    assert.equal(env.code, 1);
  });
});
