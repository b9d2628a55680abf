// The worker's control lines (fd 3, docs/protocol.md), checked field by field: the worker runs
// application code, so whatever it sends is untrusted until it has the shape of an event.

export interface ImportReport {
  script: string;
  applicationGroup: string;
  ok: boolean;
  seconds: number;
  error?: string;
}

export interface ReadyReport {
  pid: number;
  python: string;
  interpreters: string;
}

export type ControlMessage =
  | { event: 'alive' }
  | ({ event: 'import' } & ImportReport)
  | { event: 'group-ready'; applicationGroup: string; socket: string }
  | { event: 'group-failed'; applicationGroup: string; error: string }
  | ({ event: 'ready' } & ReadyReport);

/** Longest control line the front end takes, newline excluded; the worker writes at most PIPE_BUF (4096) bytes a line. */
export const CONTROL_LINE_LIMIT = 64 * 1024;

export type Parsed = { ok: true; message: ControlMessage } | { ok: false; error: string };

class Invalid extends Error {}

type Fields = Record<string, unknown>;

function field<T>(fields: Fields, key: string, what: string, valid: (value: unknown) => value is T): T {
  const value = Object.hasOwn(fields, key) ? fields[key] : undefined;
  if (!valid(value)) throw new Invalid(`"${key}" is not ${what}`);
  return value;
}

const isString = (value: unknown): value is string => typeof value === 'string';
const isBoolean = (value: unknown): value is boolean => typeof value === 'boolean';
const isSeconds = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value) && value >= 0;
const isPid = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) > 0;

const string = (fields: Fields, key: string) => field(fields, key, 'a string', isString);

/** One validator per event: each builds the message from the fields it checked, and nothing else. */
const EVENTS: { [E in ControlMessage['event']]: (fields: Fields) => Extract<ControlMessage, { event: E }> } = {
  alive: () => ({ event: 'alive' }),
  import: (fields) => {
    const report: ControlMessage & { event: 'import' } = {
      event: 'import',
      script: string(fields, 'script'),
      applicationGroup: string(fields, 'applicationGroup'),
      ok: field(fields, 'ok', 'true or false', isBoolean),
      seconds: field(fields, 'seconds', 'a number of seconds', isSeconds),
    };
    if (Object.hasOwn(fields, 'error')) report.error = string(fields, 'error');
    return report;
  },
  'group-ready': (fields) => ({ event: 'group-ready', applicationGroup: string(fields, 'applicationGroup'), socket: string(fields, 'socket') }),
  'group-failed': (fields) => ({ event: 'group-failed', applicationGroup: string(fields, 'applicationGroup'), error: string(fields, 'error') }),
  ready: (fields) => ({
    event: 'ready',
    pid: field(fields, 'pid', 'a process id', isPid),
    python: string(fields, 'python'),
    interpreters: string(fields, 'interpreters'),
  }),
};

/** A control line (without its newline) as an event, or why it is not one. Never throws. */
export function parseControlLine(line: Buffer): Parsed {
  let fields: unknown;
  try {
    fields = JSON.parse(line.toString('utf8'));
  } catch {
    return { ok: false, error: 'not JSON' };
  }
  if (typeof fields !== 'object' || fields === null || Array.isArray(fields)) return { ok: false, error: 'not a JSON object' };
  const event = Object.hasOwn(fields, 'event') ? (fields as Fields).event : undefined;
  if (typeof event !== 'string' || !Object.hasOwn(EVENTS, event)) return { ok: false, error: 'no known "event"' };
  try {
    return { ok: true, message: EVENTS[event as ControlMessage['event']](fields as Fields) };
  } catch (err) {
    if (err instanceof Invalid) return { ok: false, error: `${event}: ${err.message}` };
    throw err;
  }
}
