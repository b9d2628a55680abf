// One Python worker process: spawn, the ready handshake on fd 3, its error log
// lines, and the pool of connections (one per worker thread) the dispatcher uses.

import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import type { ErrorLog } from '../log/error-log';
import { CONTROL_LINE_LIMIT, parseControlLine, type ControlMessage } from './control-messages';
import { excerpt, LineSplitter } from './lines';
import { statField } from './proc-stat';
import type { SilenceSweep } from './silence-sweep';
import { WorkerConnection, type ConnectionOwner, type ConnectionTimeouts } from './worker-connection';
import type { WorkerSettings } from './worker-settings';

export const PYTHON_PACKAGE_DIR = path.resolve(__dirname, '../../../python');

const BOOTSTRAP =
  'import sys; sys.path.insert(0, sys.argv[1]); import tswsgi_worker.main as m; ' +
  'sys.path.remove(sys.argv[1]); del sys.argv[1]; m.main()';

/** How the process is started, beyond its settings. */
export interface LaunchOptions {
  env: NodeJS.ProcessEnv;
  cwd?: string;
  /** Interpreter options before -u, such as -O. */
  pythonFlags?: string[];
  /** Where the tswsgi_worker package is, when not its own folder (another user may not read that). */
  packageDir?: string;
  /** WSGIDaemonProcess cpu-priority=: the nice value, when not 0. */
  priority?: number;
}

export type InterpreterState = 'ready' | 'pending' | 'failed';

interface Interpreter {
  state: InterpreterState;
  socket: string;
  idle: WorkerConnection[];
}

export type ProcessState = 'starting' | 'ready' | 'lost' | 'stopping' | 'exited';

export interface ExitReport {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Exits the supervisor asked for are not crashes. */
  expected: boolean;
  /** Why the process could not be started at all (spawn failed: EMFILE, ENOENT, ...). */
  startError?: string;
}

/** Longest error log line a worker writes; a longer one is passed on in pieces of this size. */
const LOG_LINE_LIMIT = 64 * 1024;

/**
 * Emits 'ready' (ReadyReport), 'import' (ImportReport), 'slot' (a thread became free),
 * 'interpreter' (an application group's interpreter became ready or failed), 'request-timeout'
 * (a request ran past it), 'lost' (it stopped taking connections), 'exit' (ExitReport).
 */
export class WorkerProcess extends EventEmitter implements ConnectionOwner {
  state: ProcessState = 'starting';
  readonly startedAt = Date.now();
  readyAt = 0;
  /** When the worker last reported that a Python thread could take the GIL (deadlock-timeout). */
  aliveAt = Date.now();
  /** Requests given to this process so far (maximum-requests). */
  requests = 0;
  /** When a request last started or ended here (inactivity-timeout). */
  lastActivity = Date.now();
  /** Import scripts that raised or were missing: a replacement with more of them than its predecessor is refused. */
  importFailures = 0;
  /** Set by its process group from WSGIDaemonProcess options. */
  timeouts: ConnectionTimeouts = { connect: 0, socket: 0, request: 0, response: 0 };
  headerLineLimit = 0;
  /** Null when spawn threw: there is no process. */
  private readonly child: ChildProcess | null;
  /** The interpreters of this process, by application group, each with its socket and idle connections. */
  private readonly interpreters = new Map<string, Interpreter>();
  private readonly connections = new Set<WorkerConnection>();
  private busyCount = 0;
  private killTimer: NodeJS.Timeout | null = null;
  private killDeadline = Infinity;

