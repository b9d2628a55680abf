// What a worker sends the front end is untrusted: any app can write to fd 3 or to its request
// socket. A malformed control line, an endless one, or an oversized frame costs that worker its
// process (or that request a 5xx), never the front end. Unit checks of the line splitter and
// the control-line validator (with a bounded, seeded fuzz), then real servers with apps that
// misbehave on purpose.

import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { CONTROL_LINE_LIMIT, parseControlLine } from '../src/process/control-messages';
import { excerpt, LineSplitter } from '../src/process/lines';
import { request, startServer, writeScript, type RunningServer } from './helpers/tswsgi';

test('line splitter: lines across chunks, and a line at the bound comes out cut instead of buffered', () => {
  const splitter = new LineSplitter(8);
  const texts = (lines: Array<{ bytes: Buffer; cut: boolean }>) => lines.map((l) => `${l.bytes.toString()}${l.cut ? '|cut' : ''}`);
  assert.deepEqual(texts(splitter.feed(Buffer.from('ab'))), []);
  assert.deepEqual(texts(splitter.feed(Buffer.from('c\n12345678\n'))), ['abc', '12345678']);
  assert.deepEqual(texts(splitter.feed(Buffer.from('123456'))), []);
  assert.deepEqual(texts(splitter.feed(Buffer.from('789abcdefghijklmnopq\nz'))), ['12345678|cut', '9abcdefg|cut', 'hijklmno|cut', 'pq']);
  assert.deepEqual(splitter.end()?.toString(), 'z');
  assert.equal(splitter.end(), null);
});

test('line splitter: 10 MB without a newline never holds more than the bound', () => {
  const splitter = new LineSplitter(CONTROL_LINE_LIMIT);
  const chunk = Buffer.alloc(65536, 0x78);
  let cut = 0;
  for (let sent = 0; sent < 10_000_000; sent += chunk.length) {
    for (const line of splitter.feed(chunk)) {
      assert.ok(line.cut && line.bytes.length === CONTROL_LINE_LIMIT);
      cut++;
    }
  }
  assert.ok(cut >= 150, `${cut} pieces`);
  assert.ok(splitter.end()!.length <= CONTROL_LINE_LIMIT);
});

test('excerpt: printable ASCII as is, everything else escaped, long input cut', () => {
  assert.equal(excerpt(Buffer.from('{"a":1}')), '{"a":1}');
  assert.equal(excerpt(Buffer.from([0x00, 0x0a, 0x1b, 0x5c, 0xff, 0x41])), '\\x00\\x0a\\x1b\\x5c\\xffA');
  assert.equal(excerpt(Buffer.alloc(1000, 0x61), 10), 'aaaaaaaaaa... (1000 bytes)');
});

const VALID = [
  { event: 'alive' },
  { event: 'import', script: '/srv/app.py', applicationGroup: '', ok: true, seconds: 0.25 },
  { event: 'import', script: '/srv/bad.py', applicationGroup: 'A', ok: false, seconds: 0, error: 'ImportError: no' },
  { event: 'group-ready', applicationGroup: 'A', socket: '/run/p0-1.sock.ag1' },
  { event: 'group-failed', applicationGroup: 'B', error: 'no sub-interpreters' },
  { event: 'ready', pid: 4242, python: '3.11.2', interpreters: 'main' },
];

const line = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value));

test('control lines: every event of docs/protocol.md is taken, with exactly its checked fields', () => {
  for (const message of VALID) {
    const parsed = parseControlLine(line({ ...message, extra: { nested: [1, 2] } }));
    assert.deepEqual(parsed, { ok: true, message }, JSON.stringify(message));
  }
});

test('control lines: malformed ones are refused with the reason', () => {
  const cases: Array<[string, string]> = [
    ['null', 'not a JSON object'],
    ['[]', 'not a JSON object'],
    ['"ready"', 'not a JSON object'],
    ['', 'not JSON'],
    ['{"event":"ready"', 'not JSON'],
    ['{}', 'no known "event"'],
    ['{"event":"shutdown"}', 'no known "event"'],
    ['{"event":"toString"}', 'no known "event"'],
    ['{"event":"__proto__"}', 'no known "event"'],
    ['{"event":["alive"]}', 'no known "event"'],
    ['{"event":"import"}', 'import: "script" is not a string'],
    ['{"event":"group-ready","applicationGroup":{}}', 'group-ready: "applicationGroup" is not a string'],
    ['{"event":"group-ready","applicationGroup":"A"}', 'group-ready: "socket" is not a string'],
    ['{"event":"group-failed","applicationGroup":"A","error":null}', 'group-failed: "error" is not a string'],
    ['{"event":"import","script":"s","applicationGroup":"","ok":1,"seconds":1}', 'import: "ok" is not true or false'],
    ['{"event":"import","script":"s","applicationGroup":"","ok":true,"seconds":1e999}', 'import: "seconds" is not a number of seconds'],
    ['{"event":"import","script":"s","applicationGroup":"","ok":true,"seconds":-1}', 'import: "seconds" is not a number of seconds'],
    ['{"event":"import","script":"s","applicationGroup":"","ok":false,"seconds":1,"error":7}', 'import: "error" is not a string'],
    ['{"event":"ready","pid":1.5,"python":"3","interpreters":"main"}', 'ready: "pid" is not a process id'],
    ['{"event":"ready","pid":18446744073709551616,"python":"3","interpreters":"main"}', 'ready: "pid" is not a process id'],
    ['{"event":"ready","pid":"42","python":"3","interpreters":"main"}', 'ready: "pid" is not a process id'],
    // "__proto__" is a key like any other: it cannot bring in fields.
    ['{"event":"group-failed","applicationGroup":"constructor","__proto__":{"error":"x"}}', 'group-failed: "error" is not a string'],
  ];
  for (const [text, error] of cases) assert.deepEqual(parseControlLine(line(text)), { ok: false, error }, text);
});

