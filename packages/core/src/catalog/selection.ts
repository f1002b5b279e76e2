/**
 * `--tables 'public.*,sales.orders,!public.audit_*'`: which source tables a command works on,
 * the same flag on every command. Each entry is `schema.table` or a bare `table` (schema
 * `public`); `*` matches any run of characters; `!` excludes; a part in double quotes is taken
 * literally (`"My.Schema"."a,b"`, a doubled `""` for a quote). Pure: the caller hands in the
 * tables the catalog has.
 */
import { UsageError } from '../errors.js';
import { closest } from '../suggest.js';
import type { QualifiedName } from './source-table.js';

export interface TablePattern {
  readonly exclude: boolean;
  readonly schema: string;
  readonly name: string;
  /** The entry as written, for messages. */
  readonly text: string;
  /** Whether a part holds an unquoted `*`. */
  readonly wildcard: boolean;
}

/** PostgreSQL's longest name (NAMEDATALEN - 1), in bytes. */
const PG_NAME_BYTES = 63;

/** Schema of a bare table name. */
export const DEFAULT_SCHEMA = 'public';

/** The PostgreSQL schema that holds etl's own state (runs, stream offsets, schema versions). */
export const STATE_SCHEMA = 'etl_state';

/**
 * etl's own tables, never a user's data to replicate: everything in schema etl_state, and in
 * schema public the state tables of etl's first rounds (`etl_*`) and the stream's dead letters.
 */
export function isEtlOwnTable(table: QualifiedName): boolean {
  if (table.schema === STATE_SCHEMA) return true;
  return table.schema === DEFAULT_SCHEMA && (table.name.startsWith('etl_') || table.name === 'kafka_events_dlq');
}

/** Splits one entry into its parts: quoted parts kept literally, `*` outside quotes a wildcard (as \u0000). */
function splitEntry(entry: string): { parts: string[]; wildcard: boolean } | string {
  const parts: string[] = [];
  let current = '';
  let wildcard = false;
  let quoted = false;
  let started = false;
  for (let i = 0; i < entry.length; i++) {
    const ch = entry.charAt(i);
    if (quoted) {
      if (ch === '"' && entry[i + 1] === '"') {
        current += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else current += ch;
    } else if (ch === '"') {
      quoted = true;
      started = true;
    } else if (ch === '.') {
      parts.push(current);
      current = '';
      started = false;
    } else if (ch === '*') {
      current += '\u0000';
      wildcard = true;
      started = true;
    } else {
      current += ch;
      started = true;
    }
  }
  if (quoted) return 'an unclosed double quote';
  if (!started && current === '') return parts.length === 0 ? 'an empty name' : 'an empty name after "."';
  parts.push(current);
  if (parts.some((p) => p === '')) return 'an empty name';
  if (parts.length > 2) return 'more than schema.table (quote a name that holds a dot: "a.b")';
  const long = parts.find((p) => !p.includes('\u0000') && Buffer.byteLength(p, 'utf8') > PG_NAME_BYTES);
  if (long !== undefined)
    return `a name of ${Buffer.byteLength(long, 'utf8')} bytes (PostgreSQL names are at most ${PG_NAME_BYTES})`;
  return { parts, wildcard };
}

/** Splits the flag's value at commas outside double quotes. */
function splitList(raw: string): string[] {
  const entries: string[] = [];
  let current = '';
  let quoted = false;
  for (const ch of raw) {
    if (ch === '"') quoted = !quoted;
    if (ch === ',' && !quoted) {
      entries.push(current);
      current = '';
    } else current += ch;
  }
  entries.push(current);
  return entries.map((e) => e.trim()).filter((e) => e !== '');
}

/** Parses the flag's value; every malformed entry is reported at once (exit 2). */
export function parseTablePatterns(raw: string, flag = '--tables'): TablePattern[] {
  const problems: string[] = [];
  const patterns: TablePattern[] = [];
  for (const text of splitList(raw)) {
    const exclude = text.startsWith('!');
    const body = (exclude ? text.slice(1) : text).trim();
    const split = splitEntry(body);
    if (typeof split === 'string') {
      problems.push(`"${text}" has ${split}`);
      continue;
    }
    const [first, second] = split.parts;
    patterns.push({
      exclude,
      schema: second === undefined ? DEFAULT_SCHEMA : (first ?? ''),
      name: second ?? first ?? '',
      text,
      wildcard: split.wildcard,
    });
  }
  if (problems.length > 0) {
    throw new UsageError(`${flag}: ${problems.join('; ')}`, {
      hint:
        'Name tables as schema.table or table (schema public), * as a wildcard, ! to exclude: ' +
        `${flag} 'public.*,!public.audit_*'`,
    });
  }
  return patterns;
}

/** A pattern part (wildcards as \u0000) as an anchored regular expression. */
function partRegex(part: string): RegExp {
  const escaped = part
    .split('\u0000')
    .map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${escaped}$`, 's');
}

export function patternMatches(pattern: TablePattern, table: QualifiedName): boolean {
  return partRegex(pattern.schema).test(table.schema) && partRegex(pattern.name).test(table.name);
}

/** A name as the user would type it back: quoted where it needs to be. */
export function displayName(table: QualifiedName): string {
  const part = (s: string) => (/^[a-z_][a-z0-9_$]*$/.test(s) ? s : `"${s.replace(/"/g, '""')}"`);
  return table.schema === DEFAULT_SCHEMA ? part(table.name) : `${part(table.schema)}.${part(table.name)}`;
}