  constructor(
    readonly groupLabel: string,
    readonly python: string,
    readonly settings: WorkerSettings,
    private readonly log: ErrorLog,
    readonly sweep: SilenceSweep,
    launch: LaunchOptions = { env: {} },
  ) {
    super();
    this.interpreters.set(settings.applicationGroup, { state: 'ready', socket: settings.socket, idle: [] });
    for (const group of settings.applicationGroups) this.interpreters.set(group.name, { state: 'ready', socket: group.socket, idle: [] });
    let child: ChildProcess;
    try {
      child = spawn(python, [...(launch.pythonFlags ?? []), '-u', '-c', BOOTSTRAP, launch.packageDir ?? PYTHON_PACKAGE_DIR], {
        env: { ...process.env, ...launch.env, TSWSGI_WORKER: JSON.stringify(settings) },
        stdio: ['pipe', 'ignore', 'pipe', 'pipe'],
        cwd: launch.cwd,
        // A process group (and session) of its own: Ctrl-C in a terminal signals the whole
        // foreground group, and a worker that got SIGINT too would die under the requests the
        // front end is draining. The worker still exits when the front end dies: its stdin closes.
        detached: true,
      });
    } catch (err) {
      // Some failures (ENOMEM from fork) throw; the group's listeners are attached after the constructor.
      this.child = null;
      process.nextTick(() => this.exited(null, null, (err as Error).message));
      return;
    }
    this.child = child;
    child.on('error', (err) => {
      // A failed spawn (EMFILE, ENOENT, ...) has no pid, no stdio, and emits no 'exit': the process
      // group backs off from it as from a crash before ready.
      if (child.pid === undefined) this.exited(null, null, err.message);
      else this.log.error(`${this.label}: ${err.message}`);
    });
    if (child.pid === undefined) return;
    if (launch.priority !== undefined) this.setPriority(launch.priority);
    const stderr = new LineSplitter(LOG_LINE_LIMIT);
    (child.stderr as Readable)
      .on('data', (chunk: Buffer) => { for (const line of stderr.feed(chunk)) this.log.passthrough(line.bytes.toString('utf8')); })
      .on('end', () => { const last = stderr.end(); if (last) this.log.passthrough(last.toString('utf8')); });
    const control = new LineSplitter(CONTROL_LINE_LIMIT);
    const fd3 = child.stdio[3] as Readable;
    fd3.on('data', (chunk: Buffer) => {
      for (const line of control.feed(chunk)) {
        if (!this.control(line.bytes, line.cut)) {
          // Nothing more is read from a worker that broke the protocol: it is being killed.
          fd3.destroy();
          return;
        }
      }
    });
    // The worker exits when its stdin closes: on our request, or when this process dies.
    child.stdin!.on('error', () => {});
    child.on('exit', (code, signal) => this.exited(code, signal));
  }

  get pid(): number {
    return this.child?.pid ?? 0;
  }

  get label(): string {
    return this.pid === 0 ? `a new process of ${this.groupLabel}` : `process ${this.pid} of ${this.groupLabel}`;
  }

  get busy(): number {
    return this.busyCount;
  }

  get free(): number {
    return this.settings.threads - this.busyCount;
  }

  /**
   * Whether this process can run requests of an application group: 'unknown' means it could,
   * once asked to create the interpreter (sub-interpreter mode only).
   */
  interpreterState(applicationGroup: string): InterpreterState | 'unknown' {
    const known = this.interpreters.get(applicationGroup)?.state;
    if (known) return known;
    return this.settings.interpreters === 'sub' ? 'unknown' : 'failed';
  }

  /** Asks the worker for a sub-interpreter for this application group; 'interpreter' fires when it is ready (or failed). */
  createInterpreter(applicationGroup: string): void {
    if (this.interpreters.has(applicationGroup) || this.settings.interpreters !== 'sub') return;
    const socket = `${this.settings.socket}.ag${this.interpreters.size}`;
    this.interpreters.set(applicationGroup, { state: 'pending', socket, idle: [] });
    this.log.info(`Creating the interpreter for application group '${applicationGroup}' in ${this.label}`);
    this.child?.stdin?.write(JSON.stringify({ cmd: 'add-group', name: applicationGroup, socket }) + '\n');
  }

  /** A connection to a free worker thread in the group's interpreter, or null when there is none now. */
  acquire(applicationGroup: string): WorkerConnection | null {
    const interpreter = this.interpreters.get(applicationGroup);
    if (this.state !== 'ready' || this.free <= 0 || interpreter?.state !== 'ready') return null;
    this.busyCount++;
    this.requests++;
    this.lastActivity = Date.now();
    const reused = interpreter.idle.pop();
    if (reused) return reused;
    const connection = new WorkerConnection(interpreter.socket, applicationGroup, this);
    this.connections.add(connection);
    return connection;
  }

  released(connection: WorkerConnection): void {
    this.busyCount--;
    this.lastActivity = Date.now();
    if (this.state === 'stopping') {
      connection.close();
      this.stopIfIdle();
    } else {
      this.interpreters.get(connection.applicationGroup)?.idle.push(connection);
    }
    this.emit('slot');
  }

  requestTimedOut(connection: WorkerConnection): void {
    this.emit('request-timeout', connection);
  }

  closed(connection: WorkerConnection, peerGone: boolean): void {
    this.connections.delete(connection);
    // A refused connect or a reset means the process is dying: take no more requests until its exit is seen.
    if (peerGone && this.state === 'ready') {
      this.state = 'lost';
      this.emit('lost');
    }
    const idle = this.interpreters.get(connection.applicationGroup)?.idle ?? [];
    const at = idle.indexOf(connection);
    if (at >= 0) {
      idle.splice(at, 1);
    } else if (connection.busy) {
      this.busyCount--;
      this.emit('slot');
    }
    if (this.state === 'stopping') this.stopIfIdle();
  }

