// TypesConfig: a mime.types file, "type ext ext ..." per line.

import * as fs from 'node:fs';
import { readRegularFile } from './read-file';

/** Parsed files by path, with the identity they had: parsing /etc/mime.types is half of reading a small config. */
const parsed = new Map<string, { stats: fs.Stats; types: ReadonlyMap<string, string> }>();

const same = (a: fs.Stats, b: fs.Stats) => a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs;

/** The types by extension; a file is parsed again only once it changed. */
export function readMimeTypes(file: string): ReadonlyMap<string, string> {
  const stats = fs.statSync(file, { throwIfNoEntry: false });
  const known = parsed.get(file);
  if (stats && known && same(stats, known.stats)) return known.types;
  const types = new Map<string, string>();
  for (const line of readRegularFile(file).split('\n')) {
    const words = line.replace(/#.*/, '').trim().split(/\s+/);
    const type = words.shift();
    if (!type) continue;
    for (const ext of words) types.set(ext.toLowerCase(), type);
  }
  if (stats?.isFile()) parsed.set(file, { stats, types });
  return types;
}
