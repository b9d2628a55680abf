// A server's log file, read as it grows (polled), each line stamped with when it was seen.

import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs';

export interface LogLine {
  /** performance.now() when the line was read (within the poll interval of when it was written). */
  at: number;
  text: string;
}

export class LogWatch {
  readonly lines: LogLine[] = [];
  private partial = '';
  private readonly timer: NodeJS.Timeout;
  private readonly listeners = new Set<() => void>();

  /** Reads `file` from byte `offset` on (what was written before belongs to earlier runs). */
  constructor(private readonly file: string, private offset = 0, pollMs = 20) {
    this.read();
    this.timer = setInterval(() => this.read(), pollMs);
  }

  private read(): void {
    let fd: number;
    try {
      fd = openSync(this.file, 'r');
    } catch {
      return; // not written yet
    }
    try {
      const size = fstatSync(fd).size;
      if (size <= this.offset) return;
      const buffer = Buffer.alloc(size - this.offset);
      const got = readSync(fd, buffer, 0, buffer.length, this.offset);
      this.offset += got;
      const parts = (this.partial + buffer.subarray(0, got).toString('utf8')).split('\n');
      this.partial = parts.pop()!;
      const at = performance.now();
      for (const text of parts) this.lines.push({ at, text });
    } finally {
      closeSync(fd);
    }
    for (const listener of this.listeners) listener();
  }

  /**
   * Resolves with the first line (from the start of the log) at which `test`, given every line
   * up to it, holds; or null if none does within `timeoutMs`.
   */
  waitFor(test: (seen: LogLine[]) => boolean, timeoutMs: number): Promise<LogLine | null> {
    return new Promise((resolve) => {
      let next = 0;
      const finish = (line: LogLine | null) => {
        clearTimeout(timer);
        this.listeners.delete(check);
        resolve(line);
      };
      const check = () => {
        for (; next < this.lines.length; next++) {
          if (test(this.lines.slice(0, next + 1))) return finish(this.lines[next]!);
        }
      };
      const timer = setTimeout(() => finish(null), Math.max(0, timeoutMs));
      this.listeners.add(check);
      check();
    });
  }

  close(): void {
    clearInterval(this.timer);
    this.read();
  }
}

/** The size of `file`, 0 if there is none: where a LogWatch started after it should begin. */
export function sizeOf(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}
