// The directive reference is generated from the directive table; it must not drift.

import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BIN, ROOT } from './helpers/tswsgi';
import { DIRECTIVES } from '../src/config/directives';

test('docs/directives.md is what `tswsgi help directives --markdown` prints', () => {
  const generated = spawnSync(process.execPath, [BIN, 'help', 'directives', '--markdown'], { encoding: 'utf8' });
  assert.equal(generated.status, 0, generated.stderr);
  const committed = fs.readFileSync(path.join(ROOT, 'docs/directives.md'), 'utf8');
  assert.ok(committed === generated.stdout, 'docs/directives.md is stale: run `node bin/tswsgi.js help directives --markdown > docs/directives.md`');
});

test('every directive in the table has a description, an example and a section in the docs', () => {
  const doc = fs.readFileSync(path.join(ROOT, 'docs/directives.md'), 'utf8');
  for (const d of DIRECTIVES) {
    assert.ok(d.description.length > 10 && d.example.startsWith(d.name), `${d.name} has a description and an example`);
    assert.ok(doc.includes(`## ${d.name}\n`), `${d.name} is documented`);
  }
});
