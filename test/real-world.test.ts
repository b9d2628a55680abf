// Sites in the shapes real mod_wsgi deployments have (test/fixtures/real-world, one folder each:
// the site files as their package drops them, with the app files they name), each included from
// a Debian-like apache2.conf and checked by `apache2 -t` and `tswsgi configtest`: Apache accepts
// every one; tswsgi knows every directive Apache accepted ("Invalid command" never), refuses
// exactly what EXPECTED lists (so a change shows up here), and where it refuses nothing, serves
// some requests with the status (and, for 200, the body) Apache gives.
//
// Needs root (Apache and the daemons switch to www-data), apache2 with mod_wsgi, and openssl.

import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { freePort, launch, send, unavailable, APACHE, BIN_TSWSGI, MODULES_DIR, PYTHON, type Instance, type ServerKind } from './differential/harness';

// __dirname is dist/test.
const REPO = path.resolve(__dirname, '..', '..');
const FIXTURES = path.join(REPO, 'test', 'fixtures', 'real-world');
const DEBIAN_MODS = '/etc/apache2/mods-available';

interface Expected {
  /** Modules the package enables (a2enmod) beyond Debian's defaults and wsgi. */
  modules?: string[];
  /** What configtest refuses: 'file:line Directive' (Require's provider as 'Require provider'). */
  refused: string[];
  /**
   * For a fixture tswsgi accepts, GET requests to send both servers: 'PORT PATH STATUS', at a port
   * the fixture listens on, with Apache's status; then 'tswsgi STATUS' where tswsgi answers
   * another status still, or 'tswsgi hostname' where its body differs by the server's default
   * name (differences to fix; see moin). Otherwise bodies of 200 answers must be the same.
   */
  requests?: string[];
}

