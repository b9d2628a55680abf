// Piped logs as Apache runs them: ErrorLog, CustomLog and TransferLog to programs ("|", "||",
// "|$" through the shell), started with the server, started again when one dies (the lines of
// the meantime reach the new one), kept running across a graceful restart that still names
// them, given end-of-file when one no longer does and at shutdown. A real program reads them:
// a shell script that records its starts and its end of input, and Apache's rotatelogs.

import { after, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { commandWords } from '../src/log/log-target';
import { APPS, BIN, ROOT, request, startServe, tempDir, waitFor } from './helpers/tswsgi';

const run = promisify(execFile);

describe('a piped log\'s command, split as apr_tokenize_to_argv splits it', () => {
  test('blanks split words; quotes group; a backslash takes the next character', () => {
    assert.deepEqual(commandWords('/usr/bin/rotatelogs  -l /var/log/x.%Y 86400'), ['/usr/bin/rotatelogs', '-l', '/var/log/x.%Y', '86400']);
    assert.deepEqual(commandWords(`prog "two words" 'single quoted' a\\ b`), ['prog', 'two words', 'single quoted', 'a b']);
  });
});

describe('piped logs of a running server', () => {
  const dir = tempDir('tswsgi-log-pipes-');
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  // Records "start PID" when it starts and "eof PID" once its input ends; copies its input to NAME.out.
  const program = path.join(dir, 'logpipe.sh');
  fs.writeFileSync(program, '#!/bin/sh\necho "start $$" >> "$(dirname "$0")/$1.events"\ncat >> "$(dirname "$0")/$1.out"\necho "eof $$" >> "$(dirname "$0")/$1.events"\n', { mode: 0o755 });
  const read = (name: string) => (fs.existsSync(path.join(dir, name)) ? fs.readFileSync(path.join(dir, name), 'utf8') : '');
  const eventually = (name: string, pattern: RegExp) => waitFor(() => pattern.test(read(name)), () => `${name} to match ${pattern}:\n${read(name)}`);
  const starts = (name: string) => [...read(`${name}.events`).matchAll(/^start (\d+)$/gm)].map((m) => Number(m[1]));
  const conf = path.join(dir, 'httpd.conf');
  const site = (transfer: boolean) => `Listen 127.0.0.1:0
ServerRoot ${dir}
LogLevel info
ErrorLog "|logpipe.sh error"
CustomLog "||${program} access" "%r %>s"
${transfer ? `LogFormat "transfer %U"\nTransferLog "|$ ${program} transfer"` : ''}
WSGIScriptAlias / ${APPS}/probe.wsgi
`;
  const graceful = (pid: number) => run(process.execPath, [BIN, 'graceful', '--pid', String(pid)], { timeout: 60_000 });

  test('lines reach the programs; a killed one is started again; graceful keeps it; shutdown ends its input', { timeout: 90_000 }, async () => {
    fs.writeFileSync(conf, site(true));
    const server = await startServe(conf);
    try {
      assert.equal((await request(`${server.url}/one`)).status, 200);
      await eventually('access.out', /^GET \/one HTTP\/1.1 200$/m);
      await eventually('transfer.out', /^transfer \/one$/m);
      // Relative to ServerRoot, as execve finds it when Apache runs the program there.
      await eventually('error.out', /\[tswsgi:info\] .*is ready after/);
      assert.equal(server.errorLog(), '', 'nothing goes to stderr once the ErrorLog program runs');

      const [first] = starts('access');
      process.kill(-first!, 'SIGKILL');
      await eventually('error.out', new RegExp(`piped log program '${program} access' failed unexpectedly \\(signal SIGKILL\\)`));
      await waitFor(() => starts('access').length === 2, 'a second access program');
      assert.equal((await request(`${server.url}/two`)).status, 200);
      await eventually('access.out', /^GET \/two HTTP\/1.1 200$/m);

      // The new config no longer has TransferLog: its program gets end-of-file; the others run on.
      fs.writeFileSync(conf, site(false));
      await graceful(server.child.pid!);
      await eventually('transfer.events', /^eof \d+$/m);
      assert.equal((await request(`${server.url}/three`)).status, 200);
      await eventually('access.out', /^GET \/three HTTP\/1.1 200$/m);
      assert.equal(starts('access').length, 2, 'graceful kept the access program');
      assert.equal(starts('error').length, 1, 'graceful kept the error program');
      assert.doesNotMatch(read('transfer.out'), /three/);

      assert.equal(await server.stop(), 0);
      // End-of-file, not a signal: the script lived to write its last line.
      assert.match(read('access.events'), new RegExp(`^eof ${starts('access')[1]}$`, 'm'));
      assert.match(read('error.events'), /^eof \d+$/m);
      assert.match(read('error.out'), /SIGTERM received/);
    } finally {
      await server.stop('SIGKILL');
    }
  });

  test('Apache\'s rotatelogs writes the access and error logs', { timeout: 60_000, skip: fs.existsSync('/usr/bin/rotatelogs') ? false : 'no /usr/bin/rotatelogs (apache2-utils)' }, async () => {
    const logs = path.join(dir, 'rotated');
    fs.mkdirSync(logs);
    const rotated = path.join(dir, 'rotated.conf');
    fs.writeFileSync(rotated, `Listen 127.0.0.1:0
LogLevel info
ErrorLog "|/usr/bin/rotatelogs ${logs}/error.%Y-%m-%d 86400"
CustomLog "|/usr/bin/rotatelogs -f ${logs}/access.%Y-%m-%d 86400" common
WSGIScriptAlias / ${APPS}/probe.wsgi
`);
    const server = await startServe(rotated);
    try {
      assert.equal((await request(`${server.url}/rotated`)).status, 200);
      const file = (prefix: string) => fs.readdirSync(logs).find((name) => name.startsWith(prefix));
      const content = (prefix: string) => { const name = file(prefix); return name ? fs.readFileSync(path.join(logs, name), 'utf8') : ''; };
      await waitFor(() => /"GET \/rotated HTTP\/1.1" 200/.test(content('access.')), () => `the access log in ${logs}: ${fs.readdirSync(logs)}`);
      assert.match(file('access.')!, /^access\.\d{4}-\d\d-\d\d$/);
      await waitFor(() => /is ready after/.test(content('error.')), () => `the error log in ${logs}`);
      assert.equal(await server.stop(), 0);
      assert.match(content('error.'), /SIGTERM received/);
    } finally {
      await server.stop('SIGKILL');
    }
  });

  test('configtest names piped logs it cannot run and ErrorLog syslog, with file:line', async () => {
    const bad = path.join(dir, 'bad.conf');
    fs.writeFileSync(bad, [
      'Listen 127.0.0.1:0',
      'ErrorLog "|/nonexistent/logger"',
      'ErrorLog syslog:local1',
      'ErrorLog "|"',
      `CustomLog "|${dir}" common`,
      'ErrorLog bogus /x',
    ].join('\n') + '\n');
    const stderr = await run(process.execPath, [BIN, 'configtest', '-f', bad], { cwd: ROOT }).then(() => '', (err: { stderr: string }) => err.stderr);
    const at = (line: number, message: string) => `tswsgi: Syntax error on line ${line} of ${bad}: ${message}`;
    assert.deepEqual(stderr.split('\n').filter((l) => l.includes('Syntax error')), [
      at(2, 'the piped log program \'/nonexistent/logger\' is not an executable file'),
      at(3, 'ErrorLog syslog is not supported by tswsgi: log to a file, or pipe to logger, as in ErrorLog "|/usr/bin/logger -t apache2 -p local1.err"'),
      at(4, 'the piped log "|" names no program; expected "|/path/to/program arguments"'),
      at(5, `the piped log program '${dir}' is not an executable file`),
      at(6, 'Unknown ErrorLog provider: bogus'),
    ]);
  });
});
