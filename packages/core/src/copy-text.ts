/**
 * PostgreSQL COPY text format: one line per row, tab-separated, `\N` for NULL, backslash
 * escapes for the characters that would break a line or a field.
 */

export type CopyValue = string | number | bigint | boolean | Date | null | undefined;

const ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

export function encodeCopyValue(value: CopyValue): string {
  if (value === null || value === undefined) return '\\N';
  if (typeof value === 'string')
    return /[\\\t\n\r]/.test(value) ? value.replace(/[\\\t\n\r]/g, (c) => ESCAPES[c] ?? c) : value;
  if (value instanceof Date) return isoInstant(value.getTime());
  if (typeof value === 'boolean') return value ? 't' : 'f';
  return String(value);
}

export function encodeCopyRow(values: readonly CopyValue[]): string {
  let line = '';
  for (let i = 0; i < values.length; i++) {
    if (i > 0) line += '\t';
    line += encodeCopyValue(values[i]);
  }
  return `${line}\n`;
}

const DAY_MS = 86_400_000;
const pad = (n: number, width: number): string => String(n).padStart(width, '0');
const TWO_DIGITS = Array.from({ length: 60 }, (_, i) => pad(i, 2));
const THREE_DIGITS = Array.from({ length: 1000 }, (_, i) => pad(i, 3));
const dayPrefixes = new Map<number, string>();

/**
 * An instant as `Date.prototype.toISOString` writes it (`2024-02-29T12:00:00.005Z`), several
 * times faster for the millions of timestamps a seed writes: each day's date part is built once.
 */
export function isoInstant(ms: number): string {
  const day = Math.floor(ms / DAY_MS);
  let prefix = dayPrefixes.get(day);
  if (prefix === undefined) {
    const text = new Date(day * DAY_MS).toISOString();
    // Years outside 0000–9999 take toISOString's own form, which has a sign and six digits.
    if (text.length !== 24) return new Date(ms).toISOString();
    prefix = text.slice(0, 11);
    if (dayPrefixes.size < 100_000) dayPrefixes.set(day, prefix);
  }
  let rest = ms - day * DAY_MS;
  const millis = rest % 1000;
  rest = (rest - millis) / 1000;
  const seconds = rest % 60;
  rest = (rest - seconds) / 60;
  const minutes = rest % 60;
  const hours = (rest - minutes) / 60;
  return `${prefix}${TWO_DIGITS[hours]}:${TWO_DIGITS[minutes]}:${TWO_DIGITS[seconds]}.${THREE_DIGITS[millis]}Z`;
}