/**
 * The tables a command works on: with no patterns, every table of schema public but etl's own;
 * else those an including pattern matches and no excluding pattern does (etl's own tables only
 * when named). An including entry that matches nothing is an error (with the closest name), so
 * a typo never silently replicates less. Returned in the catalog's order.
 */
export function selectTables<T extends { readonly name: QualifiedName }>(
  available: readonly T[],
  patterns: readonly TablePattern[] | undefined,
  flag = '--tables',
): T[] {
  const includes = (patterns ?? []).filter((p) => !p.exclude);
  const excludes = (patterns ?? []).filter((p) => p.exclude);
  const included = (t: T): boolean =>
    includes.length === 0
      ? t.name.schema === DEFAULT_SCHEMA && !isEtlOwnTable(t.name)
      : includes.some((p) => patternMatches(p, t.name) && (!p.wildcard || !isEtlOwnTable(t.name)));
  const unmatched = includes.filter((p) => !available.some((t) => patternMatches(p, t.name)));
  if (unmatched.length > 0) {
    const names = available.filter((t) => !isEtlOwnTable(t.name)).map((t) => displayName(t.name));
    const described = unmatched.map((p) => {
      const guess = closest(p.text, names);
      return `"${p.text}"${guess === undefined ? '' : ` (did you mean ${guess}?)`}`;
    });
    throw new UsageError(`${flag}: ${described.join(', ')} ${unmatched.length === 1 ? 'matches' : 'match'} no table`, {
      hint:
        available.length === 0
          ? 'The source database has no table that this role can see.'
          : `Tables are named schema.table (schema public when bare); here: ${names.slice(0, 12).join(', ')}${
              names.length > 12 ? ', …' : ''
            }.`,
    });
  }
  return available.filter((t) => included(t) && !excludes.some((p) => patternMatches(p, t.name)));
}

/** Patterns that name exactly these tables of schema public (the demo shop's, for the pipeline). */
export function exactPatterns(names: readonly string[]): TablePattern[] {
  return names.map((name) => ({ exclude: false, schema: DEFAULT_SCHEMA, name, text: name, wildcard: false }));
}

/** `--tables`' help text, the same on every command that takes it. */
export const TABLES_FLAG_DESCRIPTION =
  "Tables as schema.table or table (schema public), * as a wildcard, ! to exclude: 'public.*,sales.orders," +
  "!public.audit_*' (default: every table of schema public but etl's own).";
