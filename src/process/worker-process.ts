// One Python worker process: spawn, the ready handshake on fd 3, its error log
// lines, and the pool of connections (one per worker thread) the dispatcher uses.

import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import * as path from 'node:path';
import * as readline from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import type { ErrorLog } from '../log/error-log';
import { WorkerConnection, type ConnectionOwner } from './worker-connection';
import type { WorkerSettings } from './worker-settings';

export const PYTHON_PACKAGE_DIR = path.resolve(__dirname, '../../../python');

const BOOTSTRAP =
  'import sys; sys.path.insert(0, sys.argv[1]); import tswsgi_worker.main as m; ' +
  'sys.path.remove(sys.argv[1]); del sys.argv[1]; m.main()';

/** How the process is started, beyond its settings. */
export interface LaunchOptions {
  env: NodeJS.ProcessEnv;
  uid?: number;
  gid?: number;
  cwd?: string;
}

export type ProcessState = 'starting' | 'ready' | 'lost' | 'stopping' | 'exited';

export interface ImportReport {
  script: string;
  applicationGroup: string;
  ok: boolean;
  seconds: number;
  error?: string;
}

export interface ReadyReport {
  pid: number;
  python: string;
  interpreters: string;
}

export interface ExitReport {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Exits the supervisor asked for are not crashes. */
  expected: boolean;
}

/** Emits 'ready' (ReadyReport), 'import' (ImportReport), 'slot' (a thread became free), 'exit' (ExitReport). */
export class WorkerProcess extends EventEmitter implements ConnectionOwner {
  state: ProcessState = 'starting';
  readonly startedAt = Date.now();
  readyAt = 0;
  private readonly child: ChildProcess;
  private readonly idle: WorkerConnection[] = [];
  private readonly connections = new Set<WorkerConnection>();
  private busyCount = 0;
  private killTimer: NodeJS.Timeout | null = null;

  constructor(
    readonly groupLabel: string,
    readonly python: string,
    readonly settings: WorkerSettings,
    private readonly log: ErrorLog,
    launch: LaunchOptions = { env: {} },
  ) {
    super();
    this.child = spawn(python, ['-u', '-c', BOOTSTRAP, PYTHON_PACKAGE_DIR], {
      env: { ...process.env, ...launch.env, TSWSGI_WORKER: JSON.stringify(settings) },
      stdio: ['pipe', 'ignore', 'pipe', 'pipe'],
      uid: launch.uid,
      gid: launch.gid,
      cwd: launch.cwd,
    });
    this.child.on('error', (err) => {
      this.log.error(`Unable to start Python worker '${python}' for ${groupLabel}: ${err.message}`);
      // A process that never started emits no 'exit'.
      if (this.child.pid === undefined) this.exited(null, null);
    });
    readline.createInterface({ input: this.child.stderr as Readable }).on('line', (line) => this.log.passthrough(line));
    readline.createInterface({ input: this.child.stdio[3] as Readable }).on('line', (line) => this.control(line));
    // The worker exits when its stdin closes: on our request, or when this process dies.
    (this.child.stdin as Writable).on('error', () => {});
    this.child.on('exit', (code, signal) => this.exited(code, signal));
  }

  get pid(): number {
    return this.child.pid ?? 0;
  }

  get label(): string {
    return `process ${this.pid} of ${this.groupLabel}`;
  }

  get busy(): number {
    return this.busyCount;
  }

  get free(): number {
    return this.settings.threads - this.busyCount;
  }

  /** A connection to a free worker thread, or null when every thread is busy. */
  acquire(): WorkerConnection | null {
    if (this.state !== 'ready' || this.free <= 0) return null;
    this.busyCount++;
    const reused = this.idle.pop();
    if (reused) return reused;
    const connection = new WorkerConnection(this.settings.socket, this);
    this.connections.add(connection);
    return connection;
  }

  released(connection: WorkerConnection): void {
    this.busyCount--;
    if (this.state === 'stopping') {
      connection.close();
      this.stopIfIdle();
    } else {
      this.idle.push(connection);
    }
    this.emit('slot');
  }

  closed(connection: WorkerConnection, peerGone: boolean): void {
    this.connections.delete(connection);
    // A refused connect or a reset means the process is dying: take no more requests until its exit is seen.
    if (peerGone && this.state === 'ready') this.state = 'lost';
    const at = this.idle.indexOf(connection);
    if (at >= 0) {
      this.idle.splice(at, 1);
    } else if (connection.busy) {
      this.busyCount--;
      this.emit('slot');
    }
    if (this.state === 'stopping') this.stopIfIdle();
  }

  /** Take no new requests, let running ones finish, then exit; killed after `timeoutSeconds`. */
  stop(timeoutSeconds: number): void {
    if (this.state === 'exited' || this.state === 'stopping') return;
    this.state = 'stopping';
    this.killTimer = setTimeout(() => {
      this.log.warn(`${this.label} did not stop within ${timeoutSeconds} s; killing it`);
      this.child.kill('SIGKILL');
    }, timeoutSeconds * 1000);
    this.stopIfIdle();
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    this.child.kill(signal);
  }

  private stopIfIdle(): void {
    if (this.busyCount > 0) return;
    for (const connection of this.idle.splice(0)) connection.close();
    this.child.stdin?.end();
  }

  private control(line: string): void {
    let message: { event?: string } & Record<string, unknown>;
    try {
      message = JSON.parse(line);
    } catch {
      this.log.warn(`${this.label} sent a malformed control line: ${line}`);
      return;
    }
    if (message.event === 'import') {
      this.emit('import', message as unknown as ImportReport);
    } else if (message.event === 'ready' && this.state === 'starting') {
      this.state = 'ready';
      this.readyAt = Date.now();
      this.emit('ready', message as unknown as ReadyReport);
    }
  }

  private exited(code: number | null, signal: NodeJS.Signals | null): void {
    const expected = this.state === 'stopping';
    this.state = 'exited';
    if (this.killTimer) clearTimeout(this.killTimer);
    for (const connection of [...this.connections]) connection.close();
    this.emit('exit', { code, signal, expected } satisfies ExitReport);
  }
}
