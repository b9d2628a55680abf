// Sans-IO encoding of the front end <-> worker frames (docs/protocol.md).

export const FrameType = {
  Constant: 0x43, // C
  Request: 0x52, // R
  Body: 0x42, // B
  BodyEnd: 0x45, // E
  Abort: 0x41, // A
  Head: 0x48, // H
  Data: 0x44, // D
  End: 0x5a, // Z
  Failure: 0x58, // X
} as const;
export type FrameType = (typeof FrameType)[keyof typeof FrameType];

const KNOWN = new Set<number>(Object.values(FrameType));
export const HEADER_SIZE = 5;

export interface Frame {
  type: FrameType;
  payload: Buffer;
}

export function frameHeader(type: FrameType, length: number): Buffer {
  const header = Buffer.allocUnsafe(HEADER_SIZE);
  header[0] = type;
  header.writeUInt32BE(length, 1);
  return header;
}

/** No bytes: an empty payload, block or trailer. */
export const EMPTY = Buffer.alloc(0);

export function encodeFrame(type: FrameType, payload: Buffer = EMPTY): Buffer {
  const out = Buffer.allocUnsafe(HEADER_SIZE + payload.length);
  out[0] = type;
  out.writeUInt32BE(payload.length, 1);
  payload.copy(out, HEADER_SIZE);
  return out;
}

/** The E frame: the request body is complete. */
export const BODY_END = encodeFrame(FrameType.BodyEnd);

/** Strings each followed by NUL, latin-1: one byte per code point, so wire bytes pass unchanged. */
export function encodeBlock(strings: readonly string[]): Buffer {
  return Buffer.from(strings.length === 0 ? '' : strings.join('\0') + '\0', 'latin1');
}

/** A frame whose payload is `strings` as a block, then `trailer` (whole frames) in the same buffer: one allocation and one write. */
export function encodeBlockFrame(type: FrameType, strings: readonly string[], trailer: Buffer = EMPTY): Buffer {
  const text = strings.length === 0 ? '' : strings.join('\0') + '\0';
  const out = Buffer.allocUnsafe(HEADER_SIZE + text.length + trailer.length);
  out[0] = type;
  out.writeUInt32BE(text.length, 1);
  out.write(text, HEADER_SIZE, 'latin1');
  trailer.copy(out, HEADER_SIZE + text.length);
  return out;
}

export function decodeBlock(payload: Buffer): string[] {
  if (payload.length === 0) return [];
  if (payload[payload.length - 1] !== 0) throw new Error('unterminated block');
  return payload.toString('latin1', 0, payload.length - 1).split('\0');
}

export function decodePairs(payload: Buffer): Array<[string, string]> {
  const strings = decodeBlock(payload);
  if (strings.length % 2 !== 0) throw new Error('odd number of strings');
  const pairs: Array<[string, string]> = [];
  for (let i = 0; i < strings.length; i += 2) pairs.push([strings[i]!, strings[i + 1]!]);
  return pairs;
}

export interface ResponseHead {
  status: string;
  /** Flat list: name, value, name, value, ... as node:http's writeHead takes it. */
  headers: string[];
}

export function decodeHead(payload: Buffer): ResponseHead {
  const strings = decodeBlock(payload);
  if (strings.length === 0 || strings.length % 2 !== 1) throw new Error('malformed response head');
  return { status: strings[0]!, headers: strings.slice(1) };
}

/**
 * Largest payload of a frame the front end buffers whole (H, X, Z from a worker). A response
 * head is far smaller: HTTP clients refuse heads of a few hundred KiB (node's own, 16 KiB), and
 * mod_wsgi's daemons cap each header line at header-buffer-size (32 KiB by default). Bounded, one
 * such frame per worker thread cannot exhaust the front end's memory. The worker keeps its own
 * frames within it (python/tswsgi_worker/framing.py WHOLE_FRAME_LIMIT).
 */
export const WHOLE_FRAME_LIMIT = 1024 * 1024;

/**
 * Incremental decoder: feed it bytes as they arrive, get whole frames back. Frames of the
 * `streamed` types come out in pieces instead, as their bytes arrive: a large body frame is
 * neither held back nor copied together from the reads it spans. A frame of another type
 * longer than `wholeLimit` is refused as soon as its header arrives.
 */
export class FrameDecoder {
  private pending: Buffer = EMPTY;
  /** Payload bytes of a streamed frame still to come, and that frame's type. */
  private streamLeft = 0;
  private streamType: FrameType = FrameType.Data;

  constructor(private readonly streamed: ReadonlySet<number> = new Set(), private readonly wholeLimit = Infinity) {}

  feed(chunk: Buffer): Frame[] {
    const frames: Frame[] = [];
    let offset = 0;
    if (this.streamLeft > 0) {
      offset = Math.min(this.streamLeft, chunk.length);
      frames.push({ type: this.streamType, payload: chunk.subarray(0, offset) });
      this.streamLeft -= offset;
    }
    let data = chunk;
    if (this.pending.length > 0) {
      data = Buffer.concat([this.pending, chunk.subarray(offset)]);
      offset = 0;
    }
    while (data.length - offset >= HEADER_SIZE) {
      const type = data[offset]!;
      if (!KNOWN.has(type)) throw new Error('unknown frame type');
      const length = data.readUInt32BE(offset + 1);
      if (length > this.wholeLimit && !this.streamed.has(type)) {
        throw new Error(`'${String.fromCharCode(type)}' frame of ${length} bytes, over the limit of ${this.wholeLimit}`);
      }
      const end = offset + HEADER_SIZE + length;
      if (end > data.length) {
        if (this.streamed.has(type)) {
          const start = offset + HEADER_SIZE;
          if (start < data.length) frames.push({ type: type as FrameType, payload: data.subarray(start) });
          this.streamLeft = end - data.length;
          this.streamType = type as FrameType;
          offset = data.length;
        }
        break;
      }
      frames.push({ type: type as FrameType, payload: data.subarray(offset + HEADER_SIZE, end) });
      offset = end;
    }
    this.pending = offset === data.length ? EMPTY : data.subarray(offset);
    return frames;
  }
}