/** mulberry32: a small seeded PRNG, so that a failing input can be found again from the seed. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface FuzzCase {
  how: string;
  bytes: Buffer;
  valid: boolean;
}

/** Values of every JSON type, none of which fits any field (no field takes null, arrays or objects). */
const WRONG_VALUES: unknown[] = [null, [], [1, 'a'], {}, { event: 'alive' }, { a: { b: { c: [] } } }];
const HUGE_NUMBERS = ['1e999', '-1e999', '18446744073709551616', '1e-999999', '-0'];

/** One control line from the seeded generator: a valid event, kept valid or mutated in a way that makes it invalid. */
function fuzzCase(random: () => number): FuzzCase {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const base: Record<string, unknown> = { ...pick(VALID) };
  const keys = Object.keys(base).filter((k) => k !== 'event');
  const text = JSON.stringify(base);
  switch (Math.floor(random() * 8)) {
    case 0:
      // Extra fields, even odd ones, are ignored.
      return { how: 'extra field', bytes: line({ ...base, [`x${Math.floor(random() * 100)}`]: pick(WRONG_VALUES) }), valid: true };
    case 1:
      if (keys.length === 0) return { how: 'unknown event', bytes: line({ ...base, event: pick(['', 'Alive', 'ready ', 'hasOwnProperty']) }), valid: false };
      return { how: 'wrong type', bytes: line({ ...base, [pick(keys)]: pick(WRONG_VALUES) }), valid: false };
    case 2: {
      if (keys.length === 0) return { how: 'event not a string', bytes: line({ event: pick(WRONG_VALUES) }), valid: false };
      // Only "error" of import is optional.
      const required = keys.filter((k) => !(base.event === 'import' && k === 'error'));
      const { [pick(required)]: _dropped, ...rest } = base;
      return { how: 'missing field', bytes: line(rest), valid: false };
    }
    case 3:
      return { how: 'truncated', bytes: line(text.slice(0, Math.floor(random() * text.length))), valid: false };
    case 4: {
      const junk = Buffer.alloc(1 + Math.floor(random() * 300));
      for (let i = 0; i < junk.length; i++) junk[i] = Math.floor(random() * 256);
      // A newline would end the line: the splitter never hands one over.
      return { how: 'binary junk', bytes: Buffer.from(junk.filter((b) => b !== 0x0a)), valid: false };
    }
    case 5: {
      const numeric = keys.filter((k) => k === 'seconds' || k === 'pid' || k === 'ok');
      if (numeric.length === 0) return { how: 'not JSON', bytes: line(`{"event":"alive",${pick(HUGE_NUMBERS)}}`), valid: false };
      const key = pick(numeric);
      const number = pick(HUGE_NUMBERS);
      const value = Number(number);
      // Never a pid or a boolean; still seconds when it parses to a finite number, not negative (-0 and 0 are).
      const valid = key === 'seconds' && Number.isFinite(value) && value >= 0;
      return { how: 'huge number', bytes: line(text.replace(new RegExp(`"${key}":[^,}]*`), `"${key}":${number}`)), valid };
    }
    case 6: {
      const depth = 1 + Math.floor(random() * 20_000);
      return { how: 'deep nesting', bytes: line('['.repeat(depth) + ']'.repeat(depth)), valid: false };
    }
    default:
      return { how: 'unchanged', bytes: line(text), valid: true };
  }
}

test('control lines: 200 seeded random and mutated lines are each classified, never thrown on', () => {
  const seed = 0x22;
  const random = prng(seed);
  const seen = new Map<string, number>();
  for (let i = 0; i < 200; i++) {
    const input = fuzzCase(random);
    seen.set(input.how, (seen.get(input.how) ?? 0) + 1);
    let parsed: ReturnType<typeof parseControlLine>;
    assert.doesNotThrow(() => { parsed = parseControlLine(input.bytes); }, `seed ${seed}, input ${i}: ${excerpt(input.bytes)}`);
    assert.equal(parsed!.ok, input.valid, `seed ${seed}, input ${i} (${input.how}): ${excerpt(input.bytes)} -> ${JSON.stringify(parsed!)}`);
  }
  assert.ok(seen.size >= 8, `every kind of input was generated: ${[...seen.keys()]}`);
});

