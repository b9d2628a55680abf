// Options FollowSymLinks / SymLinksIfOwnerMatch on a real server: which symbolic links under
// an Alias, a DocumentRoot or a WSGIScriptAlias may be followed (as Apache's directory walk
// decides: each component of the path, under the Options of the directory holding it).
// Needs root, to give a link target another owner.

import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DEBIAN_PYTHON, request, ROOT_ONLY, startServe, tempDir, writeConf, type RunningServer } from './helpers/tswsgi';

describe('as root: Options and symbolic links', ROOT_ONLY, () => {
  let root = '';
  let server: RunningServer;

  before(async () => {
    root = tempDir('tswsgi-symlinks-');
    const write = (name: string, text: string) => {
      fs.mkdirSync(path.dirname(path.join(root, name)), { recursive: true });
      fs.writeFileSync(path.join(root, name), text);
    };
    write('outside/secret.txt', 'secret\n');
    write('outside/nobody.txt', 'nobody\n');
    fs.chownSync(path.join(root, 'outside/nobody.txt'), Number(execFileSync('id', ['-u', 'nobody'], { encoding: 'utf8' })), 0);
    write('outside/app.wsgi', 'def application(environ, start_response):\n    start_response("200 OK", [])\n    return [b"script\\n"]\n');
    for (const dir of ['default', 'nofollow', 'none', 'owner', 'docroot']) {
      write(`${dir}/plain.txt`, 'plain\n');
      fs.symlinkSync('../outside/secret.txt', path.join(root, dir, 'link.txt'));
      fs.symlinkSync('../outside', path.join(root, dir, 'linkdir'));
      fs.symlinkSync('../outside/app.wsgi', path.join(root, dir, 'app.wsgi'));
      fs.symlinkSync('../outside/nothing', path.join(root, dir, 'dangling.txt'));
    }
    fs.symlinkSync('../outside/nobody.txt', path.join(root, 'owner', 'nobody.txt'));
    server = await startServe(writeConf(`
Listen 127.0.0.1:0
DocumentRoot ${root}/docroot
Alias /default ${root}/default
Alias /nofollow ${root}/nofollow
Alias /none ${root}/none
Alias /owner ${root}/owner
WSGIScriptAlias /script-default ${root}/default/app.wsgi
WSGIScriptAlias /script-nofollow ${root}/nofollow/app.wsgi
<Directory ${root}/nofollow>
  Options -FollowSymLinks
</Directory>
<Directory ${root}/none>
  Options None
</Directory>
<Directory ${root}/owner>
  Options SymLinksIfOwnerMatch
</Directory>
<Directory ${root}/docroot>
  Options Indexes
</Directory>
`), [], { TSWSGI_PYTHON: DEBIAN_PYTHON });
  });
  after(async () => {
    await server?.stop();
    fs.rmSync(root, { recursive: true, force: true });
  });

  const get = async (urlPath: string) => {
    const reply = await request(server.url + urlPath);
    return `${reply.status} ${reply.status === 200 ? reply.body.toString().trim() : ''}`.trim();
  };

  test('FollowSymLinks, the default: links are followed, to a file or through a directory', async () => {
    assert.equal(await get('/default/link.txt'), '200 secret');
    assert.equal(await get('/default/linkdir/secret.txt'), '200 secret');
    assert.equal(await get('/script-default'), '200 script');
  });

  test('a dangling link gets 403 even under FollowSymLinks (Apache lstats a path that does not exist); a missing file 404', async () => {
    assert.equal(await get('/default/dangling.txt'), '403');
    assert.equal(await get('/default/missing.txt'), '404');
    assert.equal(await get('/nofollow/dangling.txt'), '403');
  });

  test('Options -FollowSymLinks: a link, as the file or a directory on the way, gets 403; plain files are served', async () => {
    assert.equal(await get('/nofollow/plain.txt'), '200 plain');
    assert.equal(await get('/nofollow/link.txt'), '403');
    assert.equal(await get('/nofollow/linkdir/secret.txt'), '403');
    await server.waitForLog(`Symbolic link not allowed or link target not accessible: ${root}/nofollow/link.txt`);
    await server.waitForLog(`Symbolic link not allowed or link target not accessible: ${root}/nofollow/linkdir`);
  });

  test('Options None, and an absolute Options list without FollowSymLinks under DocumentRoot', async () => {
    assert.equal(await get('/none/link.txt'), '403');
    assert.equal(await get('/none/plain.txt'), '200 plain');
    assert.equal(await get('/link.txt'), '403');
    assert.equal(await get('/plain.txt'), '200 plain');
  });

  test('SymLinksIfOwnerMatch: followed when the link and its target have the same owner, 403 when not', async () => {
    assert.equal(await get('/owner/link.txt'), '200 secret');
    assert.equal(await get('/owner/nobody.txt'), '403');
  });

  test('a WSGI script reached through a link under -FollowSymLinks gets 403', async () => {
    assert.equal(await get('/script-nofollow'), '403');
    await server.waitForLog(`Symbolic link not allowed or link target not accessible: ${root}/nofollow/app.wsgi`);
  });
});
