// The runtime directory holds the worker sockets, the control socket and, for processes of
// another user, a copy of the worker package. tswsgi, often root, runs that code and obeys that
// socket, so the directory must be one that no other user can write or swap: a fresh one with a
// name no one can guess (tswsgi-PID-XXXXXX in the temp dir, made as mkdtemp makes it, failing
// rather than reusing a name that exists), or the configured one once its owner and mode are checked.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { userName, type Credentials } from './credentials';
import { PYTHON_PACKAGE_DIR } from './worker-process';

/** A default runtime directory: the server's pid, then mkdtemp's six random characters. */
const DEFAULT_NAME = /^tswsgi-(\d+)-[A-Za-z0-9]{6}$/;

export const describeUser = (uid: number) => `${userName(uid) ?? 'an unknown user'} (uid ${uid})`;
const octal = (mode: number) => `0${(mode & 0o7777).toString(8)}`;

/**
 * Why `uid` cannot trust `dir`, or null if it can: a directory (not a link) that `uid` owns and
 * no one else may write, in folders from which no one but `uid` and root can rename it away
 * (a sticky world-writable folder such as /tmp is fine).
 */
export function distrust(dir: string, uid: number): string | null {
  let stat: fs.Stats;
  try {
    stat = fs.lstatSync(dir);
  } catch {
    return `the runtime directory ${dir} does not exist`;
  }
  if (!stat.isDirectory()) return `the runtime directory ${dir} is ${stat.isSymbolicLink() ? 'a symbolic link' : 'not a directory'}`;
  if (stat.uid !== uid) return `the runtime directory ${dir} is owned by ${describeUser(stat.uid)}, not ${describeUser(uid)}`;
  if ((stat.mode & 0o022) !== 0) return `the runtime directory ${dir} is writable by other users (mode ${octal(stat.mode)})`;
  for (let at = fs.realpathSync(path.dirname(dir)); ; at = path.dirname(at)) {
    const above = fs.statSync(at);
    if (above.uid !== uid && above.uid !== 0) {
      return `the runtime directory ${dir} is inside ${at}, which ${describeUser(above.uid)} owns (and could move it away)`;
    }
    if ((above.mode & 0o022) !== 0 && (above.mode & 0o1000) === 0) {
      return `the runtime directory ${dir} is inside ${at}, which other users can write (mode ${octal(above.mode)}, not sticky)`;
    }
    if (at === path.dirname(at)) return null;
  }
}

/** The default runtime directories in the temp dir (those of the server with `pid`, if given), with the pid each names. */
export function defaultRuntimeDirs(pid?: number): Array<{ pid: number; dir: string }> {
  return fs.readdirSync(os.tmpdir()).flatMap((name) => {
    const named = Number(DEFAULT_NAME.exec(name)?.[1]);
    return named && (pid === undefined || named === pid) ? [{ pid: named, dir: path.join(os.tmpdir(), name) }] : [];
  });
}

export class RuntimeDir {
  private dir: string | null = null;
  private packageCopy: string | null = null;

  /** `configured`: DefaultRuntimeDir's or WSGISocketPrefix's directory; null: a fresh one in the temp dir. */
  constructor(private readonly configured: string | null) {}

  /** Makes the directory, or checks the configured one; throws, naming it and what is wrong, if others could write it. */
  open(): string {
    const uid = process.geteuid!();
    const dir = this.configured ?? fs.mkdtempSync(path.join(os.tmpdir(), `tswsgi-${process.pid}-`));
    if (this.configured !== null) fs.mkdirSync(dir, { recursive: true, mode: 0o711 });
    const problem = distrust(dir, uid);
    if (problem) throw new Error(`${problem}; tswsgi keeps its sockets and runs code there, so only ${describeUser(uid)} may own and write it`);
    // Processes of other users (user=, User) pass through to their pool's own directory; nobody can list it.
    fs.chmodSync(dir, 0o711);
    this.dir = dir;
    return dir;
  }

  get path(): string {
    if (this.dir === null) throw new Error('the runtime directory is not open yet');
    return this.dir;
  }

  poolDir(index: number): string {
    return path.join(this.path, `pool${index}`);
  }

  /**
   * Makes a pool's socket directory, which only its processes' user (`owner`, else ours) may
   * enter: made afresh (one left by a server that did not stop cleanly goes first), so that all
   * in it is what its processes made.
   */
  makePoolDir(index: number, owner: Credentials | null): void {
    const dir = this.poolDir(index);
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { mode: 0o700 });
    if (owner) fs.chownSync(dir, owner.uid, owner.gid);
  }

  /**
   * The worker package where any user can read it: its own folder if every folder above it
   * lets others in, else a copy in the runtime directory (a checkout under /root, say), made
   * afresh once per server, never one found there.
   */
  workerPackage(): string {
    const readable = (dir: string): boolean => {
      for (let at = dir; ; at = path.dirname(at)) {
        if ((fs.statSync(at).mode & 0o005) !== 0o005) return false;
        if (at === path.dirname(at)) return true;
      }
    };
    if (readable(PYTHON_PACKAGE_DIR)) return PYTHON_PACKAGE_DIR;
    if (this.packageCopy === null) {
      const copy = path.join(this.path, 'python');
      fs.rmSync(copy, { recursive: true, force: true });
      fs.cpSync(path.join(PYTHON_PACKAGE_DIR, 'tswsgi_worker'), path.join(copy, 'tswsgi_worker'), {
        recursive: true, filter: (source) => !source.includes('__pycache__'),
      });
      fs.chmodSync(copy, 0o755);
      this.packageCopy = copy;
    }
    return this.packageCopy;
  }

  /** At stop: the sockets and the copy go. */
  remove(): void {
    if (this.dir !== null) fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