// What tswsgi refuses in each fixture, all of it not implemented yet (src/config/module-rules.ts says why).
const EXPECTED: Record<string, Expected> = {
  'addhandler': { refused: [], requests: ['80 /hello.wsgi 200', '80 /hello.wsgi/more/path 200', '80 /about.html 200', '80 /missing.wsgi 404'] },
  'ansible-django': { refused: [], requests: ['80 / 200', '80 /static/admin.css 200', '80 /static/missing.css 404'] },
  'application-groups': { refused: [], requests: ['80 /wiki 200', '80 /tracker/x 200', '80 /numbers 200', '80 /status 200', '80 /elsewhere 404'] },
  'basic-auth': { refused: [
    'intranet.conf:12 AuthType',
    'intranet.conf:13 AuthName',
    'intranet.conf:14 AuthBasicProvider',
    'intranet.conf:15 AuthUserFile',
    'intranet.conf:16 Require valid-user',
  ] },
  'behind-proxy': { modules: ['headers'], refused: [
    'api-behind-lb.conf:6 RequestHeader',
    'api-behind-lb.conf:7 RequestHeader',
  ] },
  'certbot': { modules: ['ssl', 'rewrite'], refused: [
    'etc/letsencrypt/options-ssl-apache.conf:7 SSLEngine',
    'etc/letsencrypt/options-ssl-apache.conf:15 SSLOptions',
    'webapp.conf:14 RewriteEngine',
    'webapp.conf:15 RewriteCond',
    'webapp.conf:16 RewriteCond',
    'webapp.conf:17 RewriteRule',
  ] },
  'cinder-api': { refused: [], requests: ['8776 /v3/volumes 200'] },
  'ckan': { refused: [], requests: ['8080 /dataset 200'] },
  'cobbler': { modules: ['proxy', 'proxy_http', 'ssl'], refused: [
    'cobbler.conf:18 ProxyRequests',
    'cobbler.conf:20 ProxyPass',
    'cobbler.conf:21 ProxyPassReverse',
    'cobbler_web.conf:6 SSLRequireSSL',
    'cobbler_web.conf:19 SSLRequireSSL',
  ] },
  // Not served: its logs go to /proc/self/fd/1 and 2, which cannot be opened when those are sockets, as the test's are (see below).
  'container': { refused: [] },
  'deny-rules': { refused: [], requests: ['80 / 200', '80 /settings.py 403', '80 /local_settings.py 403', '80 /db.sql 403', '80 /.git/config 403',
    '80 /.git/ 403', '80 /.env 403', '80 /.htaccess 403', '80 /app 200', '80 /app/settings.py 200', '80 /app/internal 200'] },
  // /static (no slash) is not under Alias /static/: the application answers it. /static/ as nav's /uploads/.
  'django': { refused: [], requests: ['80 / 200', '80 /static 200', '80 /static/site.css 200', '80 /static/ 403 tswsgi 404', '80 /robots.txt 200',
    '80 /media/upload.txt 200', '80 /favicon.ico 404'] },
  'expires': { modules: ['expires', 'headers'], refused: [
    'static-expires.conf:15 ExpiresActive',
    'static-expires.conf:16 ExpiresDefault',
    'static-expires.conf:17 ExpiresByType',
    'static-expires.conf:18 ExpiresByType',
    'static-expires.conf:19 ExpiresByType',
    'static-expires.conf:22 Header',
  ] },
  'flask': { refused: [], requests: ['80 / 200', '80 /static 301', '80 /static/app.js 200'] },
  // On port 80, outside their vhosts' grants, Apache denies these (client denied by server configuration): tswsgi must too.
  'flask-tutorial': { refused: [], requests: ['80 / 403'] },
  'freeipa-style': { modules: ['proxy', 'proxy_http', 'expires'], refused: [
    'ipa.conf:7 ProxyRequests',
    'ipa.conf:15 Invalid socket timeout for WSGI daemon process',
    'ipa.conf:16 WSGI process group not yet configured.',
    'ipa.conf:24 WSGIProcessGroup names process group \'ipa\', which no WSGIDaemonProcess declares',
    'ipa.conf:30 WSGIProcessGroup names process group \'ipa\', which no WSGIDaemonProcess declares',
    'ipa.conf:36 SetHandler',
    'ipa.conf:40 ExpiresActive',
    'ipa.conf:41 ExpiresDefault',
  ] },
  'graphite-web': { refused: [
    'apache2-graphite.conf:10 SetHandler',
  ] },
  'graphite-web-redhat': { refused: [
    'graphite-web.conf:18 SetHandler',
    'graphite-web.conf:23 SetHandler',
  ] },
  'heat-api': { refused: [
    'heat-api.conf:9 AllowEncodedSlashes',
  ] },
  'hgweb': { refused: [
    'hg.conf:15 AuthType',
    'hg.conf:16 AuthName',
    'hg.conf:17 AuthUserFile',
    'hg.conf:18 <LimitExcept>',
  ] },
  'horizon': { refused: [], requests: ['80 /horizon 200', '80 /horizon/auth/login/ 200', '80 /static 301', '80 /static/dashboard/css/style.css 200',
    '80 /horizon/static/dashboard/css/style.css 200'] },
  'import-script': { refused: [], requests: ['80 /reports 200'] },
  'keystone': { refused: [], requests: ['5000 / 200', '80 /identity 403', '80 /identity/v3/users 403'] },
  'keystone-admin-public': { refused: [], requests: ['5000 /v3 200', '35357 /v3 200'] },
  // No ServerName anywhere, as in Debian's stock config: where the host's name has no domain,
  // Apache names the server by its address (its log says "AH00558: Could not reliably determine the
  // server's fully qualified domain name, using 127.0.0.1"), tswsgi by the bare host name. It
  // shows in the default application group, %{RESOURCE}: 127.0.0.1:PORT|/mywiki against HOST:PORT|/mywiki.
  'moin': { refused: [], requests: ['80 /mywiki/FrontPage 200 tswsgi hostname', '80 /moin_static1911/common/common.css 200'] },
  // A directory without an index file: with mod_autoindex loaded (as Debian loads it), Apache lists
  // it under Options Indexes (/static/) and forbids it otherwise (/uploads/); tswsgi answers 404,
  // as Apache without mod_autoindex does.
  'nav': { refused: [], requests: ['80 / 200', '80 /static/css/nav.css 200', '80 /static/ 200 tswsgi 404', '80 /doc 301', '80 /doc/ 200',
    '80 /uploads/map.txt 200', '80 /uploads/ 403 tswsgi 404'] },
  'nova-api': { refused: [], requests: ['8774 / 200', '80 /compute 403', '80 /compute/v2.1/servers 403'] },
  'pgadmin4': { refused: [], requests: ['80 /pgadmin4/browser/ 200'] },
  'placement-api': { refused: [], requests: ['8778 / 200'] },
  'process-groups': { refused: [], requests: ['80 / 200', '80 /api/v1 200', '80 /batch 200'] },
  'puppet-keystone': { modules: ['headers'], refused: [
    '10-keystone_wsgi.conf:33 Header',
  ] },
  'puppet-ssl': { modules: ['ssl', 'headers'], refused: [
    '25-app.example.com_non-ssl.conf:24 Redirect',
    '25-app.example.com_ssl.conf:33 Header',
    '25-app.example.com_ssl.conf:37 RequestHeader',
    '25-app.example.com_ssl.conf:40 SSLEngine',
  ] },
  'radicale': { refused: [
    'radicale.conf:10 AuthType',
    'radicale.conf:11 AuthName',
    'radicale.conf:12 AuthBasicProvider',
    'radicale.conf:13 AuthUserFile',
    'radicale.conf:14 Require valid-user',
  ] },
  'redhat-confd': { refused: [], requests: ['80 /myapp 200', '80 /myapp/status 200', '80 /nowhere 404'] },
  'redhat-modules': { refused: [], requests: ['80 /app/ 200'] },
  'security-headers': { modules: ['headers'], refused: [
    'secure-app.conf:12 Header',
    'secure-app.conf:13 Header',
    'secure-app.conf:14 Header',
    'secure-app.conf:15 Header',
    'secure-app.conf:16 Header',
    'secure-app.conf:17 Header',
    'secure-app.conf:18 Header',
  ] },
  'ssl-redirect': { modules: ['ssl'], refused: [
    'app-ssl.conf:3 Redirect',
    'app-ssl.conf:23 SSLEngine',
    'app-ssl.conf:32 SSLOptions',
  ] },
  'trac': { refused: [
    'trac.conf:11 AuthType',
    'trac.conf:12 AuthName',
    'trac.conf:13 AuthUserFile',
    'trac.conf:14 Require valid-user',
  ] },
  'trusted-proxy': { refused: [], requests: ['80 / 200'] },
  'virtualenv': { refused: [], requests: ['80 / 200'] },
};

