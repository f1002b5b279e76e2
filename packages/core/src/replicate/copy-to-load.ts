/**
 * PostgreSQL `COPY … TO STDOUT` text into MySQL `LOAD DATA` text, chunk by chunk.
 *
 * The two formats agree on almost everything (tab between fields, newline between rows,
 * backslash escapes, \N for NULL), so a table without value transforms passes through
 * unchanged except for the two escapes MySQL does not know (\f and \v). Tables with value
 * transforms are split into rows and fields, transformed and re-encoded.
 */
import type { ReplicaSpec } from './spec.js';

const PG_ESCAPES: Record<string, string> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\' };

/** One COPY text field back to its value (null for \N). */
export function decodeCopyField(field: string): string | null {
  if (field === '\\N') return null;
  if (!field.includes('\\')) return field;
  return field.replace(/\\(x[0-9a-fA-F]{1,2}|[0-7]{1,3}|.)/gs, (_, e: string) => {
    if (e.length > 1 && e.startsWith('x')) return String.fromCharCode(parseInt(e.slice(1), 16));
    if (/^[0-7]+$/.test(e)) return String.fromCharCode(parseInt(e, 8));
    return PG_ESCAPES[e] ?? e;
  });
}

const MYSQL_ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r', '\0': '\\0' };

/** A value as a LOAD DATA field (default FIELDS/LINES options). */
export function encodeLoadField(value: string | null): string {
  if (value === null) return '\\N';
  return /[\\\t\n\r\0]/.test(value) ? value.replace(/[\\\t\n\r\0]/g, (c) => MYSQL_ESCAPES[c] ?? c) : value;
}

const NEWLINE = 10;
const BACKSLASH = 92;

function countNewlines(bytes: Buffer): number {
  let n = 0;
  for (let i = bytes.indexOf(NEWLINE); i !== -1; i = bytes.indexOf(NEWLINE, i + 1)) n++;
  return n;
}

/**
 * Converts a stream of COPY text chunks (bytes as they come off the wire) into LOAD DATA
 * text. Bytes pass through untouched whenever they can; otherwise complete lines are decoded,
 * converted and re-encoded, and the incomplete tail waits for the next chunk (so neither a
 * multi-byte character nor an escape is ever cut in two).
 */
export class CopyToLoadData {
  private carry: Buffer = Buffer.alloc(0);
  rows = 0;

  constructor(private readonly spec: ReplicaSpec) {}

  /** Converts the next chunk; may hold back an incomplete row until the next one. */
  push(chunk: Buffer | string): Buffer | string {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    const data = this.carry.length === 0 ? bytes : Buffer.concat([this.carry, bytes]);
    this.carry = Buffer.alloc(0);
    if (
      !this.spec.transformsRows &&
      data[data.length - 1] !== BACKSLASH &&
      !data.includes('\\f') &&
      !data.includes('\\v')
    ) {
      this.rows += countNewlines(data);
      return data; // the common case: nothing to change, nothing to copy
    }
    const last = data.lastIndexOf(NEWLINE);
    this.carry = Buffer.from(data.subarray(last + 1));
    if (last === -1) return '';
    return this.convertLines(data.toString('utf8', 0, last + 1));
  }

  /** What is left once the source has ended (a last row without its newline). */
  end(): string {
    const rest = this.carry.toString('utf8');
    this.carry = Buffer.alloc(0);
    return rest === '' ? '' : this.convertLines(`${rest}\n`);
  }

  /** Complete lines, each ending with a newline. */
  private convertLines(text: string): string {
    if (!this.spec.transformsRows) {
      this.rows += countNewlines(Buffer.from(text, 'utf8'));
      return fixEscapes(text);
    }
    let out = '';
    let start = 0;
    for (let end = text.indexOf('\n'); end !== -1; end = text.indexOf('\n', start)) {
      out += this.transformLine(text.slice(start, end)) + '\n';
      start = end + 1;
    }
    return out;
  }

  private transformLine(line: string): string {
    this.rows++;
    const fields = line.split('\t');
    const columns = this.spec.columns;
    for (let i = 0; i < columns.length; i++) {
      const column = columns[i];
      const raw = fields[i];
      if (raw === undefined) continue;
      if (column?.transform === undefined) {
        fields[i] = fixEscapes(raw);
        continue;
      }
      const value = decodeCopyField(raw);
      fields[i] = encodeLoadField(value === null ? null : column.transform.js(value));
    }
    return fields.join('\t');
  }
}

/** The two PostgreSQL escapes MySQL does not know, replaced by the characters they stand for. */
function fixEscapes(text: string): string {
  if (!text.includes('\\f') && !text.includes('\\v')) return text;
  return text.replace(/\\(.)/gs, (all, e: string) => (e === 'f' ? '\f' : e === 'v' ? '\v' : all));
}