/**
 * An app whose /write?HEX writes those bytes to fd 3 (/write?long: 10 MB without a newline),
 * whose /frame writes an H frame header announcing 4 GiB to its request socket, and which
 * otherwise answers its pid.
 */
const APP = `import os, struct

def write_all(data):
    try:
        while data:
            data = data[os.write(3, data):]
    except OSError:
        pass  # the front end stopped reading: it is killing this process

def application(environ, start_response):
    path, query = environ['PATH_INFO'], environ['QUERY_STRING']
    if path == '/write':
        write_all(b'x' * 10000000 if query == 'long' else bytes.fromhex(query))
    elif path == '/frame':
        sock = environ['wsgi.input']._reader._raw._sock
        sock.sendall(b'H' + struct.pack('>I', 0xffffffff) + b'status')
    start_response('200 OK', [('Content-Type', 'text/plain')])
    return [str(os.getpid()).encode()]
`;

const pidOf = async (server: RunningServer) => {
  const reply = await request(server.url + '/');
  assert.equal(reply.status, 200);
  return reply.body.toString();
};

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Sends `bytes` on fd 3 from the serving process; the front end logs it, kills that process, and a new one serves. */
async function sendsAndIsReplaced(server: RunningServer, query: string, reason: string, shown: string): Promise<void> {
  const pid = await pidOf(server);
  const reply = await request(`${server.url}/write?${query}`);
  // The process is killed while it answers: its answer may or may not make it out first.
  assert.ok(reply.status === 200 || reply.status >= 500, `status ${reply.status}`);
  const label = `process ${pid} of process group '%\\{GLOBAL\\}'`;
  await server.waitForLog(new RegExp(`${label} sent a malformed control message \\(${escapeRegExp(reason)}\\): ${escapeRegExp(shown)}; killing it`));
  await server.waitForLog(new RegExp(`${label} was killed by signal SIGKILL`));
  const after = await pidOf(server);
  assert.notEqual(after, pid, 'a new process serves');
}

const hexOf = (text: string | Buffer) => Buffer.from(text).toString('hex');

const MALFORMED: Array<[string, string, string, string]> = [
  ['null', hexOf('null\n'), 'not a JSON object', 'null'],
  ['an array', hexOf('[]\n'), 'not a JSON object', '[]'],
  ['an import event without its fields', hexOf('{"event":"import"}\n'), 'import: "script" is not a string', '{"event":"import"}'],
  ['an object as the group name', hexOf('{"event":"group-ready","applicationGroup":{}}\n'), 'group-ready: "applicationGroup" is not a string', '{"event":"group-ready","applicationGroup":{}}'],
  ['binary junk', hexOf(Buffer.from([0xff, 0x00, 0x1b, 0x5b, 0x32, 0x4a, 0x0a])), 'not JSON', '\\xff\\x00\\x1b[2J'],
  ['10 MB without a newline', 'long', `a line longer than ${CONTROL_LINE_LIMIT} bytes`, `${'x'.repeat(200)}... (${CONTROL_LINE_LIMIT} bytes)`],
];

for (const [name, query, reason, shown] of MALFORMED) {
  test(`fd 3 gets ${name}: the front end logs it, replaces the process, and serves on`, async () => {
    const server = await startServer(writeScript(APP), ['--processes', '1', '--threads', '2']);
    try {
      await sendsAndIsReplaced(server, query, reason, shown);
      assert.equal(server.child.exitCode, null, 'the front end is up');
    } finally {
      await server.stop();
    }
  });
}

test('fd 3 through a real worker: valid events change nothing, seeded malformed ones each cost their process', async () => {
  const server = await startServer(writeScript(APP), ['--processes', '1', '--threads', '2']);
  try {
    const pid = await pidOf(server);
    const alive = await request(`${server.url}/write?${hexOf('{"event":"alive"}\n{"event":"import","script":"s","applicationGroup":"","ok":true,"seconds":1}\n')}`);
    assert.equal(alive.body.toString(), pid);
    assert.equal(await pidOf(server), pid, 'the same process serves on');
    const random = prng(7);
    let sent = 0;
    while (sent < 3) {
      const input = fuzzCase(random);
      if (input.valid) continue;
      const parsed = parseControlLine(input.bytes);
      assert.equal(parsed.ok, false);
      await sendsAndIsReplaced(server, hexOf(Buffer.concat([input.bytes, Buffer.from('\n')])), (parsed as { error: string }).error, excerpt(input.bytes));
      sent++;
    }
  } finally {
    await server.stop();
  }
});

test('a response head frame announcing 4 GiB is refused at once: 502, and the front end buffers none of it', async () => {
  const server = await startServer(writeScript(APP), ['--processes', '1', '--threads', '2']);
  try {
    const started = Date.now();
    const reply = await request(server.url + '/frame');
    assert.equal(reply.status, 502);
    assert.ok(Date.now() - started < 2000, 'answered without waiting for the announced bytes');
    await server.waitForLog(`protocol error from worker: 'H' frame of 4294967295 bytes, over the limit of 1048576`);
    assert.equal((await request(server.url + '/')).status, 200, 'served on');
  } finally {
    await server.stop();
  }
});
