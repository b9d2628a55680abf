// The runtime directory holds the sockets, the control socket and, for processes of another
// user, a copy of the worker package: tswsgi (often root) runs code from it and obeys the
// control socket found there, so no other local user may plant either.

import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { APPS, BIN, DEBIAN_PYTHON, ROOT, ROOT_ONLY, request, startServe, startServeUnder, startServer, tempDir, writeConf } from './helpers/tswsgi';

const run = promisify(execFile);
const NOBODY = ['setpriv', '--reuid=nobody', '--regid=nogroup', '--clear-groups'];
const nobodyUid = () => Number(fs.readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith('nobody:'))!.split(':')[2]);

/** A folder any user may create entries in, as /tmp is: the TMPDIR of a test, so that the servers of other tests stay out of sight. */
function sharedTmp(): string {
  const dir = tempDir();
  fs.chmodSync(dir, 0o1777);
  return dir;
}

/**
 * tswsgi installed where other users cannot read it (a checkout under /root, say): processes
 * that run as another user get the worker package from a copy in the runtime directory.
 */
function privateInstall(): string {
  const dir = tempDir();
  for (const part of ['bin', 'dist/src', 'python/tswsgi_worker']) {
    fs.cpSync(path.join(ROOT, part), path.join(dir, part), { recursive: true, filter: (source) => !source.includes('__pycache__') });
  }
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
  return path.join(dir, 'bin/tswsgi.js');
}

test('as root: a runtime directory another user planted in the temp dir is not used, and the code planted in it never runs', { ...ROOT_ONLY, timeout: 60_000 }, async () => {
  const tmp = sharedTmp();
  const marker = path.join(tmp, 'planted-code-ran');
  const site = tempDir();
  fs.chmodSync(site, 0o755);
  fs.copyFileSync(path.join(APPS, 'whoami.wsgi'), path.join(site, 'whoami.wsgi'));
  const conf = path.join(site, 'httpd.conf');
  fs.writeFileSync(conf, `Listen 127.0.0.1:0
LogLevel info
WSGIDaemonProcess app user=nobody group=nogroup threads=2
WSGIScriptAlias / ${site}/whoami.wsgi process-group=app application-group=%{GLOBAL}
`);
  // Before the server starts, nobody makes the directory named after its pid, world-writable,
  // with a worker package that leaves a mark as whoever runs it.
  const plant = 'd="$TMPDIR/tswsgi-$1"; mkdir -p "$d/python/tswsgi_worker" && touch "$d/python/tswsgi_worker/__init__.py"' +
    ' && printf "%s" "$PLANTED" > "$d/python/tswsgi_worker/main.py" && chmod -R 777 "$d"';
  const wrapper = ['sh', '-c', `${NOBODY.join(' ')} sh -c "$PLANT" plant "$$" && exec "$@"`, 'sh'];
  const planted = `import os\nopen(${JSON.stringify(marker)}, 'w').write(str(os.getuid()))\nos._exit(1)\n`;
  const started = await startServeUnder(wrapper, privateInstall(), conf,
    { TMPDIR: tmp, TSWSGI_PYTHON: DEBIAN_PYTHON, PLANT: plant, PLANTED: planted }).catch((err: Error) => err);
  try {
    assert.ok(!fs.existsSync(marker), `the planted worker package ran, as uid ${fs.existsSync(marker) && fs.readFileSync(marker, 'utf8')}`);
    if (started instanceof Error) throw started;
    assert.equal((await request(started.url + '/')).json().uid, nobodyUid(), 'the real worker package serves, as nobody');
    const own = fs.readdirSync(tmp).filter((name) => name.startsWith(`tswsgi-${started.child.pid}-`));
    assert.equal(own.length, 1, `a runtime directory of its own beside the planted one: ${fs.readdirSync(tmp)}`);
    const stat = fs.lstatSync(path.join(tmp, own[0]!));
    assert.deepEqual([stat.uid, stat.mode & 0o7777], [0, 0o711]);
  } finally {
    if (!(started instanceof Error)) await started.stop();
  }
});

