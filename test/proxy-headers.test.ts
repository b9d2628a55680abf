// WSGITrustedProxyHeaders and WSGITrustedProxies: what a front proxy's headers change in the
// environ, from a peer that is trusted and from one that is not. Requests come from 127.0.0.1.
// (test/differential/configs/proxy-headers.conf compares the same with Apache + mod_wsgi.)

import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { APPS, BIN, ROOT, request, startServe, writeConf, type RunningServer } from './helpers/tswsgi';
import { parseTrustedProxy } from '../src/config/trusted-proxies';
import { EVERY_PROXY_HEADER as EVERY } from './differential/cases';

const PROBE = path.join(APPS, 'probe.wsgi');

const CONF = `Listen 127.0.0.1:0
WSGIScriptAlias / ${PROBE}
WSGITrustedProxyHeaders X-Forwarded-For X-Forwarded-Proto X-Forwarded-Host
WSGITrustedProxyHeaders X-Forwarded-Port X-Forwarded-Server X-Script-Name
<Location /trusted>
    WSGITrustedProxies 127.0.0.1 10.0.0.0/8 fd00::/8
</Location>
<Location /untrusted>
    WSGITrustedProxies 192.0.2.0/24 ::1
</Location>
<Location /ip>
    WSGITrustedProxyHeaders X-Real-IP
</Location>
<Location /ssl>
    WSGITrustedProxyHeaders X-Forwarded-SSL
</Location>
<Location /setenv>
    SetEnv HTTPS on
</Location>
<Location /off>
    WSGITrustedProxyHeaders
</Location>
`;

/** The CGI names of EVERY's headers. */
const EVERY_KEYS = Object.keys(EVERY).map((h) => 'HTTP_' + h.toUpperCase().replace(/-/g, '_'));

