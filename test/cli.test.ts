// The command line itself: help text, option errors, the ready line.

import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { AS_ROOT, BIN, ROOT, request, startServer, waitFor } from './helpers/tswsgi';

const run = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8' });

test('start-server --help describes every option', () => {
  const help = run('start-server', '--help');
  assert.equal(help.status, 0);
  for (const option of ['--host', '--port', '--processes', '--threads', '--mount-point', '--callable-object', '--application-type', '--application-group', '--python ',
    '--python-path', '--working-directory', '--import-script', '--limit-request-body', '--log-level', '--access-log']) {
    assert.ok(help.stdout.includes(option), `help mentions ${option}`);
  }
});

test('a bad option value is refused with a clear message', () => {
  const bad = run('start-server', 'examples/hello.wsgi', '--threads', 'many');
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /--threads.*expected a whole number/);
  const level = run('start-server', 'examples/hello.wsgi', '--log-level', 'loud');
  assert.notEqual(level.status, 0);
  assert.match(level.stderr, /log level must be one of/);
});

test('a Python that cannot run is one clear error at start, not a respawn loop', () => {
  const missing = run('start-server', 'examples/hello.wsgi', '--python', '/nonexistent/python3');
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /Python interpreter '\/nonexistent\/python3' could not be run/);
});

test('the ready line names the URL (as root, after a warning that the application runs as root), and --access-log writes combined lines to stdout', async () => {
  const server = await startServer(path.join(ROOT, 'examples/hello.wsgi'), ['--access-log']);
  try {
    assert.match(server.stdout(), /^tswsgi: serving .*hello\.wsgi at http:\/\/127\.0\.0\.1:\d+\/, 1 process x 5 threads \(pid \d+\)$/m);
    if (AS_ROOT) assert.match(server.errorLog(), /tswsgi: warning: running as root, so the application runs as root; .*`tswsgi serve -f` with `User` or `WSGIDaemonProcess user=`/);
    const reply = await request(server.url + '/greet?x=1', { headers: { 'User-Agent': 'test-agent', Referer: 'http://ref/' } });
    assert.equal(reply.body.toString(), 'Hello, world!\n');
    // The line is written when the response has ended, which the client may see first.
    await waitFor(() => server.stdout().includes('"GET /greet?x=1 HTTP/1.1"'), 'the access log line');
    assert.match(server.stdout(), /^127\.0\.0\.1 - - \[\d{2}\/\w{3}\/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4}\] "GET \/greet\?x=1 HTTP\/1\.1" 200 14 "http:\/\/ref\/" "test-agent"$/m);
  } finally {
    await server.stop();
  }
});

test('--application-group and --import-script: the preload lands in the named group', async () => {
  const server = await startServer(path.join(ROOT, 'test/apps/groups.wsgi'),
    ['--application-group', 'mine', '--import-script', 'test/apps/preload_marker.py'], { TSWSGI_TEST_PRELOAD_SECONDS: '0.1' });
  try {
    const where = (await request(server.url + '/')).json<{ application_group: string; marker_id: number | null; created_id: number | null }>();
    assert.equal(where.application_group, 'mine');
    assert.notEqual(where.marker_id, null);
    assert.equal(where.marker_id, where.created_id);
  } finally {
    await server.stop();
  }
});