test('as root: a configured runtime directory that another user owns, or that other users can write, is refused, naming it and why', ROOT_ONLY, async () => {
  const dir = tempDir();
  const owned = path.join(dir, 'run', 'tswsgi');
  fs.mkdirSync(owned, { recursive: true, mode: 0o700 });
  fs.chownSync(owned, nobodyUid(), nobodyUid());
  const writable = path.join(dir, 'wsgi-tswsgi');
  fs.mkdirSync(writable);
  fs.chmodSync(writable, 0o777);
  const cases: Array<[string, string, RegExp]> = [
    [`DefaultRuntimeDir ${dir}/run`, owned, /is owned by nobody \(uid \d+\), not root/],
    [`WSGISocketPrefix ${dir}/wsgi`, writable, /is writable by other users \(mode 0777\)/],
  ];
  for (const [directive, made, why] of cases) {
    const conf = writeConf(`Listen 127.0.0.1:0\n${directive}\nWSGIScriptAlias / ${APPS}/probe.wsgi\n`);
    const outcome = await startServe(conf).then(async (server) => { await server.stop(); return 'started'; }, (err: Error) => err.message);
    assert.ok(outcome.includes(`runtime directory ${made} `), `${directive}: names ${made}: ${outcome}`);
    assert.match(outcome, why, directive);
  }
});

// Answers every command on control sockets in the directories a server with its pid would have,
// and leaves a mark when one is used.
const PLANTED_LISTENER = `
import os, select, socket, sys
tmp, marker = sys.argv[1:]
listening = []
for name in ('tswsgi-%d' % os.getpid(), 'tswsgi-%d-Plant0' % os.getpid()):
    os.mkdir(os.path.join(tmp, name))
    os.chmod(os.path.join(tmp, name), 0o777)
    path = os.path.join(tmp, name, 'control.sock')
    s = socket.socket(socket.AF_UNIX)
    s.bind(path)
    os.chmod(path, 0o777)
    s.listen()
    listening.append(s)
print('listening', flush=True)
while True:
    for s in select.select(listening, [], [])[0]:
        c = s.accept()[0]
        open(marker, 'w').close()
        c.recv(4096)
        c.sendall(b'{"ok": true, "message": "planted"}\\n')
        c.close()
`;

test('as root: tswsgi graceful trusts only its own user\'s control sockets: one planted by another user is passed over, and --pid refuses it', ROOT_ONLY, async () => {
  const tmp = sharedTmp();
  const marker = path.join(tmp, 'planted-socket-used');
  const listener = spawn(NOBODY[0]!, [...NOBODY.slice(1), DEBIAN_PYTHON, '-c', PLANTED_LISTENER, tmp, marker], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    await new Promise((resolve, reject) => {
      listener.stdout!.once('data', resolve);
      listener.once('exit', (code) => reject(new Error(`the planted listener exited with ${code}`)));
    });
    const server = await startServer(path.join(ROOT, 'examples/hello.wsgi'), [], { TMPDIR: tmp });
    const env = { ...process.env, TMPDIR: tmp };
    try {
      const { stdout } = await run(process.execPath, [BIN, 'graceful'], { env });
      assert.match(stdout, /graceful: every process replaced/, 'the one trusted server is found');
      await assert.rejects(run(process.execPath, [BIN, 'graceful', '--pid', String(listener.pid)], { env }), (err: { stderr: string; code: number }) => {
        assert.match(err.stderr, new RegExp(`${tmp}/tswsgi-${listener.pid}-Plant0 is owned by nobody \\(uid \\d+\\), not root`));
        return err.code === 1;
      });
      assert.ok(!fs.existsSync(marker), 'the planted control socket was never used');
    } finally {
      await server.stop();
    }
  } finally {
    listener.kill();
  }
});
