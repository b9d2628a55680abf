// WSGIDaemonProcess user= and group=: which uid and gid a group's processes run as.
// Read from /etc/passwd and /etc/group, as getpwnam would for local accounts.

import * as fs from 'node:fs';

export interface Credentials {
  uid: number;
  gid: number;
  user: string;
  home: string;
  /** supplementary-groups= as gids; null: the user's own groups (initgroups), as mod_wsgi's default. */
  groups: number[] | null;
}

interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

function passwd(): PasswdEntry[] {
  return fs.readFileSync('/etc/passwd', 'utf8').split('\n').filter(Boolean).map((line) => {
    const [name, , uid, gid, , home] = line.split(':');
    return { name: name!, uid: Number(uid), gid: Number(gid), home: home ?? '/' };
  });
}

/** The name of the user with this uid, if /etc/passwd has one. */
export function userName(uid: number): string | undefined {
  return passwd().find((p) => p.uid === uid)?.name;
}

function groupId(name: string): number {
  if (/^#\d+$/.test(name)) return Number(name.slice(1));
  const line = fs.readFileSync('/etc/group', 'utf8').split('\n').find((l) => l.split(':')[0] === name);
  if (!line) throw new Error(`Unknown group '${name}'`);
  return Number(line.split(':')[2]);
}

/**
 * The uid and gid for user= / group=, the group defaulting to the user's primary group, and the
 * supplementary groups. Null when none is given.
 */
export function resolveCredentials(user: string | undefined, group: string | undefined, supplementary?: string): Credentials | null {
  if (user === undefined && group === undefined && supplementary === undefined) return null;
  const me = passwd().find((p) => p.uid === process.getuid!());
  let entry: PasswdEntry | undefined = me;
  if (user !== undefined) {
    entry = /^#\d+$/.test(user) ? passwd().find((p) => p.uid === Number(user.slice(1))) ?? { name: user, uid: Number(user.slice(1)), gid: Number(user.slice(1)), home: '/' }
      : passwd().find((p) => p.name === user);
    if (!entry) throw new Error(`Unknown user '${user}'`);
  }
  if (!entry) throw new Error('Cannot find the current user in /etc/passwd');
  const groups = supplementary === undefined ? null : supplementary.split(',').filter(Boolean).map(groupId);
  return { uid: entry.uid, gid: group === undefined ? entry.gid : groupId(group), user: entry.name, home: entry.home, groups };
}

/** Running processes as another user needs root; say so once, at start, rather than failing each spawn. */
export function checkCanSwitch(credentials: Credentials | null, groupName: string): void {
  if (!credentials) return;
  const uid = process.getuid!();
  if (uid !== 0 && (credentials.uid !== uid || credentials.gid !== process.getgid!() || credentials.groups !== null)) {
    throw new Error(`WSGIDaemonProcess ${groupName} has user=/group=/supplementary-groups=, which needs tswsgi to start as root (it runs as uid ${uid})`);
  }
}
