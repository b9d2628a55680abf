// Bounded generative test of the Apache config parser and loader: thousands of configs made
// by mutating valid ones (the differential configs and the test fixtures) are read as
// configtest reads them. None may throw, none may take over a second, and every error must
// name a real file:line. Each input comes from FUZZ_SEED and its index (test/helpers/prng.ts):
// a failure says how to make it again alone.
//
// Reading happens in a worker thread that the test stops if an input takes over WATCHDOG_MS;
// an input slower than SLOW_MS counts only if it is that slow again on its own, so that a busy
// machine does not fail the test.

import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { PROLOGUE, render } from './differential/harness';
import type { FuzzJob, FuzzVerdict } from './helpers/config-fuzz-worker';
import { FUZZ_SEED, fuzzIndexes, inputPrng, reproduce, type Prng } from './helpers/prng';
import { ROOT, tempDir } from './helpers/tswsgi';

const COUNT = 3000;
const SLOW_MS = 1000;
const WATCHDOG_MS = 2000;
const WORKER = path.join(__dirname, 'helpers', 'config-fuzz-worker.js');

/** Variables the seeds' ${...} use, relative to the fuzz folder (the ServerRoot). */
const ENV = { FIXTURE_DIR: '.', APPS: 'apps', LOADS: 'loads' };

/** The valid (and some invalid) configs mutations start from, with every path inside the fuzz folder. */
function seeds(): string[] {
  const texts: string[] = [];
  const read = (dir: string) => fs.readdirSync(dir).filter((f) => f.endsWith('.conf')).sort().map((f) => fs.readFileSync(path.join(dir, f), 'utf8'));
  for (const text of read(path.join(ROOT, 'test/differential/configs'))) texts.push(render(PROLOGUE + text, { PORT: '8080', ROOT: 'apps', RUN: 'run' }));
  for (const dir of ['good-conf', 'serve', 'bad-conf']) texts.push(...read(path.join(ROOT, 'test/fixtures', dir)));
  // No ServerRoot: the fuzz folder, where the main file is, stays the root.
  return texts.map((text) => text.split('\n').filter((line) => !/^\s*ServerRoot\b/i.test(line)).join('\n')
    .replaceAll('${FIXTURE_DIR}', '.'));
}

const SPECIAL = ['<', '>', '</', '"', "'", '\\', '\\\n', '$', '${', '}', '{', '%', '%{', ' ', '\t', '\n', '\r\n', '#', '=', ':', '/', '*', '\0', '\x7f', 'é', '~'];
const NAMES = ['VirtualHost', 'Directory', 'Location', 'Files', 'IfModule', 'IfDefine', 'LocationMatch', 'DirectoryMatch', 'FilesMatch', 'Nothing'];
const INCLUDES = ['Include main.conf', 'Include extra.conf', 'IncludeOptional *.conf', 'Include conf.d', 'Include .', 'IncludeOptional nothere/*.conf', 'Include conf.d/sites/*.conf'];
const FIELDS = ['h', 'a', 'A', 'l', 'u', 't', 'r', 'm', 'U', 'q', 'H', 's', '>s', '<s', 'b', 'B', 'O', 'I', 'S', 'D', 'T', 'p', 'P', 'v', 'V', 'f', 'e', 'k', 'L', 'X', 'R', 'z', '^FB', '^ti', '%', '!', '4', '{'];
const ARGUMENTS = ['', '{Referer}', '{ms}', '{local}', '{tid}', '{%Y %Z}', '{end:%d}', '{sec}', '{bogus}', '400,501', '!200', '{', '{c}'];

/** Random directives of the kinds tswsgi checks most: log formats, daemon options, Options, Listen. */
function directive(rng: Prng): string {
  switch (rng.int(5)) {
    case 0: return `LogFormat "${Array.from({ length: rng.between(1, 6) }, () => `%${rng.pick(ARGUMENTS)}${rng.pick(FIELDS)}`).join(rng.pick([' ', '\\t', '" "', '']))}" n${rng.int(3)}`;
    case 1: return `CustomLog logs/x.log ${rng.pick(['n0', 'n1', 'combined', '"%h %Q"', '"%{x}C"'])}${rng.pick(['', ' env=X', ' env=!', ' expr=1', ' bad'])}`;
    case 2: return `WSGIDaemonProcess g${rng.int(4)} ${rng.pick(['processes', 'threads', 'python-home', 'home', 'maximum-requests', 'display-name', 'queue-timeout'])}=${rng.pick(['2', '0', '-1', '', 'x', '/nonexistent', '%{GROUP}', '99999999999'])}`;
    case 3: return `${rng.pick(['WSGIProcessGroup', 'Options', 'Listen', 'WSGIApplicationGroup', 'ServerName', 'Require'])} ${rng.pick(['g0', '%{GLOBAL}', '%{ENV:X}', '+FollowSymLinks -Indexes', 'None All', '127.0.0.1:99999', '[::1]:80', 'all granted', 'ip 10.0.0.0/8', ''])}`;
    default: return `Define ${rng.pick(['A', 'B', 'X'])} ${rng.pick(['${A}${A}', 'value', '', '${B}', 'Include'])}`;
  }
}

