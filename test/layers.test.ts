// The layers of src/, each importing only the ones below it:
//   cli -> server (src/server.ts, src/control-socket.ts, src/http/) -> host -> process -> config -> log
// so that config, process and the WSGI host (the library) can be used without the Apache front end above them.

import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';

// __dirname is dist/test.
const SRC = path.resolve(__dirname, '..', '..', 'src');

/** Bottom first: a file may import its own layer and those before it. */
const LAYERS = ['log', 'config', 'process', 'host', 'server', 'cli'] as const;
type Layer = (typeof LAYERS)[number];

/** The layer of a file, from its path under src/. */
function layerOf(relative: string): Layer {
  const top = relative.split(path.sep)[0]!;
  if (top === 'server.ts' || top === 'control-socket.ts' || top === 'http') return 'server';
  // The package's entry exports the library, so it may reach no higher than the host.
  if (top === 'index.ts') return 'host';
  if ((LAYERS as readonly string[]).includes(top)) return top as Layer;
  throw new Error(`src/${relative} is in no layer: add its folder to test/layers.test.ts`);
}

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

/** Every module a file names: import and export ... from, side-effect imports, import() and require(). */
function importsOf(source: string): string[] {
  const pattern = /(?:\bfrom\s*|\bimport\s*\(?\s*|\brequire\s*\(\s*)['"]([^'"]+)['"]/g;
  return [...source.matchAll(pattern)].map((m) => m[1]!);
}

test('each file under src/ imports only its own layer and the layers below it', () => {
  const breaches: string[] = [];
  for (const file of sourceFiles(SRC)) {
    const relative = path.relative(SRC, file);
    const layer = layerOf(relative);
    for (const spec of importsOf(fs.readFileSync(file, 'utf8'))) {
      if (!spec.startsWith('.')) continue;
      const target = path.relative(SRC, path.resolve(path.dirname(file), spec));
      if (target.startsWith('..')) {
        breaches.push(`src/${relative} imports '${spec}', outside src/`);
        continue;
      }
      const targetLayer = layerOf(target.endsWith('.ts') || fs.existsSync(path.join(SRC, target)) ? target : `${target}.ts`);
      if (LAYERS.indexOf(targetLayer) > LAYERS.indexOf(layer)) {
        breaches.push(`src/${relative} (${layer}) imports '${spec}' (${targetLayer}), a layer above it`);
      }
    }
  }
  assert.deepEqual(breaches, []);
});

test('no file in src/process/ is over 400 lines', () => {
  const long = sourceFiles(path.join(SRC, 'process'))
    .map((file) => [path.relative(SRC, file), fs.readFileSync(file, 'utf8').split('\n').length - 1] as const)
    .filter(([, lines]) => lines > 400)
    .map(([file, lines]) => `src/${file}: ${lines} lines`);
  assert.deepEqual(long, []);
});
