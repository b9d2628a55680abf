// The control socket: `tswsgi graceful`, `restart` and `restart-group` reach a running
// server through a UNIX socket in its runtime directory. One JSON line asks; one JSON
// line answers once the work is done, so a deploy script knows when the new code serves.

import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { defaultRuntimeDir } from './config/defaults';

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
  // Only the user tswsgi runs as (and root) may restart it.
  server.listen(socketPath, () => fs.chmodSync(socketPath, 0o600));
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

/** The control sockets of running servers with default runtime directories. */
export function runningServers(): string[] {
  const found: string[] = [];
  for (const entry of fs.readdirSync(os.tmpdir())) {
    const pid = /^tswsgi-(\d+)$/.exec(entry)?.[1];
    const socketPath = path.join(defaultRuntimeDir(Number(pid)), CONTROL_SOCKET);
    if (!pid || !fs.existsSync(socketPath)) continue;
    try {
      process.kill(Number(pid), 0);
      found.push(socketPath);
    } catch {
      // Left behind by a server that died.
    }
  }
  return found;
}