type Mutation = (text: string, rng: Prng, seeds: readonly string[]) => string;

const lines = (text: string) => text.split('\n');

const MUTATIONS: ReadonlyArray<[string, Mutation]> = [
  ['flip', (t, rng) => { const i = rng.int(t.length + 1); return t.slice(0, i) + rng.pick(SPECIAL) + t.slice(i + 1); }],
  ['insert', (t, rng) => { const i = rng.int(t.length + 1); return t.slice(0, i) + rng.pick(SPECIAL) + t.slice(i); }],
  ['token swap', (t, rng) => {
    const tokens = t.split(/(\s+)/);
    const [a, b] = [rng.int(tokens.length), rng.int(tokens.length)];
    [tokens[a], tokens[b]] = [tokens[b]!, tokens[a]!];
    return tokens.join('');
  }],
  ['line duplication', (t, rng) => {
    const all = lines(t);
    const at = rng.int(all.length);
    const block = all.slice(at, at + rng.between(1, 4));
    all.splice(rng.int(all.length + 1), 0, ...Array<string[]>(rng.between(1, 3)).fill(block).flat());
    return all.join('\n');
  }],
  ['line deletion', (t, rng) => { const all = lines(t); all.splice(rng.int(all.length), rng.between(1, 3)); return all.join('\n'); }],
  ['section tag', (t, rng) => {
    const all = lines(t);
    const tags = all.map((l, i) => (/^\s*</.test(l) ? i : -1)).filter((i) => i >= 0);
    const at = tags.length ? rng.pick(tags) : rng.int(all.length);
    const line = all[at] ?? '';
    const name = rng.pick(NAMES);
    all[at] = rng.pick([
      line.replace(/>\s*$/, ''), line.replace(/<\/?\w+/, (m) => (m.startsWith('</') ? `</${name}` : `<${name}`)),
      line.replace('<', '</'), line.replace('</', '<'), `${line}>`, `<${name}`, `</${name}>`, `<${name} ${rng.pick(['/', '~ ^(', '!', '"', ''])}>`,
    ]);
    return all.join('\n');
  }],
  ['include', (t, rng) => { const all = lines(t); all.splice(rng.int(all.length + 1), 0, rng.pick(INCLUDES)); return all.join('\n'); }],
  ['quote', (t, rng) => {
    const all = lines(t);
    const at = rng.int(all.length);
    const words = (all[at] ?? '').split(' ');
    const w = rng.int(words.length);
    words[w] = rng.pick([`"${words[w]}"`, `"${words[w]}`, `'${words[w]}`, `${words[w]}"`, `"${words[w]}\\"`, `'${words[w]}\\'x'`]);
    all[at] = words.join(' ');
    return all.join('\n');
  }],
  ['continuation', (t, rng) => { const all = lines(t); const at = rng.int(all.length); all[at] += rng.pick(['\\', ' \\', '\\\\']); return all.join('\n'); }],
  ['define', (t, rng) => {
    const all = lines(t);
    const tokens = all.map((l, i) => [i, l] as const).filter(([, l]) => /\S+\s+\S/.test(l));
    if (tokens.length) {
      const [i, l] = rng.pick(tokens);
      const parts = l.trim().split(/\s+/);
      const k = rng.between(1, parts.length - 1);
      all.splice(rng.int(i + 1), 0, `Define V${k} ${parts[k]}`);
      all[i + 1] = l.replace(parts[k]!, rng.pick([`\${V${k}}`, '${UNDEFINED}', '${V}', '${A:b}', '${']));
    }
    return all.join('\n');
  }],
  ['truncate', (t, rng) => t.slice(0, rng.int(t.length + 1))],
  ['splice', (t, rng, seeds) => {
    const other = lines(rng.pick(seeds));
    const at = rng.int(other.length);
    const all = lines(t);
    all.splice(rng.int(all.length + 1), 0, ...other.slice(at, at + rng.between(1, 12)));
    return all.join('\n');
  }],
  ['directive', (t, rng) => { const all = lines(t); all.splice(rng.int(all.length + 1), 0, directive(rng)); return all.join('\n'); }],
];

/**
 * Comments out each logical line that could make the reader leave the fuzz folder: an Include,
 * IncludeOptional, TypesConfig or ServerRoot with an absolute path, '..' or ${...}, or a
 * directive whose name comes from ${...}. Reading all of / is what such a line asks for, in
 * Apache too; it is not what this test is about.
 */
