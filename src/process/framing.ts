// Sans-IO encoding of the front end <-> worker frames (docs/protocol.md).

export const FrameType = {
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

export function encodeFrame(type: FrameType, payload: Buffer = EMPTY): Buffer {
  const out = Buffer.allocUnsafe(HEADER_SIZE + payload.length);
  out[0] = type;
  out.writeUInt32BE(payload.length, 1);
  payload.copy(out, HEADER_SIZE);
  return out;
}

const EMPTY = Buffer.alloc(0);

/** Strings each followed by NUL, latin-1: one byte per code point, so wire bytes pass unchanged. */
export function encodeBlock(strings: readonly string[]): Buffer {
  return Buffer.from(strings.length === 0 ? '' : strings.join('\0') + '\0', 'latin1');
}

/**
 * A frame whose payload is `prefix` (a block encoded earlier) followed by `strings` as a block,
 * then `trailer` (whole frames) in the same buffer: one allocation and one write on the hot path.
 */
export function encodeBlockFrame(type: FrameType, prefix: Buffer, strings: readonly string[], trailer: Buffer = EMPTY): Buffer {
  const text = strings.length === 0 ? '' : strings.join('\0') + '\0';
  const length = prefix.length + text.length;
  const out = Buffer.allocUnsafe(HEADER_SIZE + length + trailer.length);
  out[0] = type;
  out.writeUInt32BE(length, 1);
  prefix.copy(out, HEADER_SIZE);
  out.write(text, HEADER_SIZE + prefix.length, 'latin1');
  trailer.copy(out, HEADER_SIZE + length);
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

/** Incremental decoder: feed it bytes as they arrive, get whole frames back. */
export class FrameDecoder {
  private pending: Buffer = EMPTY;

  feed(chunk: Buffer): Frame[] {
    const data = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const frames: Frame[] = [];
    let offset = 0;
    while (data.length - offset >= HEADER_SIZE) {
      const type = data[offset]!;
      if (!KNOWN.has(type)) throw new Error('unknown frame type');
      const length = data.readUInt32BE(offset + 1);
      const end = offset + HEADER_SIZE + length;
      if (end > data.length) break;
      frames.push({ type: type as FrameType, payload: data.subarray(offset + HEADER_SIZE, end) });
      offset = end;
    }
    this.pending = offset === data.length ? EMPTY : data.subarray(offset);
    return frames;
  }
}
