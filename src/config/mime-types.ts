// TypesConfig: a mime.types file, "type ext ext ..." per line.

import { readRegularFile } from './read-file';

export function readMimeTypes(file: string): Map<string, string> {
  const types = new Map<string, string>();
  for (const line of readRegularFile(file).split('\n')) {
    const words = line.replace(/#.*/, '').trim().split(/\s+/);
    const type = words.shift();
    if (!type) continue;
    for (const ext of words) types.set(ext.toLowerCase(), type);
  }
  return types;
}
