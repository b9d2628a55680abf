// Access logs: mod_log_config's format language (parsed at config time, with errors naming
// the field), its times, and the lines a running server writes. What Apache writes for the
// same requests is compared in test/differential (accesslog.conf); this file covers what a
// differential request cannot make: keep-alive connections, answers cut short, bad formats.

import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { LogFormatError, parseLogFormat, type LogField } from '../src/config/log-format';
import { formatTime } from '../src/http/log-time';
import { BIN, ROOT, request, startServe, tempDir, writeScript, type RunningServer } from './helpers/tswsgi';

// Times below are in New York: a zone west of UTC, with summer time.
process.env.TZ = 'America/New_York';

describe('LogFormat parsing', () => {
  test('literal text with \\n \\t \\r \\\\ escapes (another backslash stays), %% and fields with their modifiers', () => {
    const { parts } = parseLogFormat('%h \\"x\\" \\t\\n\\\\ %% %{X-A}i %400,501{User-agent}i %!200,304{Referer}i %<s %>s %{ms}T');
    assert.deepEqual(parts, [
      { code: 'h', argument: '', statuses: null, negated: false, time: null },
      ' \\"x\\" \t\n\\ % ',
      { code: 'i', argument: 'X-A', statuses: null, negated: false, time: null },
      ' ',
      { code: 'i', argument: 'User-agent', statuses: [400, 501], negated: false, time: null },
      ' ',
      { code: 'i', argument: 'Referer', statuses: [200, 304], negated: true, time: null },
      ' ',
      { code: 's', argument: '', statuses: null, negated: false, time: null },
      ' ',
      { code: 's', argument: '', statuses: null, negated: false, time: null },
      ' ',
      { code: 'T', argument: 'ms', statuses: null, negated: false, time: null },
    ]);
  });

  test('mod_logio\'s %I %O %S and the trailer fields %^ti %^to are fields', () => {
    const codes = parseLogFormat('%I %O %S %{Foo}^ti %{Bar}^to').parts.filter((p) => typeof p !== 'string').map((p) => (p as { code: string }).code);
    assert.deepEqual(codes, ['I', 'O', 'S', '^ti', '^to']);
  });

  test('%{...}t: CLF by default, begin: and end:, Apache\'s names, strftime conversions', () => {
    const time = (text: string) => (parseLogFormat(text).parts[0] as { time: unknown }).time;
    assert.deepEqual(time('%t'), { format: { kind: 'clf' }, end: false });
    assert.deepEqual(time('%{end:msec_frac}t'), { format: { kind: 'msec_frac' }, end: true });
    assert.deepEqual(time('%{begin:%d/%b %%}t'), {
      format: { kind: 'strftime', parts: [{ conversion: 'd' }, '/', { conversion: 'b' }, ' ', { conversion: '%' }] }, end: false,
    });
  });

  const refused: Array<[string, RegExp]> = [
    ['%h %x', /^Unrecognized LogFormat directive %x$/],
    ['%{Referer', /^Ran off end of LogFormat parsing args to some directive$/],
    ['100%', /^Ran off end/],
    ['%^FB', /^%\^FB: tswsgi does not time the first byte/],
    ['%{bogus}p', /^%\{bogus\}p: unknown form 'bogus'; expected canonical, local, remote or none$/],
    ['%{x}T', /^%\{x\}T: unknown form 'x'; expected s, ms, us or none$/],
    ['%{thread}P', /^%\{thread\}P: unknown form/],
    ['%{c}L', /^%\{c\}L: tswsgi has no connection log ids$/],
    ['%{%Y %Z}t', /^%\{%Y %Z\}t: the strftime conversion %Z is not one tswsgi can format/],
    ['%{%-d}t', /the strftime conversion %- is not one/],
  ];
  for (const [format, message] of refused) {
    test(`refused: ${format}`, () => {
      assert.throws(() => parseLogFormat(format), (err: Error) => err instanceof LogFormatError && message.test(err.message));
    });
  }
});

describe('log times', () => {
  // 2026-01-04 05:06:07.890123 UTC: 00:06:07 in New York (EST, -0500).
  const winter = 1_767_503_167_890_123;
  const strftime = (spec: string, micros = winter) => formatTime((parseLogFormat(`%{${spec}}t`).parts[0] as LogField).time!.format, micros);

  test('%t is CLF in local time with the offset', () => {
    assert.equal(formatTime({ kind: 'clf' }, winter), '[04/Jan/2026:00:06:07 -0500]');
  });

  test('every strftime conversion, as the C library formats it in the C locale', () => {
    // From TZ=America/New_York LC_ALL=C python3 -c "time.strftime(...)" for the same second.
    const conversions = 'a|A|b|B|c|C|d|D|e|F|g|G|h|H|I|j|k|l|m|M|n|p|P|r|R|s|S|t|T|u|U|V|w|W|x|X|y|Y|z|%'.split('|');
    assert.equal(strftime(conversions.map((c) => `%${c}`).join('|')),
      'Sun|Sunday|Jan|January|Sun Jan  4 00:06:07 2026|20|04|01/04/26| 4|2026-01-04|26|2026|Jan|00|12|004| 0|12|01|06|\n|AM|am|' +
      '12:06:07 AM|00:06|1767503167|07|\t|00:06:07|7|01|01|0|00|01/04/26|00:06:07|26|2026|-0500|%');
    // Summer time, and week numbers in the middle of the year.
    assert.equal(strftime('%Y-%m-%d %H:%M:%S %z %U %V %W %G %j', 1_782_950_400_000_123), '2026-07-01 20:00:00 -0400 26 27 26 2026 182');
  });

  test('seconds, milliseconds and microseconds since the epoch, and their fractions', () => {
    assert.deepEqual(['sec', 'msec', 'usec', 'msec_frac', 'usec_frac'].map((s) => strftime(s)),
      ['1767503167', '1767503167890', '1767503167890123', '890', '890123']);
  });
});