/**
 * Debian's apache2.conf, cut to what a site relies on: the modules Debian enables by default, wsgi
 * and those the package enables, the .conf files that come with them, ports.conf, the stock
 * <Directory> rules and LogFormats, then the fixture's site files where sites-enabled would be.
 * ${APACHE_*} are Defines here, where envvars exports them.
 */
function debianMain(run: string, extra: readonly string[]): string {
  // ssl.load depends on socache_shmcb.
  const needs = extra.flatMap((m) => (m === 'ssl' ? ['socache_shmcb', m] : [m]));
  const modules = ['mpm_event', 'access_compat', 'alias', 'auth_basic', 'authn_core', 'authn_file', 'authz_core', 'authz_host', 'authz_user',
    'autoindex', 'deflate', 'dir', 'env', 'filter', 'mime', 'negotiation', 'reqtimeout', 'setenvif', 'status', 'wsgi', ...needs];
  const confs = modules.map((m) => path.join(DEBIAN_MODS, `${m}.conf`)).filter((f) => fs.existsSync(f));
  return [
    '# A Debian-like apache2.conf for test/real-world.test.ts.',
    `ServerRoot "${run}"`,
    `Define APACHE_LOG_DIR ${run}`,
    `Define APACHE_RUN_DIR ${run}/run`,
    `Define APACHE_LOCK_DIR ${run}`,
    'DefaultRuntimeDir ${APACHE_RUN_DIR}',
    `PidFile ${run}/apache2.pid`,
    'Mutex file:${APACHE_LOCK_DIR} default',
    'Timeout 300',
    'KeepAlive On',
    'MaxKeepAliveRequests 100',
    'KeepAliveTimeout 5',
    'User www-data',
    'Group www-data',
    'HostnameLookups Off',
    'ErrorLog ${APACHE_LOG_DIR}/error.log',
    'LogLevel warn',
    ...modules.map((m) => `LoadModule ${m}_module ${MODULES_DIR}/mod_${m}.so`),
    ...confs.map((f) => `Include ${f}`),
    '# ports.conf',
    'Listen 80',
    '<IfModule ssl_module>',
    '\tListen 443',
    '</IfModule>',
    '<Directory />',
    '\tOptions FollowSymLinks',
    '\tAllowOverride None',
    '\tRequire all denied',
    '</Directory>',
    '<Directory /usr/share>',
    '\tAllowOverride None',
    '\tRequire all granted',
    '</Directory>',
    '<Directory /var/www/>',
    '\tOptions Indexes FollowSymLinks',
    '\tAllowOverride None',
    '\tRequire all granted',
    '</Directory>',
    'AccessFileName .htaccess',
    '<FilesMatch "^\\.ht">',
    '\tRequire all denied',
    '</FilesMatch>',
    'LogFormat "%v:%p %h %l %u %t \\"%r\\" %>s %O \\"%{Referer}i\\" \\"%{User-Agent}i\\"" vhost_combined',
    'LogFormat "%h %l %u %t \\"%r\\" %>s %O \\"%{Referer}i\\" \\"%{User-Agent}i\\"" combined',
    'LogFormat "%h %l %u %t \\"%r\\" %>s %O" common',
    'LogFormat "%{Referer}i -> %U" referer',
    'LogFormat "%{User-agent}i" agent',
    'IncludeOptional site/*.conf',
    '# Not Debian\'s: daemon sockets in the run folder, whatever a site says (CKAN says /var/run/wsgi).',
    'WSGISocketPrefix ${APACHE_RUN_DIR}/wsgi',
  ].join('\n') + '\n';
}

