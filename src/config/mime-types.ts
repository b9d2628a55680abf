// TypesConfig: a mime.types file, "type ext ext ..." per line.

import * as fs from 'node:fs';

export function readMimeTypes(file: string): Map<string, string> {
  const types = new Map<string, string>();
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const words = line.replace(/#.*/, '').trim().split(/\s+/);
    const type = words.shift();
    if (!type) continue;
    for (const ext of words) types.set(ext.toLowerCase(), type);
  }
  return types;
}