/** Lines appended to `file` since it had `from` lines, once there are `count` new ones (or 5 s passed). */
async function newLines(file: string, from: number, count: number): Promise<string[]> {
  const until = Date.now() + 5000;
  for (;;) {
    const lines = fs.existsSync(file) ? fs.readFileSync(file, 'latin1').split('\n').slice(0, -1) : [];
    if (lines.length >= from + count || Date.now() > until) return lines.slice(from);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The name=value fields of a tab-separated line. */
const fieldsOf = (line: string) => Object.fromEntries(line.split('\t').map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]));

describe('access log lines of a running server', () => {
  const dir = tempDir('tswsgi-access-log-');
  const logs = path.join(dir, 'logs');
  let server: RunningServer;
  const script = writeScript(`
import time
def application(environ, start_response):
    if environ['PATH_INFO'] == '/slow':
        start_response('200 OK', [('Content-Type', 'text/plain')])
        def body():
            for _ in range(50):
                yield b'x' * 1000
                time.sleep(0.05)
        return body()
    start_response(environ.get('HTTP_X_STATUS', '200 OK'), [('Content-Type', 'text/plain; charset=utf-8')])
    return [b'hello\\n']
`);

  before(async () => {
    fs.mkdirSync(logs);
    const conf = path.join(dir, 'httpd.conf');
    fs.writeFileSync(conf, `Listen 127.0.0.1:0
ServerName main.test
# The nickname is defined after the CustomLog that uses it: Apache looks nicknames up once the file is read.
CustomLog ${logs}/fields.log fields
LogFormat "k=%k\\tX=%X\\tI=%I\\tb=%b\\tB=%B\\ts=%>s\\tr=%r\\tv=%v\\tbad=%!200{X-Status}i\\tonly=%500{X-Status}i\\toType=%{Content-Type}o\\tL=%L\\tf=%f" fields
CustomLog ${logs}/marked.log "%U" env=MARK
CustomLog ${logs}/unmarked.log "%U" env=!MARK
WSGIScriptAlias /app ${script}
<Location /app/marked>
    SetEnv MARK 1
</Location>
# The first vhost is the default for a Host no vhost names; it has no CustomLog, so logs to the main server's.
<VirtualHost *>
    ServerName main.test
</VirtualHost>
<VirtualHost *>
    ServerName other.test
    CustomLog ${logs}/other.log "%v %U"
</VirtualHost>
`);
    server = await startServe(conf);
  });
  after(async () => {
    await server.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('keep-alive: %k counts the requests before on the connection, %X says whether it stays open, %I is each request\'s bytes', async () => {
    const file = path.join(logs, 'fields.log');
    const from = (await newLines(file, 0, 0)).length;
    const first = 'GET /app/a HTTP/1.1\r\nHost: main.test\r\n\r\n';
    const second = 'GET /app/b?x HTTP/1.1\r\nHost: main.test\r\nConnection: close\r\n\r\n';
    const socket = net.connect(server.port, '127.0.0.1');
    let received = '';
    socket.on('data', (d: Buffer) => { received += d.toString('latin1'); });
    socket.write(first);
    while (!received.includes('hello\n')) await new Promise((r) => setTimeout(r, 10));
    socket.write(second);
    await new Promise((r) => socket.on('close', r));
    const lines = (await newLines(file, from, 2)).map(fieldsOf);
    assert.deepEqual(lines.map((l) => [l.k, l.X, l.I, l.r]), [
      ['0', '+', String(first.length), 'GET /app/a HTTP/1.1'],
      ['1', '-', String(second.length), 'GET /app/b?x HTTP/1.1'],
    ]);
    assert.equal(lines[0]!.oType, 'text/plain');
    assert.match(lines[0]!.L!, /^[0-9a-z]+-[0-9a-z]+$/);
    assert.equal(lines[0]!.f, script);
  });

  test('HEAD: %b is "-" and %B 0; status conditions pick the fields', async () => {
    const file = path.join(logs, 'fields.log');
    const from = (await newLines(file, 0, 0)).length;
    await request(`${server.url}/app/head`, { method: 'HEAD' });
    await request(`${server.url}/app/err`, { headers: { 'X-Status': '500 Oops' } });
    await request(`${server.url}/app/gone`, { headers: { 'X-Status': '404 Gone' } });
    const lines = (await newLines(file, from, 3)).map(fieldsOf);
    assert.deepEqual(lines.map((l) => [l.s, l.b, l.B, l.bad, l.only]), [
      ['200', '-', '0', '-', '-'],
      ['500', '6', '6', '500 Oops', '500 Oops'],
      ['404', '6', '6', '404 Gone', '-'],
    ]);
  });

  test('an answer the client cut short: %X is X, %b what was sent by then', async () => {
    const file = path.join(logs, 'fields.log');
    const from = (await newLines(file, 0, 0)).length;
    const socket = net.connect(server.port, '127.0.0.1');
    let received = '';
    socket.on('data', (d: Buffer) => { received += d.toString('latin1'); });
    socket.write('GET /app/slow HTTP/1.1\r\nHost: main.test\r\n\r\n');
    // Some of the body, then the client is gone.
    while (!received.includes('xxx')) await new Promise((r) => setTimeout(r, 10));
    socket.destroy();
    assert.match(received, /^HTTP\/1\.1 200/);
    const [line] = (await newLines(file, from, 1)).map(fieldsOf);
    assert.equal(line!.X, 'X');
    assert.ok(Number(line!.b) > 0 && Number(line!.b) < 50_000, line!.b);
  });

  test('env= and env=! log only requests with, or without, the variable', async () => {
    const marked = path.join(logs, 'marked.log');
    const unmarked = path.join(logs, 'unmarked.log');
    const [m, u] = [(await newLines(marked, 0, 0)).length, (await newLines(unmarked, 0, 0)).length];
    await request(`${server.url}/app/marked`);
    await request(`${server.url}/app/plain`);
    assert.deepEqual(await newLines(marked, m, 1), ['/app/marked']);
    assert.deepEqual(await newLines(unmarked, u, 1), ['/app/plain']);
  });

  test('a vhost with a CustomLog of its own logs there only; others log to the main server\'s', async () => {
    const other = path.join(logs, 'other.log');
    const fields = path.join(logs, 'fields.log');
    const [o, f] = [(await newLines(other, 0, 0)).length, (await newLines(fields, 0, 0)).length];
    await request(`${server.url}/app/vhost`, { headers: { Host: 'other.test' } });
    await request(`${server.url}/app/main`, { headers: { Host: 'unknown.test' } });
    assert.deepEqual(await newLines(other, o, 1), ['other.test /app/vhost']);
    const main = await newLines(fields, f, 1);
    assert.deepEqual(main.map((l) => [fieldsOf(l).r, fieldsOf(l).v]), [['GET /app/main HTTP/1.1', 'main.test']]);
  });
});

describe('configtest refuses access log formats and targets tswsgi cannot honour, with file:line', () => {
  const dir = tempDir('tswsgi-access-log-conf-');
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('each bad line is named', async () => {
    const file = path.join(dir, 'bad.conf');
    fs.writeFileSync(file, [
      'Listen 127.0.0.1:0',
      'LogFormat "%h %{%Z}t" zoned',
      'LogFormat "%h %^FB" firstbyte',
      'CustomLog logs/a.log "%{bogus}p"',
      'CustomLog "|/nonexistent/rotatelogs x 86400" combined',
      'CustomLog logs/b.log combined expr=%{REQUEST_STATUS}==200',
      'CustomLog logs/c.log combined unless=x',
      'CustomLog logs/d.log "%y"',
    ].join('\n') + '\n');
    const stderr = await new Promise<string>((resolve) => {
      execFile(process.execPath, [BIN, 'configtest', '-f', file], { cwd: ROOT }, (_err, _stdout, err) => resolve(err));
    });
    const at = (line: number, message: string) => `tswsgi: Syntax error on line ${line} of ${file}: ${message}`;
    const printed = stderr.split('\n').filter((l) => l.includes('Syntax error'));
    assert.equal(printed.length, 7, stderr);
    assert.match(printed[0]!, new RegExp(`^${escapeRegex(at(2, '%{%Z}t: the strftime conversion %Z is not one tswsgi can format'))}`));
    assert.equal(printed[1], at(3, '%^FB: tswsgi does not time the first byte of a response (mod_logio\'s %^FB)'));
    assert.equal(printed[2], at(4, '%{bogus}p: unknown form \'bogus\'; expected canonical, local, remote or none'));
    assert.equal(printed[3], at(5, 'the piped log program \'/nonexistent/rotatelogs\' is not an executable file'));
    assert.equal(printed[4], at(6, 'CustomLog expr= conditions are not supported by tswsgi (env=[!]variable is)'));
    assert.equal(printed[5], at(7, 'error in condition clause'));
    assert.equal(printed[6], at(8, 'Unrecognized LogFormat directive %y'));
  });
});

const escapeRegex = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
