// Apache 2.4's ErrorLogFormat: its items, modifiers and field rules (log.c's do_errorlog_format).
// A line is divided into fields where a space begins a literal ("\ " is a space that does not,
// "% " a divider that writes nothing); an item that produces nothing removes its whole field,
// unless it has "-" (a hyphen is written) or "+" (the whole once-per-request or connection line
// is left out); a number N writes the item only for messages at level N or finer, in Apache's
// numbering (0 emerg to 7 debug, 8-15 trace1-8): %7F only for debug messages.

import { LOG_LEVELS, type LogLevel } from './error-log-levels';

export type ErrorLogItem =
  | { kind: 'text'; text: string; separator: boolean }
  | { kind: 'message'; separator: boolean }
  | { kind: 'field'; code: string; argument: string | null; separator: boolean; required: boolean; hyphen: boolean; minLevel: number };

/** A server's ErrorLogFormat lines: the main one (null: tswsgi's default line) and the once-per-connection and once-per-request ones. */
export interface ErrorLogFormats {
  main: ErrorLogItem[] | null;
  connection: ErrorLogItem[][];
  request: ErrorLogItem[][];
}

export class ErrorLogFormatError extends Error {}

/** The fields Apache's core registers; a letter outside them is refused as Apache refuses it. */
const FIELDS = new Set('aAeEFikLlmnPtTvV'.split(''));
const TRACE8 = 15;

/** parse_errorlog_misc_string: literal text up to a '%' or a space that does not lead it, with \r \n \t and \x for any other x. */
function literal(format: string, start: number): [string, number] {
  let text = '';
  let i = start;
  let atStart = true;
  while (i < format.length && format[i] !== '%' && (format[i] !== ' ' || atStart)) {
    if (format[i] !== '\\') {
      if (format[i] !== ' ') atStart = false;
      text += format[i++];
      continue;
    }
    i++;
    if (i >= format.length) {
      text += '\\';
      break;
    }
    const c = format[i++]!;
    text += c === 'r' ? '\r' : c === 'n' ? '\n' : c === 't' ? '\t' : c;
  }
  return [text, i];
}

/** One item at `start`: [item, where the next begins]. */
function item(format: string, start: number, separator: boolean): [ErrorLogItem, number] {
  if (format[start] !== '%') {
    const [text, next] = literal(format, start);
    return [{ kind: 'text', text, separator: separator || format[start] === ' ' }, next];
  }
  let i = start + 1;
  if (format[i] === ' ') return item(format, i + 1, true);
  if (format[i] === '%') return [{ kind: 'text', text: '%', separator }, i + 1];
  const field = { kind: 'field' as const, code: '', argument: null as string | null, separator, required: false, hyphen: false, minLevel: 0 };
  while (i < format.length) {
    const c = format[i]!;
    if (c === '{') {
      const end = format.indexOf('}', i + 1);
      field.argument = format.slice(i + 1, end < 0 ? format.length : end);
      i = end < 0 ? format.length : end + 1;
    } else if (c === '+') {
      field.required = true;
      i++;
    } else if (c === '-') {
      field.hyphen = true;
      i++;
    } else if (/[0-9]/.test(c)) {
      const digits = /^[0-9]+/.exec(format.slice(i))![0];
      field.minLevel = Number(digits);
      i += digits.length;
    } else if (c === 'M') {
      return [{ kind: 'message', separator }, i + 1];
    } else {
      if (!FIELDS.has(c)) throw new ErrorLogFormatError(`Unrecognized error log format directive %${c}`);
      if (c === 't' && field.argument?.includes('%')) {
        throw new ErrorLogFormatError(`%{${field.argument}}t: tswsgi does not format the error log's time with strftime; use %t, %{u}t, %{cu}t or %{cuz}t`);
      }
      field.code = c;
      return [field, i + 1];
    }
  }
  throw new ErrorLogFormatError('Ran off end of error log format parsing args to some directive');
}

/** parse_errorlog_string, with Apache's messages. `main`: the line of each message (which must have %M). */
export function parseErrorLogFormat(format: string, main: boolean): ErrorLogItem[] {
  const items: ErrorLogItem[] = [];
  let i = 0;
  let message = false;
  while (i < format.length) {
    const [next, end] = item(format, i, false);
    i = end;
    items.push(next);
    if (next.kind === 'message') {
      if (!main) throw new ErrorLogFormatError('%M cannot be used in once-per-request or once-per-connection formats');
      message = true;
    }
    if (next.kind !== 'field') continue;
    if (main && next.required) throw new ErrorLogFormatError("The '+' flag cannot be used in the main error log format");
    if (!main && next.minLevel) throw new ErrorLogFormatError('The loglevel cannot be used as a condition in once-per-request or once-per-connection formats');
    if (next.minLevel > TRACE8) throw new ErrorLogFormatError('The specified loglevel modifier is out of range');
  }
  if (main && !message) throw new ErrorLogFormatError("main ErrorLogFormat must contain message format string '%M'");
  return items;
}

/**
 * Renders a line: `value` gives each field's text ('' or null: nothing), `level` the message's
 * (null for once-per lines). null when a "+" item produced nothing: no line at all.
 */
export function renderErrorLogLine(items: readonly ErrorLogItem[], value: (field: Extract<ErrorLogItem, { kind: 'field' }>) => string | null,
  message: string, level: LogLevel | null): string | null {
  const rank = level === null ? -1 : LOG_LEVELS.indexOf(level);
  let line = '';
  let fieldStart = 0;
  let skipping = false;
  for (const it of items) {
    if (it.separator) {
      if (skipping) skipping = false;
      else fieldStart = line.length;
    }
    if (it.kind === 'message') {
      line += message;
      continue;
    }
    if (skipping) continue;
    if (it.kind === 'text') {
      line += it.text;
      continue;
    }
    if (rank !== -1 && it.minLevel > rank) {
      line = line.slice(0, fieldStart);
      skipping = true;
      continue;
    }
    const text = value(it);
    if (text) {
      line += text;
    } else if (it.required) {
      return null;
    } else if (it.hyphen) {
      line += '-';
    } else {
      line = line.slice(0, fieldStart);
      skipping = true;
    }
  }
  return line;
}
