// The TypeScript side of the shared framing vectors (python/tests/test_framing.py is the other).

import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { decodeBlock, decodeHead, decodePairs, encodeBlock, encodeFrame, FrameDecoder, type FrameType } from '../src/process/framing';

interface Vectors {
  frames: Array<{ name: string; type: string; payloadHex: string; wireHex: string }>;
  environs: Array<{ name: string; pairs: Array<[string, string]>; blockHex: string }>;
  heads: Array<{ name: string; status: string; headers: Array<[string, string]>; blockHex: string }>;
  streams: Array<{ name: string; wireHex: string; splits: number[]; frames: Array<{ type: string; payloadHex: string }> }>;
  invalid: Array<{ name: string; wireHex?: string; blockHex?: string; error: string }>;
}

const vectors: Vectors = JSON.parse(fs.readFileSync(path.join(__dirname, '../../test/vectors/framing.json'), 'utf8'));
const hex = (h: string) => Buffer.from(h, 'hex');
const typeOf = (letter: string) => letter.charCodeAt(0) as FrameType;

for (const v of vectors.frames) {
  test(`frame encodes: ${v.name}`, () => {
    assert.equal(encodeFrame(typeOf(v.type), hex(v.payloadHex)).toString('hex'), v.wireHex);
  });
  test(`frame decodes: ${v.name}`, () => {
    const frames = new FrameDecoder().feed(hex(v.wireHex));
    assert.equal(frames.length, 1);
    assert.equal(frames[0]!.type, typeOf(v.type));
    assert.equal(frames[0]!.payload.toString('hex'), v.payloadHex);
  });
}

for (const v of vectors.environs) {
  test(`environ block: ${v.name}`, () => {
    assert.equal(encodeBlock(v.pairs.flat()).toString('hex'), v.blockHex);
    assert.deepEqual(decodePairs(hex(v.blockHex)), v.pairs);
  });
}

for (const v of vectors.heads) {
  test(`response head: ${v.name}`, () => {
    assert.equal(encodeBlock([v.status, ...v.headers.flat()]).toString('hex'), v.blockHex);
    assert.deepEqual(decodeHead(hex(v.blockHex)), { status: v.status, headers: v.headers.flat() });
  });
}

for (const v of vectors.streams) {
  test(`stream decodes in pieces: ${v.name}`, () => {
    const wire = hex(v.wireHex);
    const decoder = new FrameDecoder();
    const got: Array<{ type: string; payloadHex: string }> = [];
    let at = 0;
    for (const cut of [...v.splits, wire.length]) {
      for (const f of decoder.feed(wire.subarray(at, cut))) {
        got.push({ type: String.fromCharCode(f.type), payloadHex: f.payload.toString('hex') });
      }
      at = cut;
    }
    assert.deepEqual(got, v.frames);
  });
  test(`stream decodes in pieces, D frames streamed: ${v.name}`, () => {
    const wire = hex(v.wireHex);
    const decoder = new FrameDecoder(new Set([typeOf('D')]));
    const got: Array<{ type: string; payloadHex: string }> = [];
    let at = 0;
    for (const cut of [...v.splits, wire.length]) {
      for (const f of decoder.feed(wire.subarray(at, cut))) got.push({ type: String.fromCharCode(f.type), payloadHex: f.payload.toString('hex') });
      at = cut;
    }
    // Streamed, a D frame may come as several pieces: the body bytes, in order, are what counts.
    const joinData = (frames: Array<{ type: string; payloadHex: string }>) => frames.reduce<Array<{ type: string; payloadHex: string }>>((out, f) => {
      const last = out[out.length - 1];
      if (f.type === 'D' && last?.type === 'D') last.payloadHex += f.payloadHex;
      else out.push({ ...f });
      return out;
    }, []);
    assert.deepEqual(joinData(got), joinData(v.frames));
  });
}

for (const v of vectors.invalid) {
  test(`refused: ${v.name}`, () => {
    const attempt = v.wireHex !== undefined
      ? () => new FrameDecoder().feed(hex(v.wireHex!))
      : v.error === 'odd number of strings' ? () => decodePairs(hex(v.blockHex!)) : () => decodeBlock(hex(v.blockHex!));
    assert.throws(attempt, new RegExp(v.error));
  });
}

test('a frame buffered whole is refused past the limit as soon as its header arrives; a streamed one is not', () => {
  const limit = 1024;
  const header = (letter: string, length: number) => Buffer.from([letter.charCodeAt(0), length >>> 24, (length >>> 16) & 0xff, (length >>> 8) & 0xff, length & 0xff]);
  for (const letter of ['H', 'X', 'Z']) {
    assert.throws(() => new FrameDecoder(new Set([typeOf('D')]), limit).feed(header(letter, 0xffffffff)), new RegExp(`'${letter}' frame of 4294967295 bytes, over the limit of 1024`));
    const atLimit = new FrameDecoder(new Set([typeOf('D')]), limit).feed(Buffer.concat([header(letter, limit), Buffer.alloc(limit)]));
    assert.equal(atLimit[0]!.payload.length, limit);
  }
  const streamed = new FrameDecoder(new Set([typeOf('D')]), limit).feed(Buffer.concat([header('D', 0xffffffff), Buffer.alloc(10)]));
  assert.deepEqual(streamed.map((f) => f.payload.length), [10]);
});
