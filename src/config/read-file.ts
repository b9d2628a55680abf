// Reading the files a configuration names (the file itself, Include, TypesConfig). Only
// regular files, as Apache's ap_pcfg_openfile (which allows /dev/null too): reading
// /dev/zero or /dev/urandom never ends, and opening a FIFO blocks until a writer comes.

import * as fs from 'node:fs';

/** Apache's words for the errors opening a file can meet. */
export function strerror(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  const known: Record<string, string> = { ENOENT: 'No such file or directory', ENOTDIR: 'Not a directory', EACCES: 'Permission denied' };
  return (code && known[code]) || (err as Error).message;
}

function kindOf(stats: fs.Stats): string {
  if (stats.isDirectory()) return 'a directory';
  if (stats.isFIFO()) return 'a FIFO';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  return 'a socket';
}

/** The file's text; throws an Error whose message says what is wrong (no file name: callers add it). */
export function readRegularFile(file: string): string {
  try {
    // stat before open: opening a FIFO would block, and opening a device can have effects.
    const stats = fs.statSync(file);
    if (!stats.isFile() && file !== '/dev/null') {
      throw new Error(`not a regular file but ${kindOf(stats)} (tswsgi, like Apache, reads configuration only from regular files)`);
    }
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(strerror(err));
  }
}