describe('trusted proxy headers', () => {
  let server: RunningServer;
  before(async () => { server = await startServe(writeConf(CONF)); });
  after(async () => { await server?.stop(); });

  const environ = async (target: string, headers: Record<string, string> = {}): Promise<Record<string, string>> => {
    const reply = await request(server.url + target, { headers });
    assert.equal(reply.status, 200, reply.body.toString());
    return reply.json<{ environ: Record<string, string> }>().environ;
  };
  /** The keys of EVERY's headers still in the environ. */
  const kept = (env: Record<string, string>) => EVERY_KEYS.filter((key) => key in env);

  test('trusted headers set REMOTE_ADDR, the scheme, HTTP_HOST, SERVER_PORT, SERVER_NAME and SCRIPT_NAME', async () => {
    const env = await environ('/a/b', EVERY);
    assert.equal(env.REMOTE_ADDR, '1.1.1.1', 'without WSGITrustedProxies the leftmost address is the client');
    assert.equal(env.HTTP_X_FORWARDED_FOR, '1.1.1.1, 10.0.0.2', 'and the header is left as it came');
    assert.equal(env['wsgi.url_scheme'], 'https');
    assert.equal(env.HTTPS, undefined, 'HTTPS becomes wsgi.url_scheme and is dropped, as mod_wsgi does');
    assert.equal(env.REQUEST_SCHEME, 'http');
    assert.equal(env.HTTP_HOST, 'fwd.example:8443');
    assert.equal(env.SERVER_PORT, '8443');
    assert.equal(env.SERVER_NAME, 'fwdserver.example');
    assert.equal(env.SCRIPT_NAME, '/mount');
    assert.equal(env.PATH_INFO, '/a/b');
    assert.equal(env['mod_wsgi.mount_point'], '/mount');
    assert.equal(env['mod_wsgi.script_name'], '', 'mod_wsgi.script_name keeps the value from before');
  });

  test('headers of a trusted kind that are not trusted themselves are removed', async () => {
    const env = await environ('/a', { ...EVERY, 'X-Unrelated': 'stays' });
    assert.deepEqual(kept(env), [
      'HTTP_X_FORWARDED_FOR', 'HTTP_X_FORWARDED_PROTO', 'HTTP_X_FORWARDED_HOST', 'HTTP_X_FORWARDED_PORT',
      'HTTP_X_FORWARDED_SERVER', 'HTTP_X_SCRIPT_NAME',
    ]);
    assert.equal(env.HTTP_X_UNRELATED, 'stays');
    // Only X-Real-IP is trusted in /ip: the other client address headers go, other kinds stay.
    const ip = await environ('/ip/x', EVERY);
    assert.equal(ip.REMOTE_ADDR, '3.3.3.3');
    assert.equal(ip.HTTP_X_FORWARDED_FOR, undefined);
    assert.equal(ip.HTTP_X_CLIENT_IP, undefined);
    assert.equal(ip.HTTP_X_FORWARDED_PROTO, 'https');
    assert.equal(ip['wsgi.url_scheme'], 'http');
    // A trusted kind whose trusted header did not come: the others of the kind still go.
    const absent = await environ('/ip/x', { 'X-Client-IP': '2.2.2.2' });
    assert.equal(absent.REMOTE_ADDR, '127.0.0.1');
    assert.equal(absent.HTTP_X_CLIENT_IP, undefined);
  });

  test('a peer not in WSGITrustedProxies: its headers are ignored, and removed', async () => {
    const env = await environ('/untrusted/x', EVERY);
    assert.equal(env.REMOTE_ADDR, '127.0.0.1');
    assert.equal(env['wsgi.url_scheme'], 'http');
    assert.match(env.HTTP_HOST!, /^127\.0\.0\.1:\d+$/);
    assert.equal(env.SCRIPT_NAME, '');
    assert.equal(env.SERVER_NAME, '127.0.0.1');
    assert.equal(env.SERVER_PORT, String(server.port));
    // mod_wsgi removes the headers of the four kinds only; X-Forwarded-Port and -Server stay, unused.
    assert.deepEqual(kept(env), ['HTTP_X_FORWARDED_PORT', 'HTTP_X_FORWARDED_SERVER']);
  });

  test('a peer in WSGITrustedProxies: X-Forwarded-For is read from the right, past the trusted proxies', async () => {
    const chain = await environ('/trusted/x', { 'X-Forwarded-For': '9.9.9.9, 1.1.1.1, 10.0.0.2, fd00::7' });
    assert.equal(chain.REMOTE_ADDR, '1.1.1.1');
    assert.equal(chain.HTTP_X_FORWARDED_FOR, '1.1.1.1, 10.0.0.2, fd00::7', 'what the client itself put before is dropped');
    const untrustedLast = await environ('/trusted/x', { 'X-Forwarded-For': '1.1.1.1, 2.2.2.2' });
    assert.equal(untrustedLast.REMOTE_ADDR, '2.2.2.2');
    assert.equal(untrustedLast.HTTP_X_FORWARDED_FOR, '2.2.2.2');
    const allTrusted = await environ('/trusted/x', { 'X-Forwarded-For': '10.0.0.1 ,10.0.0.2' });
    assert.equal(allTrusted.REMOTE_ADDR, '10.0.0.1');
    assert.equal(allTrusted.HTTP_X_FORWARDED_FOR, '10.0.0.1, 10.0.0.2');
    const everything = await environ('/trusted/x', EVERY);
    assert.equal(everything.REMOTE_ADDR, '1.1.1.1');
    assert.equal(everything['wsgi.url_scheme'], 'https');
  });

  test('scheme headers: https, and the on/off style; HTTPS never reaches the application', async () => {
    assert.equal((await environ('/a', { 'X-Forwarded-Proto': 'HTTPS' }))['wsgi.url_scheme'], 'https');
    assert.equal((await environ('/a', { 'X-Forwarded-Proto': 'wss' }))['wsgi.url_scheme'], 'http');
    const on = await environ('/ssl/x', { 'X-Forwarded-SSL': 'on', 'X-Forwarded-Proto': 'http' });
    assert.equal(on['wsgi.url_scheme'], 'https');
    assert.equal(on.HTTPS, undefined);
    assert.equal(on.HTTP_X_FORWARDED_PROTO, undefined, 'not trusted in /ssl, so removed');
    assert.equal((await environ('/ssl/x', { 'X-Forwarded-SSL': '1' }))['wsgi.url_scheme'], 'https');
    assert.equal((await environ('/ssl/x', { 'X-Forwarded-SSL': 'off' }))['wsgi.url_scheme'], 'http');
    // SetEnv HTTPS on means https (as in mod_wsgi), unless a trusted header says http.
    const setenv = await environ('/setenv/x');
    assert.equal(setenv['wsgi.url_scheme'], 'https');
    assert.equal(setenv.HTTPS, undefined);
    assert.equal((await environ('/setenv/x', { 'X-Forwarded-Proto': 'http' }))['wsgi.url_scheme'], 'http');
  });

  test('X-Script-Name replaces SCRIPT_NAME; PATH_INFO stays', async () => {
    const env = await environ('/deep/path?q=1', { 'X-Script-Name': '/prefix/app' });
    assert.equal(env.SCRIPT_NAME, '/prefix/app');
    assert.equal(env.PATH_INFO, '/deep/path');
    assert.equal(env['mod_wsgi.script_name'], '');
    assert.equal(env['mod_wsgi.path_info'], '/deep/path');
    assert.equal(env['mod_wsgi.mount_point'], '/prefix/app');
    assert.equal((await environ('/a'))['mod_wsgi.mount_point'], undefined, 'only when the header came');
  });

  test('WSGITrustedProxyHeaders without arguments turns a wider scope\'s list off', async () => {
    const env = await environ('/off/x', EVERY);
    assert.equal(env.REMOTE_ADDR, '127.0.0.1');
    assert.equal(env['wsgi.url_scheme'], 'http');
    assert.deepEqual(kept(env), EVERY_KEYS);
  });
});

