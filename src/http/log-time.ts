// The times of access log lines, as mod_log_config writes them: %t's [day/Mon/year:time zone],
// the seconds-since-the-epoch forms, and a strftime of the C locale in the server's time zone.

import type { TimeConversion, TimeFormat } from '../config/log-format';

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

const pad = (n: number, width = 2, fill = '0') => String(n).padStart(width, fill);

/** +hhmm, the local time's offset from UTC. */
function zone(date: Date): string {
  const offset = -date.getTimezoneOffset();
  return `${offset >= 0 ? '+' : '-'}${pad(Math.floor(Math.abs(offset) / 60))}${pad(Math.abs(offset) % 60)}`;
}

/** Days since 1 January of the date's year (0-365). */
function dayOfYear(date: Date): number {
  return Math.round((Date.UTC(date.getFullYear(), date.getMonth(), date.getDate()) - Date.UTC(date.getFullYear(), 0, 1)) / 86_400_000);
}

/** ISO 8601 week-numbering year and week (%G, %V). */
function isoWeek(date: Date): { year: number; week: number } {
  const day = new Date(Date.UTC(date.getFullYear(), date.getMonth(), date.getDate()));
  const weekday = day.getUTCDay() || 7;
  // The Thursday of this week decides the year.
  day.setUTCDate(day.getUTCDate() + 4 - weekday);
  const year = day.getUTCFullYear();
  return { year, week: Math.ceil(((day.getTime() - Date.UTC(year, 0, 1)) / 86_400_000 + 1) / 7) };
}

/** One strftime conversion of the C locale. */
function conversion(c: TimeConversion, date: Date): string {
  const hour12 = date.getHours() % 12 || 12;
  switch (c) {
    case 'a': return DAYS[date.getDay()]!.slice(0, 3);
    case 'A': return DAYS[date.getDay()]!;
    case 'b': case 'h': return MONTHS[date.getMonth()]!.slice(0, 3);
    case 'B': return MONTHS[date.getMonth()]!;
    case 'c': return expand('%a %b %e %H:%M:%S %Y', date);
    case 'C': return pad(Math.floor(date.getFullYear() / 100));
    case 'd': return pad(date.getDate());
    case 'D': case 'x': return expand('%m/%d/%y', date);
    case 'e': return pad(date.getDate(), 2, ' ');
    case 'F': return expand('%Y-%m-%d', date);
    case 'g': return pad(isoWeek(date).year % 100);
    case 'G': return String(isoWeek(date).year);
    case 'H': return pad(date.getHours());
    case 'I': return pad(hour12);
    case 'j': return pad(dayOfYear(date) + 1, 3);
    case 'k': return pad(date.getHours(), 2, ' ');
    case 'l': return pad(hour12, 2, ' ');
    case 'm': return pad(date.getMonth() + 1);
    case 'M': return pad(date.getMinutes());
    case 'n': return '\n';
    case 'p': return date.getHours() < 12 ? 'AM' : 'PM';
    case 'P': return date.getHours() < 12 ? 'am' : 'pm';
    case 'r': return expand('%I:%M:%S %p', date);
    case 'R': return expand('%H:%M', date);
    case 's': return String(Math.floor(date.getTime() / 1000));
    case 'S': return pad(date.getSeconds());
    case 't': return '\t';
    case 'T': case 'X': return expand('%H:%M:%S', date);
    case 'u': return String(date.getDay() || 7);
    case 'U': return pad(Math.floor((dayOfYear(date) + 7 - date.getDay()) / 7));
    case 'V': return pad(isoWeek(date).week);
    case 'w': return String(date.getDay());
    case 'W': return pad(Math.floor((dayOfYear(date) + 7 - ((date.getDay() + 6) % 7)) / 7));
    case 'y': return pad(date.getFullYear() % 100);
    case 'Y': return String(date.getFullYear());
    case 'z': return zone(date);
    case '%': return '%';
  }
}

/** A composite conversion (%c, %D, %T, ...) in terms of the others. */
function expand(format: string, date: Date): string {
  return format.replace(/%(.)/g, (_, c: string) => conversion(c as TimeConversion, date));
}

/** A parsed strftime format: literal text and conversions. */
function strftime(parts: ReadonlyArray<string | { conversion: TimeConversion }>, date: Date): string {
  let out = '';
  for (const part of parts) out += typeof part === 'string' ? part : conversion(part.conversion, date);
  return out;
}

/** [06/Dec/2026:02:26:54 +0000], mod_log_config's %t. */
export function clfTime(date: Date): string {
  return `[${pad(date.getDate())}/${MONTHS[date.getMonth()]!.slice(0, 3)}/${date.getFullYear()}:` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())} ${zone(date)}]`;
}

/** A time (microseconds since the epoch) in one of %{...}t's forms. */
export function formatTime(format: TimeFormat, micros: number): string {
  switch (format.kind) {
    case 'clf': return clfTime(new Date(micros / 1000));
    case 'sec': return String(Math.floor(micros / 1_000_000));
    case 'msec': return String(Math.floor(micros / 1000));
    case 'usec': return String(micros);
    case 'msec_frac': return pad(Math.floor(micros / 1000) % 1000, 3);
    case 'usec_frac': return pad(micros % 1_000_000, 6);
    case 'strftime': return strftime(format.parts, new Date(micros / 1000));
  }
}
