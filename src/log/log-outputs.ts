// The open log outputs of the running server: files (each opened once, however many logs
// name it), the standard streams, and piped log programs, as Apache's reliable piped logs: a
// program starts with the server, is started again if it dies (lines written meanwhile wait
// for it), and at shutdown gets end-of-file on its standard input, so that rotatelogs and the
// like write what they hold and exit.

import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import { targetKey, type LogTarget } from './log-target';
import { openLogFile } from './log-file';

export type LogWrite = (data: string, encoding?: BufferEncoding) => void;

/** What lines may wait for a piped program that is starting again: beyond it, the oldest are dropped. */
const PENDING_LIMIT = 1 << 20;
/** A program that dies sooner than this after starting is started again only after a pause, doubling up to a minute. */
const QUICK_DEATH_MS = 1000;
const MAX_PAUSE_MS = 60_000;

/** One piped log program, kept running until close(). */
export class PipedLog {
  private child: ChildProcess | null = null;
  private pending: Array<[string, BufferEncoding]> = [];
  private pendingBytes = 0;
  private startedAt = 0;
  private pause = 0;
  private retry: NodeJS.Timeout | null = null;
  private closing: Promise<void> | null = null;

  constructor(
    readonly target: Extract<LogTarget, { kind: 'pipe' }>,
    private readonly cwd: string,
    private readonly report: (message: string) => void,
  ) {
    this.start();
  }

  private start(): void {
    this.retry = null;
    const [program, ...args] = this.target.argv as [string, ...string[]];
    // A process group of its own: Ctrl-C in a terminal must not kill it before tswsgi has closed it.
    const child = spawn(program, args, { cwd: this.cwd, stdio: ['pipe', 'inherit', 'inherit'], detached: true });
    this.child = child;
    this.startedAt = Date.now();
    child.stdin!.on('error', () => {});
    child.on('error', (err) => {
      if (child.pid !== undefined) return;
      this.report(`unable to start piped log program '${this.target.command}': ${err.message}`);
      this.died(child);
    });
    child.on('exit', (code, signal) => {
      if (this.closing) return;
      this.report(`piped log program '${this.target.command}' failed unexpectedly (${signal ? `signal ${signal}` : `exit status ${code}`})`);
      this.died(child);
    });
    if (child.pid === undefined) return;
    const waiting = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    for (const [data, encoding] of waiting) child.stdin!.write(data, encoding);
  }

  /** Starts it again: at once, unless it keeps dying young. */
  private died(child: ChildProcess): void {
    if (this.child !== child || this.closing) return;
    this.child = null;
    this.pause = Date.now() - this.startedAt < QUICK_DEATH_MS ? Math.min(MAX_PAUSE_MS, Math.max(100, this.pause * 2)) : 0;
    this.retry = setTimeout(() => this.start(), this.pause);
    this.retry.unref();
  }

  write(data: string, encoding: BufferEncoding = 'utf8'): void {
    if (this.closing) return;
    const stdin = this.child?.stdin;
    if (this.child?.pid !== undefined && stdin && stdin.writable) {
      stdin.write(data, encoding);
      return;
    }
    this.pending.push([data, encoding]);
    this.pendingBytes += data.length;
    while (this.pendingBytes > PENDING_LIMIT && this.pending.length > 1) this.pendingBytes -= this.pending.shift()![0].length;
  }

  /** End-of-file on its input; SIGTERM if it has not exited within `graceMs`. */
  close(graceMs: number): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      if (this.retry) clearTimeout(this.retry);
      const child = this.child;
      if (!child || child.pid === undefined || child.exitCode !== null || child.signalCode !== null) {
        resolve();
        return;
      }
      const timer = setTimeout(() => child.kill('SIGTERM'), graceMs);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      child.stdin!.end();
    });
    return this.closing;
  }
}

interface OpenFile {
  stream: fs.WriteStream;
  /** After an error (a directory that is not there, no permission), or once closed at shutdown, its lines go to stderr. */
  failed: boolean;
}

export class LogOutputs {
  private files = new Map<string, OpenFile>();
  private pipes = new Map<string, PipedLog>();
  /** A graceful restart's previous outputs, until retire(). */
  private previous: { files: Map<string, OpenFile>; pipes: Map<string, PipedLog> } | null = null;

  /** Piped programs run in `cwd` (ServerRoot, as Apache's); `report` logs what goes wrong with an output. */
  constructor(private readonly cwd: string, private readonly report: (message: string) => void) {}

  /** `what`: Apache's name for the log in the message when a file cannot be opened ('error log file', 'transfer log file'). */
  writer(target: LogTarget, what = 'error log file'): LogWrite {
    switch (target.kind) {
      case 'stdout': return (data, encoding) => { process.stdout.write(data, encoding ?? 'utf8'); };
      case 'stderr': return (data, encoding) => { process.stderr.write(data, encoding ?? 'utf8'); };
      case 'pipe': {
        const key = targetKey(target);
        let pipe = this.pipes.get(key) ?? this.previous?.pipes.get(key);
        pipe ??= new PipedLog(target, this.cwd, this.report);
        this.pipes.set(key, pipe);
        const piped = pipe;
        return (data, encoding) => piped.write(data, encoding);
      }
      case 'file': {
        const key = targetKey(target);
        let file = this.files.get(key);
        if (!file) this.files.set(key, (file = this.openFile(target.path, what)));
        const open = file;
        return (data, encoding) => {
          if (open.failed) process.stderr.write(data, encoding ?? 'utf8');
          else open.stream.write(data, encoding ?? 'utf8');
        };
      }
    }
  }

  /** Opened now, as Apache opens its logs before it serves: one that cannot be opened throws, naming it. */
  private openFile(path: string, what: string): OpenFile {
    const file: OpenFile = { stream: openLogFile(path, what), failed: false };
    file.stream.on('error', (err) => {
      if (file.failed) return;
      file.failed = true;
      this.report(`could not write the log file ${path}: ${err.message}; its lines go to stderr`);
    });
    return file;
  }

  /**
   * A graceful restart begins: writers asked for from now on open the files again at their
   * paths (logrotate may have moved them), and a piped program named again keeps running.
   */
  renew(): void {
    this.previous = { files: this.files, pipes: this.pipes };
    this.files = new Map();
    this.pipes = new Map();
  }

  /** The new logs could not all be opened: what they opened closes, and the previous outputs are kept. */
  restore(): void {
    if (!this.previous) return;
    for (const file of this.files.values()) file.stream.end();
    for (const [key, pipe] of this.pipes) if (this.previous.pipes.get(key) !== pipe) void pipe.close(0);
    ({ files: this.files, pipes: this.pipes } = this.previous);
    this.previous = null;
  }

  /** Once the new logs have their writers: the previous files close, and programs no log names now get end-of-file. */
  retire(graceMs: number): void {
    if (!this.previous) return;
    for (const file of this.previous.files.values()) file.stream.end();
    for (const [key, pipe] of this.previous.pipes) if (this.pipes.get(key) !== pipe) void pipe.close(graceMs);
    this.previous = null;
  }

  /** At shutdown: files flush and close, programs get end-of-file and are waited for (SIGTERM after `graceMs`). */
  async close(graceMs: number): Promise<void> {
    this.retire(graceMs);
    const flushed = [...this.files.values()].map((file) => new Promise<void>((resolve) => {
      if (file.failed) return resolve();
      file.failed = true;
      file.stream.end(resolve);
    }));
    await Promise.all([...flushed, ...[...this.pipes.values()].map((pipe) => pipe.close(graceMs))]);
  }
}