  /**
   * Take no new requests, let running ones finish, then exit; killed after `timeoutSeconds`.
   * Called again, a sooner deadline replaces a later one.
   */
  stop(timeoutSeconds: number): void {
    if (this.state === 'exited') return;
    const deadline = Date.now() + timeoutSeconds * 1000;
    if (deadline < this.killDeadline) {
      this.killDeadline = deadline;
      if (this.killTimer) clearTimeout(this.killTimer);
      this.killTimer = setTimeout(() => {
        this.log.warn(`${this.label} did not finish its ${this.busyCount} request(s) within ${timeoutSeconds} s; killing it`);
        this.kill();
      }, timeoutSeconds * 1000);
    }
    if (this.state === 'stopping') return;
    this.state = 'stopping';
    this.stopIfIdle();
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    this.child?.kill(signal);
  }

  /** The worker writes every thread's Python stack to its error log (faulthandler on SIGUSR2). */
  dumpStacks(): void {
    if (this.state !== 'exited') this.kill('SIGUSR2');
  }

  /**
   * Set here, by a front end that may still be root, not by the worker, which already runs as
   * user= and could not raise its priority. The process has no threads yet: they inherit it.
   */
  private setPriority(priority: number): void {
    try {
      os.setPriority(this.pid, priority);
    } catch (err) {
      this.log.error(`Unable to set the CPU priority of ${this.groupLabel} (pid ${this.pid}) to ${priority}: ${(err as Error).message}`);
    }
  }

  /** CPU time used so far, user and system, in seconds; null when it cannot be read. */
  cpuSeconds(): number | null {
    try {
      const stat = fs.readFileSync(`/proc/${this.pid}/stat`, 'latin1');
      // utime and stime, counted in USER_HZ (100 on Linux).
      return (Number(statField(stat, 14)) + Number(statField(stat, 15))) / 100;
    } catch {
      return null;
    }
  }

  /** Resident memory in bytes, or null when it cannot be read (the process is gone). */
  residentBytes(): number | null {
    try {
      const status = fs.readFileSync(`/proc/${this.pid}/status`, 'latin1');
      const kb = /^VmRSS:\s+(\d+) kB/m.exec(status);
      return kb ? Number(kb[1]) * 1024 : null;
    } catch {
      return null;
    }
  }

  private stopIfIdle(): void {
    if (this.busyCount > 0) return;
    for (const interpreter of this.interpreters.values()) for (const connection of interpreter.idle.splice(0)) connection.close();
    this.child?.stdin?.end();
  }

  /** Handles one control line; false when it broke the protocol and the process is being killed. */
  private control(line: Buffer, cut: boolean): boolean {
    const parsed: ReturnType<typeof parseControlLine> = cut
      ? { ok: false, error: `a line longer than ${CONTROL_LINE_LIMIT} bytes` }
      : parseControlLine(line);
    if (!parsed.ok) {
      // Any app code can write to fd 3: replace the process as after a crash, never trust or die of it.
      this.log.error(`${this.label} sent a malformed control message (${parsed.error}): ${excerpt(line)}; killing it`);
      this.kill();
      return false;
    }
    this.handle(parsed.message);
    return true;
  }

  private handle(message: ControlMessage): void {
    if (message.event === 'alive') {
      this.aliveAt = Date.now();
    } else if (message.event === 'import') {
      if (!message.ok) this.importFailures++;
      this.emit('import', message);
    } else if (message.event === 'group-ready' || message.event === 'group-failed') {
      const name = message.applicationGroup;
      const interpreter = this.interpreters.get(name);
      if (!interpreter) return;
      interpreter.state = message.event === 'group-ready' ? 'ready' : 'failed';
      if (message.event === 'group-failed') {
        this.log.error(`${this.label} could not create an interpreter for application group '${name}': ${message.error}`);
      }
      this.emit('interpreter', name);
    } else if (message.event === 'ready' && this.state === 'starting') {
      this.state = 'ready';
      this.readyAt = Date.now();
      this.emit('ready', message);
    }
  }

  private exited(code: number | null, signal: NodeJS.Signals | null, startError?: string): void {
    const expected = this.state === 'stopping';
    this.state = 'exited';
    if (this.killTimer) clearTimeout(this.killTimer);
    for (const connection of [...this.connections]) connection.close();
    this.emit('exit', { code, signal, expected, startError } satisfies ExitReport);
  }
}