/** Everything the fixtures need from the machine, made once: a self-signed certificate and a virtualenv. */
interface Supplies {
  dir: string;
  cert: string;
  key: string;
  venv: string;
}

function makeSupplies(): Supplies {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tswsgi-real-world-'));
  const cert = path.join(dir, 'cert.pem');
  const key = path.join(dir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=localhost'], { stdio: 'ignore' });
  const venv = path.join(dir, 'venv');
  execFileSync(PYTHON, ['-m', 'venv', '--without-pip', venv]);
  return { dir, cert, key, venv };
}

/**
 * A run folder with the fixture's files under site/ ({{ROOT}}, {{USER}} and {{GROUP}} filled in),
 * the certificates and virtualenvs its files name, and main.conf; all readable by www-data.
 */
function place(name: string): { run: string; conf: string } {
  const expected = EXPECTED[name]!;
  const run = fs.mkdtempSync(path.join(os.tmpdir(), `tswsgi-real-world-${name}-`));
  const root = path.join(run, 'site');
  fs.cpSync(path.join(FIXTURES, name), root, { recursive: true });
  const texts: string[] = [];
  const walk = (dir: string) => {
    fs.chmodSync(dir, 0o755);
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        walk(file);
        continue;
      }
      const text = fs.readFileSync(file, 'utf8').replaceAll('{{ROOT}}', root).replaceAll('{{USER}}', 'www-data').replaceAll('{{GROUP}}', 'www-data');
      fs.writeFileSync(file, text);
      fs.chmodSync(file, 0o644);
      if (file.endsWith('.conf')) texts.push(text);
    }
  };
  walk(root);
  const within = (file: string) => file.startsWith(root + '/') && !fs.existsSync(file);
  for (const text of texts) {
    for (const m of text.matchAll(/^\s*SSL(?:Certificate(?:Key)?File|CertificateChainFile|CACertificateFile)\s+"?([^"\s]+)/gm)) {
      if (!within(m[1]!)) continue;
      fs.mkdirSync(path.dirname(m[1]!), { recursive: true });
      fs.copyFileSync(/Key/.test(m[0]) ? supplies.key : supplies.cert, m[1]!);
    }
    for (const m of text.matchAll(/(?:python-home=|WSGIPythonHome\s+)(\S+)/g)) {
      if (within(m[1]!)) fs.cpSync(supplies.venv, m[1]!, { recursive: true, verbatimSymlinks: true });
    }
  }
  // run for Debian's APACHE_RUN_DIR, logs for Red Hat's relative log paths (its ServerRoot has a logs link).
  fs.mkdirSync(path.join(run, 'run'));
  fs.mkdirSync(path.join(run, 'logs'));
  fs.chmodSync(run, 0o755);
  const conf = path.join(run, 'main.conf');
  fs.writeFileSync(conf, debianMain(run, expected.modules ?? []));
  return { run, conf };
}

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

