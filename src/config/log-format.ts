// mod_log_config's format language (LogFormat, CustomLog), parsed once when the config
// is read into literal text and fields, with Apache's rules (parse_log_string): a field
// is % then modifiers (status conditions, '!', '<' or '>', an argument in {}) then its
// letter. A field tswsgi cannot produce, or an argument that Apache would print back
// as bogus text, is refused here, naming the field, instead of logging '-' for ever.
// src/http/access-log.ts renders the parts for each request.

/** Every field letter tswsgi logs (mod_log_config's and mod_logio's, less %^FU and %^FB). */
export const FIELD_CODES = [
  'a', 'A', 'b', 'B', 'C', 'D', 'e', 'f', 'h', 'H', 'i', 'I', 'k', 'l', 'L', 'm', 'n', 'o', 'O', 'p', 'P', 'q', 'r', 'R',
  's', 'S', 't', 'T', 'u', 'U', 'v', 'V', 'X', '^ti', '^to',
] as const;
export type FieldCode = (typeof FIELD_CODES)[number];

/** Fields Apache has that tswsgi refuses, with why. */
const REFUSED: Record<string, string> = {
  '^FU': 'tswsgi does not time the first byte of a response (mod_logio\'s %^FU)',
  '^FB': 'tswsgi does not time the first byte of a response (mod_logio\'s %^FB)',
};

/** strftime conversions of the C locale that %{...}t may use (glibc's, without flags or widths). */
export const TIME_CONVERSIONS = [
  'a', 'A', 'b', 'B', 'c', 'C', 'd', 'D', 'e', 'F', 'g', 'G', 'h', 'H', 'I', 'j', 'k', 'l', 'm', 'M', 'n', 'p', 'P',
  'r', 'R', 's', 'S', 't', 'T', 'u', 'U', 'V', 'w', 'W', 'x', 'X', 'y', 'Y', 'z', '%',
] as const;
export type TimeConversion = (typeof TIME_CONVERSIONS)[number];

/** %{...}t: Apache's forms (seconds, milliseconds, ... since the epoch) or a strftime format. */
export type TimeFormat =
  | { kind: 'clf' }
  | { kind: 'sec' | 'msec' | 'usec' | 'msec_frac' | 'usec_frac' }
  | { kind: 'strftime'; parts: Array<string | { conversion: TimeConversion }> };

export interface LogField {
  code: FieldCode;
  /** The text in {...}; "" when none was given. */
  argument: string;
  /** Statuses it is logged for (or, with negated, not logged for); null: always logged. */
  statuses: number[] | null;
  negated: boolean;
  /** %{...}t only: the time format, and whether it is of the request's end ("end:") rather than its start. */
  time: { format: TimeFormat; end: boolean } | null;
}

/** Literal text (with \n, \t, \r and \\ already turned into their characters) and fields, in order. */
export type LogPart = string | LogField;

export interface LogFormat {
  /** As written in the config. */
  text: string;
  parts: LogPart[];
}

export class LogFormatError extends Error {}

const FIELD_SET: ReadonlySet<string> = new Set(FIELD_CODES);
const TIME_SET: ReadonlySet<string> = new Set(TIME_CONVERSIONS);

/** The forms of an argument Apache understands; any other it prints back as the field's value. */
const ARGUMENTS: Partial<Record<FieldCode, readonly string[]>> = {
  p: ['', 'canonical', 'local', 'remote'],
  P: ['', 'pid', 'tid', 'hextid'],
  T: ['', 's', 'ms', 'us'],
};

export function parseLogFormat(text: string): LogFormat {
  const parts: LogPart[] = [];
  let i = 0;
  while (i < text.length) {
    if (text[i] !== '%') {
      const end = text.indexOf('%', i);
      parts.push(unescape(text.slice(i, end < 0 ? undefined : end)));
      i = end < 0 ? text.length : end;
      continue;
    }
    if (text[i + 1] === '%') {
      parts.push('%');
      i += 2;
      continue;
    }
    const [field, next] = parseField(text, i + 1);
    parts.push(field);
    i = next;
  }
  // Adjacent literals (such as "%%" between text) become one.
  const merged: LogPart[] = [];
  for (const part of parts) {
    const last = merged[merged.length - 1];
    if (typeof part === 'string' && typeof last === 'string') merged[merged.length - 1] = last + part;
    else if (part !== '') merged.push(part);
  }
  return { text, parts: merged };
}

