/**
 * What `etl cdc` records about each table it captures, beside the replicas in MySQL: the
 * source table, the replica's name, its topic, and the replica's columns as apply writes them.
 * Capture builds it from the catalog (through the table's ReplicaSpec); apply and status read
 * it back, so they need neither PostgreSQL's catalog nor the demo shop's definitions.
 */
import { createHash } from 'node:crypto';
import { UsageError } from '../errors.js';
import type { QualifiedName, SourceTable } from '../catalog/source-table.js';
import { displayName } from '../catalog/selection.js';
import { specFromRecipe, type ReplicaSpec, type SpecRecipe } from '../replicate/spec.js';

export interface CapturedColumn {
  /** The column's name in PostgreSQL (what pgoutput's Relation message carries). */
  readonly source: string;
  /** Its name in the MySQL replica: the name `after` and `key` use in the change records. */
  readonly name: string;
  /** Binary: the record carries the bytes as hex, and apply binds `UNHEX(?)`. */
  readonly hex: boolean;
  /**
   * For a column the capture added to the replica when PostgreSQL gained it: the commit position
   * of the first transaction that carried it (relations before it rightly lack it).
   */
  readonly addedAt?: string;
}

export interface CapturedTable {
  readonly source: QualifiedName;
  /** The replica's name in MySQL (what records, reports and the state use). */
  readonly table: string;
  readonly topic: string;
  readonly columns: readonly CapturedColumn[];
  /** The key's MySQL column names, in key order. */
  readonly key: readonly string[];
  /** Masked columns, as `table.column`. */
  readonly masked: readonly string[];
  /** The catalog's description when the capture started, and the spec's options: its spec, rebuilt exactly. */
  readonly described: SourceTable;
  readonly recipe: SpecRecipe;
}

const TOPIC_CHARS = /^[A-Za-z0-9._-]+$/;
/** Kafka's limit on a topic name. */
const TOPIC_LIMIT = 249;

/**
 * The topic of a replica: `<prefix>.<table>` when the name is made of Kafka's topic characters
 * and fits; otherwise the name with every other character as `_`, cut to fit, and the first 8
 * hex digits of its sha256, so that two names never share a topic.
 */
export function topicName(prefix: string, table: string): string {
  const room = TOPIC_LIMIT - prefix.length - 1;
  if (TOPIC_CHARS.test(table) && table.length <= room) return `${prefix}.${table}`;
  const hash = createHash('sha256').update(table, 'utf8').digest('hex').slice(0, 8);
  const safe = [...table]
    .map((ch) => (TOPIC_CHARS.test(ch) ? ch : '_'))
    .join('')
    .slice(0, Math.max(1, room - hash.length - 1));
  return `${prefix}.${safe}-${hash}`;
}

/** What capture records of a table: its description, how its spec is built, and what apply needs of it. */
export function capturedTable(described: SourceTable, recipe: SpecRecipe, topicPrefix: string): CapturedTable {
  const spec = specFromRecipe(described, recipe);
  const target = new Map(spec.columns.map((c) => [c.name, c.target]));
  return {
    source: spec.source,
    table: spec.table,
    topic: topicName(topicPrefix, spec.table),
    columns: spec.columns.map((c) => {
      const load = c.codec.mysqlLoad?.('?');
      if (load !== undefined && load !== 'UNHEX(?)') {
        throw new Error(`${spec.table}.${c.target}: etl cdc binds only UNHEX(?), not ${load}`);
      }
      return { source: c.name, name: c.target, hex: load !== undefined };
    }),
    key: spec.primaryKey.map((k) => target.get(k) ?? k),
    masked: spec.masked,
    described,
    recipe,
  };
}

/** The spec a captured table was recorded with (the same whatever the catalog says now). */
export const capturedSpec = (table: CapturedTable): ReplicaSpec => specFromRecipe(table.described, table.recipe);

/**
 * Why PostgreSQL could not tell etl which row an UPDATE or DELETE of this table changed, or
 * undefined when it can: change data capture needs a key, and the table's replica identity must
 * send the key's columns with every update and delete. A table with neither a key nor an
 * identity is never published: PostgreSQL would then refuse the application's own UPDATEs on it.
 */
export function captureProblem(table: SourceTable, spec: ReplicaSpec): string | undefined {
  const name = displayName(table.name);
  if (spec.primaryKey.length === 0) {
    return (
      `${name} has no primary key and no unique index over NOT NULL columns, so its changes cannot be applied ` +
      'by key: give it a key in the settings file (key: [...]) together with ' +
      `ALTER TABLE ${name} REPLICA IDENTITY FULL, or leave it out with --tables '…,!${name}'`
    );
  }
  const identity = table.identity;
  const missing = spec.primaryKey.filter((k) => !identity.includes(k));
  if (table.replicaIdentity === 'n' || identity.length === 0) {
    return (
      `${name} has no replica identity (no primary key, REPLICA IDENTITY ` +
      `${table.replicaIdentity === 'n' ? 'NOTHING' : 'DEFAULT'}), so PostgreSQL would refuse UPDATE and DELETE on ` +
      `it once published: run ALTER TABLE ${name} REPLICA IDENTITY USING INDEX <its unique index> (or FULL), ` +
      `or leave it out with --tables '…,!${name}'`
    );
  }
  if (missing.length > 0) {
    return (
      `${name}'s replica identity does not send its key column${missing.length === 1 ? '' : 's'} ` +
      `${missing.join(', ')} with updates and deletes: run ALTER TABLE ${name} REPLICA IDENTITY FULL, ` +
      'or set its key in the settings file to the identity index columns'
    );
  }
  return undefined;
}

/** Refuses (exit 2) every table of the plan change data capture cannot follow, all at once. */
export function refuseUncapturable(pairs: readonly { table: SourceTable; spec: ReplicaSpec }[]): void {
  const problems = pairs.map((p) => captureProblem(p.table, p.spec)).filter((p) => p !== undefined);
  if (problems.length > 0) {
    throw new UsageError(problems.join('\n'), {
      hint: 'etl replicate copies such tables in full (atomic swap) and etl verify compares them as a multiset.',
    });
  }
}
