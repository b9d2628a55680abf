// The control socket: `tswsgi graceful`, `restart` and `restart-group` reach a running
// server through a UNIX socket in its runtime directory. One JSON line asks; one JSON
// line answers once the work is done, so a deploy script knows when the new code serves.

import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { defaultRuntimeDirs, describeUser, distrust } from './process/runtime-dir';

export type ControlCommand =
  | { command: 'graceful' }
  | { command: 'restart' }
  | { command: 'restart-group'; group: string };

export interface ControlReply {
  ok: boolean;
  message: string;
}

export const CONTROL_SOCKET = 'control.sock';

export function listenControl(socketPath: string, handle: (command: ControlCommand) => Promise<ControlReply>): net.Server {
  fs.rmSync(socketPath, { force: true });
  const server = net.createServer((socket) => {
    let text = '';
    socket.setEncoding('utf8');
    socket.on('error', () => {});
    socket.on('data', (chunk: string) => {
      text += chunk;
      const end = text.indexOf('\n');
      if (end < 0) return;
      socket.pause();
      let command: unknown;
      try {
        command = JSON.parse(text.slice(0, end));
      } catch {
        command = null;
      }
      if (typeof command !== 'object' || command === null || typeof (command as { command?: unknown }).command !== 'string') {
        socket.end(JSON.stringify({ ok: false, message: 'malformed command' }) + '\n');
        return;
      }
      Promise.resolve().then(() => handle(command as ControlCommand)).then(
        (reply) => socket.end(JSON.stringify(reply) + '\n'),
        (err: Error) => socket.end(JSON.stringify({ ok: false, message: err.message }) + '\n'));
    });
  });
  // Only the user tswsgi runs as (and root) may restart it: the socket is made 0600 (bound at
  // once, under this umask), so there is no moment when others could connect.
  const umask = process.umask(0o177);
  try {
    server.listen(socketPath);
  } finally {
    process.umask(umask);
  }
  server.unref();
  return server;
}

export function sendControl(socketPath: string, command: ControlCommand): Promise<ControlReply> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(socketPath);
    let text = '';
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.write(JSON.stringify(command) + '\n'));
    socket.on('data', (chunk: string) => { text += chunk; });
    socket.on('error', (err) => reject(new Error(`cannot reach tswsgi at ${socketPath}: ${err.message}`)));
    socket.on('end', () => {
      try {
        resolve(JSON.parse(text) as ControlReply);
      } catch {
        reject(new Error(`tswsgi at ${socketPath} gave no answer`));
      }
    });
  });
}

/**
 * The control socket in the runtime directory `dir`, if the user running this command can trust
 * it: the directory passes distrust() for that user, and the socket is that user's. Else throws
 * why: a socket someone else made could answer "done" to a restart that never happened.
 */
export function trustedControlSocket(dir: string): string {
  const uid = process.geteuid!();
  const problem = distrust(dir, uid);
  if (problem) throw new Error(`${problem}; not trusting a control socket there`);
  const socketPath = path.join(dir, CONTROL_SOCKET);
  const stat = fs.lstatSync(socketPath, { throwIfNoEntry: false });
  if (!stat) throw new Error(`${dir} has no control socket (is the server still starting?)`);
  if (!stat.isSocket() || stat.uid !== uid) throw new Error(`${socketPath} is not a socket of ${describeUser(uid)}; not trusting it`);
  return socketPath;
}

/** The control socket of the server with this pid, in its default runtime directory (tswsgi-PID-XXXXXX in the temp dir). */
export function controlSocketOf(pid: number): string {
  const problems: string[] = [];
  for (const { dir } of defaultRuntimeDirs(pid)) {
    try {
      return trustedControlSocket(dir);
    } catch (err) {
      problems.push((err as Error).message);
    }
  }
  if (problems.length > 0) throw new Error(problems.join('; '));
  throw new Error(`no runtime directory of a tswsgi with pid ${pid} (tswsgi-${pid}-*) in ${os.tmpdir()}`);
}

/** The control sockets of running servers with default runtime directories that the user running this command can trust. */
export function runningServers(): string[] {
  return defaultRuntimeDirs().flatMap(({ pid, dir }) => {
    try {
      process.kill(pid, 0);
      return [trustedControlSocket(dir)];
    } catch {
      // Left behind by a server that died, or not to be trusted (another user's).
      return [];
    }
  });
}
