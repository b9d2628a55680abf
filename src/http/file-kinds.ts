// What a path names (a file, a directory, or nothing), from stats up to a second old.
// Routing asks this up to three times a request; the stat calls cost more than the rest
// of the routing. Only what exists is remembered, so a path that appears is seen at once.
// One that disappears is seen within the second: until then a static file is refused by
// `send`'s own open, and a script that is loaded already keeps answering (a script not yet
// loaded is refused by the worker's stat).

import * as fs from 'node:fs';

export type FileKind = 'file' | 'directory' | 'none';

const MAX_AGE_MS = 1000;
/** Bounds the memory a crawl over many distinct paths can take. */
const MAX_ENTRIES = 10_000;

const known = new Map<string, { kind: FileKind; at: number }>();

export function fileKind(file: string): FileKind {
  const now = Date.now();
  const cached = known.get(file);
  if (cached !== undefined && now - cached.at < MAX_AGE_MS) return cached.kind;
  const kind = statKind(file);
  if (kind === 'none') {
    known.delete(file);
  } else {
    if (known.size >= MAX_ENTRIES) known.clear();
    known.set(file, { kind, at: now });
  }
  return kind;
}

function statKind(file: string): FileKind {
  try {
    const stats = fs.statSync(file);
    return stats.isFile() ? 'file' : stats.isDirectory() ? 'directory' : 'none';
  } catch {
    return 'none'; // missing, not a directory on the way, no permission: nothing to serve
  }
}
