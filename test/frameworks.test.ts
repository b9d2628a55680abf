// Real Flask and Django applications, from Debian's python3-flask and python3-django,
// so these tests run on Debian's /usr/bin/python3.

import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { APPS, DEBIAN_PYTHON, request, startServer, type RunningServer } from './helpers/tswsgi';

describe('Flask', () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer(path.join(APPS, 'flask_app/flask.wsgi'), ['--python', DEBIAN_PYTHON, '--mount-point', '/shop']);
  });
  after(() => server.stop());

  test('serves a route under the mount point', async () => {
    const reply = await request(server.url + '/shop/');
    assert.equal(reply.status, 200);
    assert.equal(reply.body.toString(), 'Hello from Flask');
  });

  test('sees SCRIPT_NAME as its script root and reads a JSON body', async () => {
    const reply = await request(server.url + '/shop/json?q=1', {
      method: 'POST', body: JSON.stringify({ a: [1, 2] }), headers: { 'Content-Type': 'application/json' },
    });
    assert.equal(reply.status, 200);
    assert.deepEqual(reply.json(), { method: 'POST', path: '/json', script_root: '/shop', args: { q: '1' }, body: { a: [1, 2] } });
  });

  test('builds its URLs from the environ', async () => {
    const reply = await request(server.url + '/shop/users/ana', { headers: { Host: 'shop.example:8080' } });
    assert.deepEqual(reply.json(), { name: 'ana', url: 'http://shop.example:8080/shop/users/ana' });
  });

  test('its own 404 passes through', async () => {
    const reply = await request(server.url + '/shop/nope');
    assert.equal(reply.status, 404);
    assert.match(reply.body.toString(), /Not Found/);
  });
});

describe('Django', () => {
  let server: RunningServer;
  const project = path.join(APPS, 'django_project');
  before(async () => {
    server = await startServer(path.join(project, 'mysite/wsgi.py'), ['--python', DEBIAN_PYTHON, '--python-path', project, '--processes', '2']);
  });
  after(() => server.stop());

  test('serves the index view', async () => {
    const reply = await request(server.url + '/');
    assert.equal(reply.status, 200);
    assert.equal(reply.body.toString(), 'Hello from Django');
  });

  test('routes with path converters, query and body', async () => {
    const reply = await request(server.url + '/info/caf%C3%A9/?x=1', { method: 'POST', body: 'payload', headers: { 'Content-Type': 'text/plain' } });
    assert.equal(reply.status, 200);
    assert.deepEqual(reply.json(), {
      name: 'café', method: 'POST', path: '/info/café/', path_info: '/info/café/', script_name: '', query: { x: '1' }, body: 'payload',
    });
  });

  test('CommonMiddleware redirects to the slash URL', async () => {
    const reply = await request(server.url + '/info/ana');
    assert.equal(reply.status, 301);
    assert.equal(reply.headers.location, '/info/ana/');
  });

  test('ALLOWED_HOSTS is enforced on the Host the client sent', async () => {
    const reply = await request(server.url + '/', { headers: { Host: 'evil.example' } });
    assert.equal(reply.status, 400);
  });
});

describe('Django by module name (--application-type module)', () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer('mysite.wsgi', ['--application-type', 'module', '--working-directory', path.join(APPS, 'django_project'), '--python', DEBIAN_PYTHON]);
  });
  after(() => server.stop());

  test('the module is imported from the working directory before the first request, and serves', async () => {
    // The ready line comes after the import, so the log says so before any request is sent.
    assert.match(server.errorLog(), /Loaded Python module 'mysite\.wsgi' in [\d.]+ seconds/);
    assert.match(server.stdout(), /serving mysite\.wsgi at http:/);
    const reply = await request(server.url + '/info/x/');
    assert.equal(reply.status, 200);
    assert.equal(reply.json<{ name: string }>().name, 'x');
  });
});