/** Backslash escapes outside fields, as parse_log_misc_string: \n \t \r \\; any other backslash stays. */
function unescape(text: string): string {
  return text.replace(/\\([\\nrt])/g, (_, c: string) => ({ n: '\n', r: '\r', t: '\t', '\\': '\\' })[c]!);
}

/** One field after its '%': returns it and where the text goes on. */
function parseField(text: string, start: number): [LogField, number] {
  let i = start;
  let argument = '';
  let statuses: number[] | null = null;
  let negated = false;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '!') {
      negated = !negated;
      i++;
    } else if (c === '<' || c === '>' || c === ',') {
      // tswsgi makes no internal redirects: the original request is the final one.
      i++;
    } else if (c === '{') {
      const close = text.indexOf('}', i + 1);
      argument = text.slice(i + 1, close < 0 ? undefined : close);
      i = close < 0 ? text.length : close + 1;
    } else if (c >= '0' && c <= '9') {
      const digits = /^\d+/.exec(text.slice(i))![0];
      (statuses ??= []).push(Number(digits));
      i += digits.length;
    } else {
      const caret = c === '^' ? text.slice(i, i + 3) : '';
      const code = caret.length === 3 && (FIELD_SET.has(caret) || caret in REFUSED) ? caret : c;
      const shown = `%${text.slice(start, i)}${code}`;
      if (code in REFUSED) throw new LogFormatError(`${shown}: ${REFUSED[code]}`);
      if (!FIELD_SET.has(code)) throw new LogFormatError(`Unrecognized LogFormat directive %${c}`);
      const field: LogField = { code: code as FieldCode, argument, statuses, negated, time: null };
      checkArgument(field, shown);
      return [field, i + code.length];
    }
  }
  throw new LogFormatError('Ran off end of LogFormat parsing args to some directive');
}

function checkArgument(field: LogField, shown: string): void {
  const allowed = ARGUMENTS[field.code];
  if (allowed && !allowed.includes(field.argument.toLowerCase())) {
    // Apache would log the argument itself, which is never what was meant.
    throw new LogFormatError(`${shown}: unknown form '${field.argument}'; expected ${allowed.filter(Boolean).join(', ')} or none`);
  }
  if (field.code === 'L' && field.argument === 'c') throw new LogFormatError(`${shown}: tswsgi has no connection log ids`);
  if (field.code === 't') field.time = parseTime(field.argument, shown);
}

const ABSOLUTE = ['sec', 'msec', 'usec', 'msec_frac', 'usec_frac'] as const;

/** %{...}t's argument: begin: or end:, then one of Apache's names or a strftime format. */
function parseTime(argument: string, shown: string): { format: TimeFormat; end: boolean } {
  if (argument === '') return { format: { kind: 'clf' }, end: false };
  const end = argument.startsWith('end:');
  const spec = argument.replace(/^(?:begin|end):/, '');
  const absolute = ABSOLUTE.find((name) => name === spec);
  if (absolute) return { format: { kind: absolute }, end };
  const parts: Array<string | { conversion: TimeConversion }> = [];
  for (let i = 0; i < spec.length; i++) {
    const c = spec[i]!;
    if (c !== '%') {
      if (typeof parts[parts.length - 1] === 'string') parts[parts.length - 1] += c;
      else parts.push(c);
      continue;
    }
    const conversion = spec[++i];
    if (conversion === undefined || !TIME_SET.has(conversion)) {
      throw new LogFormatError(`${shown}: the strftime conversion %${conversion ?? ''} is not one tswsgi can format ` +
        `(it knows %${TIME_CONVERSIONS.filter((t) => t !== '%').join(' %')} and %%, without flags or widths; %Z cannot be named as the C library names it: use %z)`);
    }
    parts.push({ conversion: conversion as TimeConversion });
  }
  return { format: { kind: 'strftime', parts }, end };
}
