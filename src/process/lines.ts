// Sans-IO splitting of a worker's byte stream into lines, with a bound on each line: a worker
// that never sends a newline must not make the front end buffer without end.

export interface Line {
  bytes: Buffer;
  /** The line reached the bound before its newline: these are its first `limit` bytes, the rest comes as the next line. */
  cut: boolean;
}

export class LineSplitter {
  private pending: Buffer[] = [];
  private pendingSize = 0;

  constructor(private readonly limit: number) {}

  /** The lines `chunk` completes, without their newlines; at most `limit` bytes stay buffered. */
  feed(chunk: Buffer): Line[] {
    const lines: Line[] = [];
    let start = 0;
    while (start < chunk.length) {
      const newline = chunk.indexOf(0x0a, start);
      const end = newline < 0 ? chunk.length : newline;
      const room = this.limit - this.pendingSize;
      if (end - start > room) {
        lines.push({ bytes: this.take(chunk.subarray(start, start + room)), cut: true });
        start += room;
      } else if (newline >= 0) {
        lines.push({ bytes: this.take(chunk.subarray(start, newline)), cut: false });
        start = newline + 1;
      } else {
        // Copied: a short piece kept as a view would hold the whole chunk in memory.
        this.pending.push(Buffer.from(chunk.subarray(start)));
        this.pendingSize += chunk.length - start;
        break;
      }
    }
    return lines;
  }

  /** At the end of the stream: the last line if it had no newline. */
  end(): Buffer | null {
    return this.pendingSize > 0 ? this.take(Buffer.alloc(0)) : null;
  }

  private take(last: Buffer): Buffer {
    const bytes = this.pending.length === 0 ? last : Buffer.concat([...this.pending, last]);
    this.pending = [];
    this.pendingSize = 0;
    return bytes;
  }
}

/** The start of what a worker sent, for the error log: printable ASCII as is, other bytes as \xNN. */
export function excerpt(bytes: Buffer, max = 200): string {
  let text = '';
  for (const byte of bytes.subarray(0, max)) {
    text += byte >= 0x20 && byte < 0x7f && byte !== 0x5c ? String.fromCharCode(byte) : `\\x${byte.toString(16).padStart(2, '0')}`;
  }
  return bytes.length > max ? `${text}... (${bytes.length} bytes)` : text;
}
