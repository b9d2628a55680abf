// Log files are opened before tswsgi says it serves, as Apache opens its logs before it starts:
// one that cannot be opened (a missing folder, /proc/self/fd/1 when stdout is a socket) stops
// the start with its name, instead of an 'error' event that kills the server later.

import * as fs from 'node:fs';

/**
 * `file` opened for appending, now; throws Apache's "could not open <what> <file>" with the
 * reason. `what` is Apache's name for the log: 'error log file' or 'transfer log file'.
 */
export function openLogFile(file: string, what: string): fs.WriteStream {
  let fd: number;
  try {
    fd = fs.openSync(file, 'a');
  } catch (err) {
    throw new Error(`could not open ${what} ${file}: ${(err as Error).message}`);
  }
  return fs.createWriteStream(file, { fd });
}
