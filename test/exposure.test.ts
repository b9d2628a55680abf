// Nothing of a project is served unless an alias names it: start-server has no document root,
// `Alias /static/ DIR/` (Django's deployment form) serves DIR, and a DocumentRoot or Alias over an
// application's directory never hands out its code or dot-files. Django from Debian's python3-django,
// so these run on Debian's /usr/bin/python3.

import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { APPS, DEBIAN_PYTHON, request, startServe, startServer, tempDir, writeConf, type RunningServer } from './helpers/tswsgi';

/** A copy of the test Django project with what a real checkout has beside the code. */
function djangoCheckout(): string {
  const project = path.join(tempDir(), 'project');
  fs.cpSync(path.join(APPS, 'django_project'), project, { recursive: true });
  fs.writeFileSync(path.join(project, 'db.sqlite3'), 'SQLite format 3\0');
  fs.mkdirSync(path.join(project, '.git'));
  fs.writeFileSync(path.join(project, '.git/config'), '[remote "origin"]\n');
  fs.writeFileSync(path.join(project, '.env'), 'SECRET_KEY=x\n');
  fs.mkdirSync(path.join(project, 'staticfiles/admin/css'), { recursive: true });
  fs.writeFileSync(path.join(project, 'staticfiles/admin/css/base.css'), 'body { margin: 0 }\n');
  fs.mkdirSync(path.join(project, 'staticfiles/.well-known'));
  fs.writeFileSync(path.join(project, 'staticfiles/.well-known/security.txt'), 'Contact: mailto:x@example.org\n');
  return project;
}

const CODE = ['/manage.py', '/mysite/settings.py', '/mysite/wsgi.py', '/.git/config', '/.env'];

describe('start-server in a Django project', () => {
  let server: RunningServer;
  before(async () => {
    const project = djangoCheckout();
    server = await startServer('mysite/wsgi.py', ['--python', DEBIAN_PYTHON, '--working-directory', project,
      '--python-path', project, '--mount-point', '/shop']);
  });
  after(() => server.stop());

  test('serves the application at its mount point', async () => {
    const reply = await request(server.url + '/shop/');
    assert.equal(reply.status, 200);
    assert.equal(reply.body.toString(), 'Hello from Django');
  });

  test('answers 404 for every file of the working directory', async () => {
    for (const file of [...CODE, '/db.sqlite3', '/', '/mysite/']) {
      const reply = await request(server.url + file);
      assert.equal(reply.status, 404, file);
      assert.doesNotMatch(reply.body.toString(), /SECRET|SQLite|remote|import/, file);
    }
  });
});

describe('serve -f with the document root over a Django project', () => {
  let server: RunningServer;
  before(async () => {
    const project = djangoCheckout();
    server = await startServe(writeConf(`Listen 127.0.0.1:0
DocumentRoot ${project}
WSGIDaemonProcess shop python-path=${project} processes=1 threads=2
WSGIProcessGroup shop
WSGIApplicationGroup %{GLOBAL}
Alias /static/ ${project}/staticfiles/
WSGIScriptAlias /shop ${project}/mysite/wsgi.py
`), ['--python', DEBIAN_PYTHON]);
  });
  after(() => server.stop());

  test('Alias /static/ DIR/ serves the files of DIR', async () => {
    const reply = await request(server.url + '/static/admin/css/base.css');
    assert.equal(reply.status, 200);
    assert.equal(reply.body.toString(), 'body { margin: 0 }\n');
    assert.equal(reply.headers['content-type'], 'text/css');
  });

  test('code and dot-files under the application\'s directories get 403, and say why in the log', async () => {
    for (const file of CODE) {
      const reply = await request(server.url + file);
      assert.equal(reply.status, 403, file);
    }
    await server.waitForLog(/does not serve code or dot-files from an application's directory .* as static files: .*\/\.git\/config/);
  });

  test('/.well-known/ stays reachable (certificate renewal needs it)', async () => {
    const reply = await request(server.url + '/static/.well-known/security.txt');
    assert.equal(reply.status, 200);
    assert.match(reply.body.toString(), /^Contact:/);
  });
});

describe('.htaccess files where AllowOverride allows them', () => {
  let server: RunningServer;
  const root = tempDir();
  before(async () => {
    for (const dir of ['guarded', 'open', 'plain', 'rewritten']) {
      fs.mkdirSync(path.join(root, dir));
      fs.writeFileSync(path.join(root, dir, 'page.txt'), `${dir}\n`);
    }
    fs.writeFileSync(path.join(root, 'guarded/.htaccess'), 'Require all denied\n');
    fs.writeFileSync(path.join(root, 'plain/.htaccess'), 'Require all denied\n');
    fs.writeFileSync(path.join(root, 'rewritten/.htaccess'), '<Files page.txt>\n  Require all denied\n</Files>\n');
    server = await startServe(writeConf(`Listen 127.0.0.1:0
DocumentRoot ${root}
<Directory ${root}>
    AllowOverride AuthConfig Limit
</Directory>
<Directory ${root}/plain>
    AllowOverride None
</Directory>
`));
  });
  after(() => server.stop());

  test('what one says is done: Require all denied is a 403', async () => {
    const reply = await request(server.url + '/guarded/page.txt');
    assert.equal(reply.status, 403);
    assert.doesNotMatch(reply.body.toString(), /guarded/);
  });

  test('one holding what tswsgi does not read (<Files> here) gets 500, never what it may forbid, and the log says why', async () => {
    const reply = await request(server.url + '/rewritten/page.txt');
    assert.equal(reply.status, 500);
    assert.doesNotMatch(reply.body.toString(), /rewritten/);
    await server.waitForLog(/rewritten\/\.htaccess:1: <Files> in a \.htaccess file is not supported by tswsgi/);
  });

  test('a change is read by the next request', async () => {
    const file = path.join(root, 'open/.htaccess');
    fs.writeFileSync(file, 'Require all denied\n');
    assert.equal((await request(server.url + '/open/page.txt')).status, 403);
    fs.writeFileSync(file, 'Require all granted\n# longer, so that the size differs too\n');
    assert.equal((await request(server.url + '/open/page.txt')).body.toString(), 'open\n');
    fs.rmSync(file);
  });

  test('without a .htaccess on the way, or under AllowOverride None, files are served', async () => {
    assert.equal((await request(server.url + '/open/page.txt')).body.toString(), 'open\n');
    assert.equal((await request(server.url + '/plain/page.txt')).body.toString(), 'plain\n');
  });
});