test('a bad WSGITrustedProxies value is a configtest error with file:line', async () => {
  const conf = writeConf(`Listen 127.0.0.1:0
WSGIScriptAlias / ${PROBE}
WSGITrustedProxyHeaders X-Forwarded-For
<Location />
    WSGITrustedProxies 10.0.0.0/8 10.0.0.0/40
</Location>
WSGITrustedProxies FE80::1 proxy.example
`);
  const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
    execFile(process.execPath, [BIN, 'configtest', '-f', conf], { cwd: ROOT }, (err, _stdout, stderr) => {
      resolve({ code: err ? (err.code as number) : 0, stderr });
    });
  });
  assert.notEqual(code, 0);
  assert.ok(stderr.includes(`Syntax error on line 5 of ${conf}: Unable to parse trusted proxy IP address/subnet of "10.0.0.0/40". The specified network mask is invalid.`), stderr);
  // mod_wsgi's own filter: IPv6 in lower case only, no host names; it stops at the first.
  assert.ok(stderr.includes(`Syntax error on line 7 of ${conf}: Unable to parse trusted proxy IP address/subnet of "FE80::1".`), stderr);
  assert.ok(!stderr.includes('proxy.example'), stderr);
});

test('WSGITrustedProxies values are read as mod_wsgi 4.9.4 reads them (each checked with apache2 -t)', () => {
  const accepted = ['127.0.0.1', '10.1', '10.1.', '0', '01.2.3.4', '01.2.3.4/8', '1.2.3.4.', '1.2.3.4/08', '1.2.3.4/1.2.3.4',
    '10.0.0.0/255.255.0.0', '10.0.0.0/255.0.255.0', '::', '::1', '::1/128', '1::/64', 'fe80::/10', '1:2:3:4:5:6:7::', '1:2:3:4:5:6:7:8::'];
  for (const value of accepted) assert.ok(!('error' in parseTrustedProxy(value)), value);
  const refused: Record<string, string> = {
    '': 'FE80::1 ::ffff:1.2.3.4 1.2.3.4/+8 localhost fe80::1/255.0.0.0 abc',
    ' The specified IP address is invalid.': '10.1/16 ::ffff:0102:0304 1.2.3.4.5 256.1.1.1 10..1 123456789012345 1234567890123456 a: 1/:: 12345::1',
    ' The specified network mask is invalid.': '10.0.0.0/ 10.0.0.0/0 10.0.0.0/33 ::1/129 ::1/0 ::1/ff 1.2.3.4/8/9 1.2.3.4/255.255.255.256',
    ' Invalid argument': 'abc/::',
  };
  for (const [why, values] of Object.entries(refused)) {
    for (const value of values.split(' ')) {
      assert.deepEqual(parseTrustedProxy(value), { error: `Unable to parse trusted proxy IP address/subnet of "${value}".${why}` }, value);
    }
  }
});