function confined(text: string): string {
  const all = lines(text);
  for (let start = 0; start < all.length; start++) {
    let end = start;
    let logical = all[start]!.replace(/\r$/, '');
    while (logical.endsWith('\\') && end + 1 < all.length) logical = logical.slice(0, -1) + all[++end]!.replace(/\r$/, '');
    const trimmed = logical.trim().replace(/^</, '');
    const word = trimmed.split(/\s/)[0] ?? '';
    const argument = trimmed.slice(word.length).trim();
    const reads = /^["']?(include|includeoptional|typesconfig|serverroot)["']?$/i.test(word);
    const outside = /serverroot/i.test(word) || argument.includes('..') || argument.includes('$') || /^["']?\s*[/~]/.test(argument);
    if (word.includes('$') || (reads && outside && argument !== '/etc/mime.types')) all[start] = `# ${all[start]}`;
    start = end;
  }
  return all.join('\n');
}

interface Input {
  mutations: string[];
  text: string;
  extra: string;
}

function makeInput(index: number, from: readonly string[]): Input {
  const rng = inputPrng(index);
  let text = rng.pick(from);
  const mutations: string[] = [];
  for (let n = rng.between(1, 4); n > 0; n--) {
    // One in five adds a directive of the kinds with the most checks; the rest change what is there.
    const [name, mutate] = rng.chance(0.2) ? MUTATIONS.find(([m]) => m === 'directive')! : rng.pick(MUTATIONS);
    mutations.push(name);
    text = mutate(text, rng, from);
  }
  // A file the Include mutations can name: part of another seed, itself mutated once.
  const other = lines(rng.pick(from));
  const at = rng.int(other.length);
  const extra = rng.pick(MUTATIONS)[1](other.slice(at, at + rng.between(1, 20)).join('\n'), rng, from);
  return { mutations, text: confined(text), extra: confined(extra) };
}

/** One worker thread at a time; a new one after a stop. */
class Reader {
  private worker: Worker | null = null;

  private get thread(): Worker {
    this.worker ??= new Worker(WORKER);
    return this.worker;
  }

  /** The verdict, or null when the read did not end within WATCHDOG_MS (the worker is then stopped). */
  read(job: FuzzJob): Promise<FuzzVerdict | null> {
    const worker = this.thread;
    return new Promise((resolve, reject) => {
      const done = (verdict: FuzzVerdict | null) => {
        clearTimeout(timer);
        worker.off('message', done);
        worker.off('error', reject);
        resolve(verdict);
      };
      const timer = setTimeout(() => {
        this.worker = null;
        void worker.terminate();
        done(null);
      }, WATCHDOG_MS);
      worker.on('message', done);
      worker.on('error', reject);
      worker.postMessage(job);
    });
  }

  async close(): Promise<void> {
    await this.worker?.terminate();
  }
}

let dir = '';
const reader = new Reader();

before(() => {
  dir = tempDir('tswsgi-config-fuzz-');
  // The fixtures' folders, which their Include lines and paths name.
  fs.cpSync(path.join(ROOT, 'test/fixtures/good-conf'), dir, { recursive: true });
});
after(async () => {
  await reader.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

test(`${COUNT} mutated configs: no throw, no read over ${SLOW_MS} ms, every error at a real file:line (FUZZ_SEED=${FUZZ_SEED})`, async (t) => {
  const from = seeds();
  const main = path.join(dir, 'main.conf');
  const failures: string[] = [];
  const started = Date.now();
  let slowest = 0;
  const run = async (input: Input) => {
    fs.writeFileSync(main, input.text);
    fs.writeFileSync(path.join(dir, 'extra.conf'), input.extra);
    return reader.read({ file: main, env: ENV });
  };
  for (const index of fuzzIndexes(COUNT)) {
    const input = makeInput(index, from);
    let verdict = await run(input);
    // Slow (or stopped) once may be the machine; slow again on its own is the input.
    if (verdict === null || verdict.ms > SLOW_MS) verdict = await run(input);
    const problems = verdict === null ? [`did not finish within ${WATCHDOG_MS} ms (twice)`]
      : [...verdict.problems, ...(verdict.ms > SLOW_MS ? [`took ${verdict.ms.toFixed(0)} ms (twice over ${SLOW_MS})`] : [])];
    slowest = Math.max(slowest, verdict?.ms ?? WATCHDOG_MS);
    if (problems.length > 0) {
      failures.push(`input ${index} (${input.mutations.join(', ')}): ${problems.join('; ')}\n  again: ${reproduce(index, 'config-fuzz.test.js')}\n` +
        `  --- main.conf ---\n${input.text.slice(0, 3000)}\n  --- extra.conf ---\n${input.extra.slice(0, 1000)}`);
      if (failures.length >= 5) break;
    }
  }
  t.diagnostic(`${fuzzIndexes(COUNT).length} inputs in ${Date.now() - started} ms, slowest ${slowest.toFixed(1)} ms, seed ${FUZZ_SEED}`);
  assert.deepEqual(failures, [], `FUZZ_SEED=${FUZZ_SEED}:\n${failures.join('\n\n')}`);
});