function spawnAsync(file: string, args: string[]): Promise<Outcome> {
  return new Promise((resolve) => {
    execFile(file, args, { encoding: 'utf8', env: { ...process.env, LANG: 'C' }, timeout: 30_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

/**
 * configtest's errors as 'file:line what', files relative to the fixture's folder; what is the
 * refused directive, or an other error's message up to its explanation.
 */
function refusals(stderr: string, run: string): string[] {
  const shown = (file: string) => file.replace(`${run}/site/`, '');
  const out: string[] = [];
  for (const line of stderr.split('\n')) {
    let m = /^tswsgi: Syntax error on line (\d+) of (\S+): (.*)$/.exec(line);
    if (m) {
      const detail = m[3]!;
      const what = /^(<?\S+?>?) \(\w+\) is not supported by tswsgi/.exec(detail)?.[1] ?? /^(Require \S+) is not supported by tswsgi/.exec(detail)?.[1]
        ?? /^Unknown Authz provider: (\S+)/.exec(detail)?.[1]?.replace(/^/, 'Require ') ?? detail.split(/: | \(/)[0];
      out.push(`${shown(m[2]!)}:${m[1]} ${what}`);
      continue;
    }
    m = /^tswsgi: (\/\S+):(\d+): (.*)$/.exec(line);
    if (m) out.push(`${shown(m[1]!)}:${m[2]} ${m[3]!.split(/: | \(/)[0]}`);
  }
  return out;
}

const missing = unavailable() ?? (spawnSync('openssl', ['version']).status === 0 ? null : 'no openssl');

let supplies: Supplies;
before(() => { if (!missing) supplies = makeSupplies(); });
after(() => { if (supplies) fs.rmSync(supplies.dir, { recursive: true, force: true }); });

describe('real-world sites: apache2 -t and tswsgi configtest', { skip: missing ?? false, concurrency: 4 }, () => {
  test('every fixture has an expectation, and every expectation a fixture', () => {
    const folders = fs.readdirSync(FIXTURES, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort();
    assert.deepEqual(Object.keys(EXPECTED).sort(), folders);
    assert.ok(folders.length >= 30, `${folders.length} fixtures`);
  });

  for (const [name, expected] of Object.entries(EXPECTED)) {
    test(name, async () => {
      const { run, conf } = place(name);
      try {
        const [apache, ours] = await Promise.all([
          spawnAsync(APACHE, ['-t', '-d', run, '-f', conf]),
          spawnAsync(process.execPath, [BIN_TSWSGI, 'configtest', '-f', conf, '--python', PYTHON]),
        ]);
        assert.equal(apache.code, 0, `apache2 -t refuses the fixture:\n${apache.stderr}`);
        assert.doesNotMatch(ours.stderr, /Invalid command/);
        assert.deepEqual(refusals(ours.stderr, run), expected.refused, ours.stderr);
        assert.equal(ours.code, expected.refused.length === 0 ? 0 : 1, ours.stderr);
      } finally {
        fs.rmSync(run, { recursive: true, force: true });
      }
    });
  }
});

/** Every Listen port of the run's files moved to a free one (in Listen lines and <VirtualHost> addresses): old to new. */
async function movePorts(run: string): Promise<Map<number, number>> {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(file);
      else if (entry.name.endsWith('.conf')) files.push(file);
    }
  };
  walk(run);
  const moved = new Map<number, number>();
  for (const file of files) {
    for (const m of fs.readFileSync(file, 'utf8').matchAll(/^\s*Listen\s+(?:\S+:)?(\d+)/gm)) {
      const port = Number(m[1]);
      while (!moved.has(port)) {
        const free = await freePort();
        if (![...moved.values()].includes(free)) moved.set(port, free);
      }
    }
  }
  const to = (port: string) => String(moved.get(Number(port)) ?? port);
  for (const file of files) {
    const text = fs.readFileSync(file, 'utf8')
      .replace(/^(\s*Listen\s+(?:\S+:)?)(\d+)/gm, (_whole, head: string, port: string) => head + to(port))
      .replace(/^\s*<VirtualHost\s[^>]*>/gim, (line) => line.replace(/:(\d+)/g, (_whole, port: string) => `:${to(port)}`));
    fs.writeFileSync(file, text);
  }
  return moved;
}

describe('real-world sites tswsgi accepts, served by Apache and tswsgi', { skip: missing ?? false, concurrency: 4 }, () => {
  for (const [name, expected] of Object.entries(EXPECTED).filter(([, e]) => e.requests)) {
    test(name, async () => {
      const requests = expected.requests!.map((line) => {
        const [port, target, status, , ours] = line.split(' ');
        return { port: Number(port), path: target!, status: Number(status), tswsgi: ours === undefined || ours === 'hostname' ? undefined : Number(ours), byHostname: ours === 'hostname' };
      });
      const servers: Partial<Record<ServerKind, { instance: Instance; ports: Map<number, number> }>> = {};
      try {
        const started = await Promise.allSettled((['apache', 'tswsgi'] as const).map(async (kind) => {
          const { run, conf } = place(name);
          const ports = await movePorts(run);
          servers[kind] = { instance: await launch(kind, conf, run, ports.get(requests[0]!.port)!), ports };
        }));
        const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
        if (failed) throw failed.reason;
        const apache = servers.apache!;
        const tswsgi = servers.tswsgi!;
        for (const request of requests) {
          // What a client behind a proxy sends: whether each reaches the application is compared too.
          const headers = { 'Authorization': 'Basic dXNlcjpwYXNz', 'X-Forwarded-For': '203.0.113.9', 'X-Forwarded-Proto': 'https' };
          const probe = { name: request.path, path: request.path, headers };
          const [a, t] = await Promise.all([send(apache.ports.get(request.port)!, probe), send(tswsgi.ports.get(request.port)!, probe)]);
          const what = `${name}: GET ${request.path} at ${request.port}`;
          assert.equal(a.status, request.status, `${what}: Apache answers ${a.status}\n${apache.instance.errorLog()}`);
          assert.equal(t.status, request.tswsgi ?? a.status, `${what}: tswsgi answers ${t.status}, Apache ${a.status}\n${tswsgi.instance.errorLog()}`);
          // The stand-in apps say where mod_wsgi put them; %{RESOURCE}'s and %{SERVER}'s groups name the server's own port.
          const body = (answer: { body: Buffer }, port: number) => answer.body.toString().replace(new RegExp(`:${port}(?!\\d)`, 'g'), ':PORT');
          if (a.status !== 200 || t.status !== 200) continue;
          const [ours, theirs] = [body(t, tswsgi.ports.get(request.port)!), body(a, apache.ports.get(request.port)!)];
          if (request.byHostname && /AH00558/.test(apache.instance.errorLog())) assert.notEqual(ours, theirs, `${what}: the same body now`);
          else assert.equal(ours, theirs, what);
        }
      } finally {
        await Promise.all(Object.values(servers).map((server) => server.instance.stop()));
      }
    });
  }

  // As under systemd, whose journal takes stdout and stderr through sockets. (Apache may listen a
  // moment before it fails, so its exit is waited for, not its port.)
  test('container, with stdout and stderr sockets: neither server starts, both say the error log cannot be opened', async () => {
    const { run, conf } = place('container');
    try {
      await movePorts(run);
      const [apache, ours] = await Promise.all([
        spawnAsync(APACHE, ['-f', conf, '-DFOREGROUND']),
        spawnAsync(process.execPath, [BIN_TSWSGI, 'serve', '-f', conf, '--python', PYTHON]),
      ]);
      for (const [kind, outcome] of [['apache', apache], ['tswsgi', ours]] as const) {
        assert.equal(outcome.code, 1, `${kind}: ${outcome.stderr}`);
        assert.match(outcome.stderr, /could not open error log file \/proc\/self\/fd\/2/, kind);
      }
      assert.doesNotMatch(ours.stdout, /serving/);
    } finally {
      fs.rmSync(run, { recursive: true, force: true });
    }
  });
});
