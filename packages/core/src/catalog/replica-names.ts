/**
 * Where each source table and column lands in MySQL. A table of schema public keeps its name; a
 * table of schema s becomes `s__t`. Every name is carried exactly (MySQL quotes anything) or
 * refused with the reason and the setting that renames it: never mangled, never merged with
 * another.
 */
import { createHash } from 'node:crypto';
import { DEFAULT_SCHEMA } from './selection.js';
import type { QualifiedName } from './source-table.js';

/** MySQL's limit on a table or column name, in characters. */
export const MYSQL_NAME_LIMIT = 64;

/** The MySQL table a source table replicates into, unless the settings name another. */
export function defaultReplicaName(table: QualifiedName): string {
  return table.schema === DEFAULT_SCHEMA ? table.name : `${table.schema}__${table.name}`;
}

/** Why MySQL cannot hold this name as it is, or undefined when it can. */
export function mysqlNameProblem(name: string): string | undefined {
  if (name === '') return 'is empty';
  if ([...name].length > MYSQL_NAME_LIMIT)
    return `is ${[...name].length} characters long (MySQL allows ${MYSQL_NAME_LIMIT})`;
  if (/[\u{10000}-\u{10FFFF}]/u.test(name))
    return 'holds a character outside the Basic Multilingual Plane (MySQL refuses emoji in names)';
  if (name.includes('\u0000')) return 'holds the character U+0000';
  if (/ $/.test(name)) return 'ends with a space (MySQL refuses such names)';
  return undefined;
}

/**
 * How MySQL compares names for equality: column names always ignore case and accents
 * (utf8mb3_general_ci), table names do where lower_case_table_names is set. etl treats both
 * the portable way, so a replica that works on one server works on every other.
 */
export function mysqlNameKey(name: string): string {
  return name.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
}

/** Names etl itself keeps in MySQL; no replica may take one. */
export function isReservedMysqlName(name: string): boolean {
  return /^etl_/i.test(name) || /__etl_(stage|old|delta|check)$/i.test(name) || /^etl\$/i.test(name);
}

/**
 * A name of etl's making that MySQL takes (64 characters, counted as MySQL counts them): the name
 * when it fits, else its first 55 characters and 8 hex digits of a sha256 of the whole (so two
 * long names that share a start stay two).
 */
export function fitMysqlName(name: string): string {
  const chars = [...name];
  if (chars.length <= MYSQL_NAME_LIMIT) return name;
  const hash = createHash('sha256').update(name, 'utf8').digest('hex').slice(0, 8);
  return `${chars.slice(0, MYSQL_NAME_LIMIT - 9).join('')}_${hash}`;
}

/**
 * A working table beside a replica (`users__etl_stage`): the replica's name and a suffix when
 * that fits in 64 characters, else a name derived from a hash of it (still unique per replica).
 */
export function workTableName(replica: string, role: 'stage' | 'old' | 'delta' | 'check'): string {
  const plain = `${replica}__etl_${role}`;
  if ([...plain].length <= MYSQL_NAME_LIMIT) return plain;
  return `etl_${role}_${createHash('sha256').update(replica, 'utf8').digest('hex').slice(0, 24)}`;
}

/** Two things that land on one MySQL name, for a message: which and where. */
export interface NameClash {
  readonly first: string;
  readonly second: string;
  readonly as: string;
}

/** Pairs of names that MySQL would take for one (case and accents ignored). */
export function clashes(names: readonly { readonly source: string; readonly target: string }[]): NameClash[] {
  const seen = new Map<string, { source: string; target: string }>();
  const found: NameClash[] = [];
  for (const n of names) {
    const key = mysqlNameKey(n.target);
    const before = seen.get(key);
    if (before === undefined) seen.set(key, n);
    else found.push({ first: before.source, second: n.source, as: n.target });
  }
  return found;
}
