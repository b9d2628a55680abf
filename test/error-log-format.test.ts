// ErrorLogFormat as Apache 2.4 reads and renders it (log.c's field rules), the error log's
// scopes (a vhost's ErrorLog takes its requests' lines, the worker's included), and
// mod_log_config's TransferLog and GlobalLog, in a running server.

import { after, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { ErrorLog, errorLogStamp, type ConnectionFacts, type ErrorLogRoutes, type RequestFacts } from '../src/log/error-log';
import { ErrorLogFormatError, parseErrorLogFormat, type ErrorLogFormats } from '../src/log/error-log-format';
import { APPS, BIN, ROOT, request, startServe, tempDir, waitFor } from './helpers/tswsgi';

const run = promisify(execFile);
process.env.TZ = 'America/New_York';

/** An error log writing into `lines`, with these formats for the main server and for vhost 'own.conf:3'. */
function logWith(main: Partial<ErrorLogFormats>, vhost: Partial<ErrorLogFormats> | null = null) {
  const lines: string[] = [];
  const vhostLines: string[] = [];
  const formats = (f: Partial<ErrorLogFormats>): ErrorLogFormats => ({ main: f.main ?? null, connection: f.connection ?? [], request: f.request ?? [] });
  const routes: ErrorLogRoutes = {
    main: { write: (line) => lines.push(line), formats: formats(main) },
    serverName: 'main.test',
    vhosts: new Map(vhost ? [['own.conf:3', { write: (line: string) => vhostLines.push(line), formats: formats(vhost) }]] : []),
  };
  const log = new ErrorLog('debug');
  log.route(routes);
  return { log, lines, vhostLines };
}

function connection(): ConnectionFacts {
  return { remote: '10.0.0.9:4000', local: '127.0.0.1:80', keepalives: () => 2, logId: 'CONNID', logged: false };
}

function requestFacts(headers: Record<string, string> = {}, vhost: string | null = null): RequestFacts {
  return {
    connection: connection(), remote: '10.0.0.1:5555',
    header: (name) => headers[name.toLowerCase()], variable: (name) => (name === 'FLAG' ? 'on' : undefined),
    logId: 'REQID', serverName: 'own.test', hostName: 'alias.test', vhost, logged: false,
  };
}

const main = (format: string) => parseErrorLogFormat(format, true);

describe('ErrorLogFormat parsing', () => {
  test('items, "\\ " inside a field, "% " as a divider, modifiers in any order', () => {
    assert.deepEqual(main('[%-{Referer}i] %M% ,\\ x'), [
      { kind: 'text', text: '[', separator: false },
      { kind: 'field', code: 'i', argument: 'Referer', separator: false, required: false, hyphen: true, minLevel: 0 },
      { kind: 'text', text: ']', separator: false },
      { kind: 'text', text: ' ', separator: true },
      { kind: 'message', separator: false },
      { kind: 'text', text: ', x', separator: true },
    ]);
    assert.deepEqual(parseErrorLogFormat('%+{c}a', false), [{ kind: 'field', code: 'a', argument: 'c', separator: false, required: true, hyphen: false, minLevel: 0 }]);
  });

  const refused: Array<[string, boolean, string]> = [
    ['[%t] %x %M', true, 'Unrecognized error log format directive %x'],
    ['[%t]', true, "main ErrorLogFormat must contain message format string '%M'"],
    ['%M', false, '%M cannot be used in once-per-request or once-per-connection formats'],
    ['%+{Referer}i %M', true, "The '+' flag cannot be used in the main error log format"],
    ['%4a', false, 'The loglevel cannot be used as a condition in once-per-request or once-per-connection formats'],
    ['%16a %M', true, 'The specified loglevel modifier is out of range'],
    ['%{Referer', true, 'Ran off end of error log format parsing args to some directive'],
    ['%{%Y}t %M', true, '%{%Y}t: tswsgi does not format the error log\'s time with strftime; use %t, %{u}t, %{cu}t or %{cuz}t'],
  ];
  for (const [format, isMain, message] of refused) {
    test(`refuses ${JSON.stringify(format)}`, () => {
      assert.throws(() => parseErrorLogFormat(format, isMain), (err: Error) => err instanceof ErrorLogFormatError && err.message === message);
    });
  }
});

describe('ErrorLogFormat rendering', () => {
  test('an item with nothing removes its field; "-" writes a hyphen; the message is always written', () => {
    const { log, lines } = logWith({ main: main('[%l] [client\\ %a] [%-{Referer}i] %M% ,\\ referer\\ %{Referer}i') });
    log.error('no request');
    log.log('warn', 'with one', 'tswsgi', requestFacts({ referer: 'http://r/' }));
    log.log('warn', 'without referer', 'tswsgi', requestFacts());
    assert.deepEqual(lines, [
      '[error] [-] no request\n',
      '[warn] [client 10.0.0.1:5555] [http://r/] with one, referer http://r/\n',
      '[warn] [client 10.0.0.1:5555] [-] without referer\n',
    ]);
  });

  test('a level number writes the item only for messages at that level or finer', () => {
    const { log, lines } = logWith({ main: main('[%7m] [%l] %M') });
    log.error('severe');
    log.debug('fine');
    assert.deepEqual(lines, [' [error] severe\n', '[tswsgi] [debug] fine\n']);
  });

  test('request and connection fields; %v is the main server\'s outside a request', () => {
    const { log, lines } = logWith({ main: main('%v %V %L %{c}L %{C}L %k %A %{c}a %{FLAG}e %{X-Y}i %P %E %F %M') });
    log.info('server');
    log.log('info', 'request', 'tswsgi', requestFacts({ 'x-y': 'tab\there' }));
    // In Apache's order: a field with nothing takes the space before it.
    assert.deepEqual(lines, [
      `main.test ${process.pid} server\n`,
      `own.test alias.test REQID CONNID 2 127.0.0.1:80 10.0.0.9:4000 on tab\\there ${process.pid} request\n`,
    ]);
  });

  test('connection and request lines come once, before the first line of each; "+" leaves a line out', () => {
    const { log, lines } = logWith({
      main: main('%M'),
      connection: [parseErrorLogFormat('conn %{c}L remote\\ %a local\\ %A', false)],
      request: [parseErrorLogFormat('req %L keepalives\\ %k', false), parseErrorLogFormat("UA:'%+{User-Agent}i'", false)],
    });
    const facts = requestFacts();
    log.log('error', 'first', 'tswsgi', facts);
    log.log('error', 'second', 'tswsgi', facts);
    assert.deepEqual(lines, ['conn CONNID remote 10.0.0.9:4000 local 127.0.0.1:80\nreq REQID keepalives 2\nfirst\n', 'second\n']);
  });

  test('times: %t, %{u}t, %{cu}t, %{cuz}t', () => {
    const micros = Date.UTC(2026, 0, 5, 17, 4, 9) * 1000 + 123456;
    assert.equal(errorLogStamp(micros, ''), 'Mon Jan 05 12:04:09 2026');
    assert.equal(errorLogStamp(micros, 'u'), 'Mon Jan 05 12:04:09.123456 2026');
    assert.equal(errorLogStamp(micros, 'cu'), '2026-01-05 12:04:09.123456');
    assert.equal(errorLogStamp(micros, 'cuz'), '2026-01-05 12:04:09.123456 -0500');
  });

  test('a worker\'s line: its mark taken off, as it is without a format, to its request\'s vhost', () => {
    const { log, lines, vhostLines } = logWith({}, {});
    log.noteRequest('r-1', requestFacts({}, 'own.conf:3'));
    const line = '[Mon Jan 05 12:04:09.123456 2026] [wsgi:error] [pid 42:tid 7] [remote 10.0.0.1:5555] Traceback';
    log.passthrough(`\x1fr-1\x1f${line}\n`);
    log.passthrough(`\x1fgone\x1f${line}\n`);
    log.passthrough('written to fd 2 by a C extension\n');
    assert.deepEqual(vhostLines, [`${line}\n`]);
    assert.deepEqual(lines, [`${line}\n`, 'written to fd 2 by a C extension\n']);
  });

  test('a worker\'s line in a format: its level, module, pid, thread and client', () => {
    const { log, lines } = logWith({ main: main('[%m:%l] [pid %P:tid %T] [client\\ %a] %M') });
    log.passthrough('[Mon Jan 05 12:04:09.123456 2026] [wsgi:info] [pid 42:tid 7] [remote 10.0.0.1:5555] hello\n');
    log.passthrough('[Mon Jan 05 12:04:09.123456 2026] [wsgi:error] [pid 42:tid 7] no request\n');
    log.info('front end');
    assert.deepEqual(lines, ['[wsgi:info] [pid 42:tid 7] [client 10.0.0.1:5555] hello\n', '[wsgi:error] [pid 42:tid 7] no request\n',
      `[tswsgi:info] [pid ${process.pid}:tid ${process.pid}] front end\n`]);
  });
});

describe('a server with vhost error logs, ErrorLogFormat, TransferLog and GlobalLog', () => {
  const dir = tempDir('tswsgi-error-log-format-');
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const read = (name: string) => (fs.existsSync(path.join(dir, name)) ? fs.readFileSync(path.join(dir, name), 'utf8') : '');
  const eventually = (name: string, pattern: RegExp) => waitFor(() => pattern.test(read(name)), () => `${name} to match ${pattern}:\n${read(name)}`);

  test('each line in its scope\'s log and format', { timeout: 60_000 }, async () => {
    const conf = path.join(dir, 'httpd.conf');
    fs.writeFileSync(conf, `Listen 127.0.0.1:0
ServerName main.test
LogLevel info
ErrorLog ${dir}/main-error.log
ErrorLogFormat "[%{cu}t] [%-m:%l] [pid %P:tid %T] [client\\ %a] [%v] %M"
LogFormat "%v %U %>s"
TransferLog ${dir}/transfer.log
GlobalLog ${dir}/global.log "global %v %U"
WSGIScriptAlias / ${APPS}/responses.wsgi
<VirtualHost *>
    ServerName main.test
</VirtualHost>
<VirtualHost *>
    ServerName own.test
    ErrorLog ${dir}/own-error.log
    ErrorLogFormat request "request %L for %V"
    CustomLog ${dir}/own-access.log "own %U"
    WSGIScriptAlias / ${APPS}/responses.wsgi
</VirtualHost>
`);
    const server = await startServe(conf);
    try {
      const get = (host: string, url: string) => request(`${server.url}${url}`, { headers: { Host: host, 'X-Case': 'print' } });
      assert.equal((await get('main.test', '/m')).status, 200);
      assert.equal((await get('own.test', '/o')).status, 200);
      await eventually('own-error.log', /\[wsgi:error\] .*printed to stdout by the app/);
      await eventually('main-error.log', /\[wsgi:error\] \[pid \d+:tid \d+\] \[client 127\.0\.0\.1:\d+\] \[main\.test\] printed to stdout by the app/);
      assert.match(read('main-error.log'), /^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}\] \[tswsgi:info\] \[pid (\d+):tid \1\] \[main\.test\] /m);
      // The request's line first, once, before the first line logged for it (here the script's loading).
      assert.match(read('own-error.log'), /^request [0-9a-z]+-[0-9a-z]+ for own\.test\n\[[^\]]+\] \[wsgi:info\] \[pid \d+:tid \d+\] \[client 127\.0\.0\.1:\d+\] \[own\.test\] mod_wsgi/);
      assert.equal(read('own-error.log').match(/^request /gm)?.length, 1);
      assert.match(read('own-error.log'), /\[wsgi:error\] \[pid \d+:tid \d+\] \[client 127\.0\.0\.1:\d+\] \[own\.test\] written to wsgi\.errors/);
      assert.doesNotMatch(read('main-error.log'), /\] \[own\.test\] /, 'no line of own.test\'s requests');
      await eventually('transfer.log', /^main\.test \/m 200$/m);
      await eventually('own-access.log', /^own \/o$/m);
      await eventually('global.log', /^global own\.test \/o$/m);
      await eventually('global.log', /^global main\.test \/m$/m);
      assert.doesNotMatch(read('transfer.log'), /\/o/, 'a vhost with its own CustomLog does not write to TransferLog');
    } finally {
      await server.stop();
    }
  });

  test('configtest names bad ErrorLogFormat, GlobalLog and TransferLog lines, with file:line', async () => {
    const bad = path.join(dir, 'bad.conf');
    fs.writeFileSync(bad, [
      'Listen 127.0.0.1:0',
      'ErrorLogFormat "[%t] %Z %M"',
      'ErrorLogFormat "[%t]"',
      'ErrorLogFormat sometimes "%a"',
      'ErrorLogFormat request "%M"',
      '<VirtualHost *>',
      '    GlobalLog logs/x.log common',
      '</VirtualHost>',
      'TransferLog logs/a.log common',
    ].join('\n') + '\n');
    const stderr = await run(process.execPath, [BIN, 'configtest', '-f', bad], { cwd: ROOT }).then(() => '', (err: { stderr: string }) => err.stderr);
    const at = (line: number, message: string) => `tswsgi: Syntax error on line ${line} of ${bad}: ${message}`;
    const printed = stderr.split('\n').filter((l) => l.includes('Syntax error'));
    assert.deepEqual(printed.slice(0, 5), [
      at(2, 'Unrecognized error log format directive %Z'),
      at(3, "main ErrorLogFormat must contain message format string '%M'"),
      at(4, 'ErrorLogFormat type must be one of request, connection'),
      at(5, '%M cannot be used in once-per-request or once-per-connection formats'),
      at(7, 'GlobalLog cannot occur within <VirtualHost> section'),
    ]);
    assert.match(printed[5]!, new RegExp(`^tswsgi: Syntax error on line 9 of ${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: TransferLog takes one argument`));
  });
});
