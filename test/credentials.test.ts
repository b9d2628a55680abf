// WSGIDaemonProcess user= and group=: processes run as another user when tswsgi starts as root.

import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { APPS, AS_ROOT, DEBIAN_PYTHON, request, startServe, tempDir } from './helpers/tswsgi';

/** A copy of the app in a folder another user may read (the checkout's own folders may not be). */
function readableCopy(): { dir: string; conf: string } {
  const dir = tempDir();
  fs.chmodSync(dir, 0o755);
  fs.copyFileSync(path.join(APPS, 'whoami.wsgi'), path.join(dir, 'whoami.wsgi'));
  fs.chmodSync(path.join(dir, 'whoami.wsgi'), 0o644);
  const conf = path.join(dir, 'httpd.conf');
  fs.writeFileSync(conf, `Listen 127.0.0.1:0
WSGIDaemonProcess dropped user=nobody group=nogroup threads=2
WSGIDaemonProcess mine threads=2
WSGIDaemonProcess extra user=nobody group=nogroup supplementary-groups=adm,users threads=1
WSGIScriptAlias /extra ${dir}/whoami.wsgi process-group=extra application-group=%{GLOBAL}
WSGIScriptAlias /dropped ${dir}/whoami.wsgi process-group=dropped application-group=%{GLOBAL}
WSGIScriptAlias /mine ${dir}/whoami.wsgi process-group=mine application-group=%{GLOBAL}
`);
  return { dir, conf };
}

const groupGid = (name: string) => Number(fs.readFileSync('/etc/group', 'utf8').split('\n').find((l) => l.startsWith(`${name}:`))!.split(':')[2]);
/** What initgroups('nobody', gid) gives: the groups that list nobody as a member, and gid. */
const groupsOfNobody = (gid: number) => [...new Set([gid, ...fs.readFileSync('/etc/group', 'utf8').split('\n')
  .filter((l) => (l.split(':')[3] ?? '').split(',').includes('nobody')).map((l) => Number(l.split(':')[2]))])].sort((a, b) => a - b);

const nobody = () => {
  const line = fs.readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith('nobody:'))!;
  return { uid: Number(line.split(':')[2]), home: line.split(':')[5] };
};

test('user=nobody group=nogroup: the group\'s processes run as that user, with its HOME and its own groups; supplementary-groups= gives those instead', async () => {
  const { conf } = readableCopy();
  if (!AS_ROOT) {
    // Not root: the same config is refused at start, clearly.
    await assert.rejects(startServe(conf), /WSGIDaemonProcess dropped has user=\/group=\/supplementary-groups=, which needs tswsgi to start as root/);
    return;
  }
  // The processes start as root and become nobody, so their Python must be one nobody can read.
  const server = await startServe(conf, [], { TSWSGI_PYTHON: DEBIAN_PYTHON });
  try {
    const dropped = (await request(server.url + '/dropped/')).json();
    assert.equal(dropped.uid, nobody().uid);
    assert.equal(dropped.gid, groupGid('nogroup'));
    assert.ok(!dropped.groups.includes(0), `no supplementary root group: ${dropped.groups}`);
    assert.deepEqual([...dropped.groups].sort((a: number, b: number) => a - b), groupsOfNobody(groupGid('nogroup')), 'the user\'s own groups (initgroups)');
    assert.equal(dropped.USER, 'nobody');
    assert.equal(dropped.HOME, nobody().home);
    assert.equal(dropped.cwd, fs.existsSync(nobody().home) ? nobody().home : '/');
    const mine = (await request(server.url + '/mine/')).json();
    assert.equal(mine.uid, process.getuid!());
    const extra = (await request(server.url + '/extra/')).json();
    assert.equal(extra.uid, nobody().uid);
    assert.deepEqual([...extra.groups].sort((a: number, b: number) => a - b), [groupGid('adm'), groupGid('users')].sort((a, b) => a - b), 'supplementary-groups=');
  } finally {
    await server.stop();
  }
});
