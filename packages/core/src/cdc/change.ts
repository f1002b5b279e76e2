/**
 * Change data capture's envelope: one JSON record per row change, in the topic of its table,
 * keyed by the row's primary key so that every change of a row stays in order on one
 * partition. Values travel in the form the MySQL replica stores (as `etl replicate` writes
 * them: UTC timestamps with microseconds, host addresses, masks and transforms applied), so
 * masked values never reach Kafka. A column missing from `after` is an unchanged TOASTed
 * value: the replica keeps what it has.
 */
import { DataCheckError } from '../errors.js';
import type { ReplicaColumn, ReplicaSpec } from '../replicate/spec.js';
import { formatLsn, parseLsn, UNCHANGED, type Lsn, type RelationColumn, type TupleValue } from './pgoutput.js';

export type ChangeOp = 'insert' | 'update' | 'delete';

/** Where a change sits in the source's history: its transaction's commit, then its place in it. */
export interface SourcePosition {
  readonly lsn: Lsn;
  readonly seq: number;
}

export interface Change {
  /** Changes on reset: a record of another epoch is never applied. */
  readonly epoch: string;
  readonly op: ChangeOp;
  /** The replica's MySQL name. */
  readonly table: string;
  /** The commit LSN of the transaction. */
  readonly lsn: Lsn;
  /** The change's place within its transaction (0, 1, …). */
  readonly seq: number;
  /** Commit time, ISO 8601 UTC with microseconds. */
  readonly committedAt: string;
  /** Key values by the replica's column names, in key order. */
  readonly key: Readonly<Record<string, string>>;
  /** The row after an insert or update (replica form, by the replica's column names); absent for a delete. */
  readonly after?: Readonly<Record<string, string | null>>;
}

export function comparePositions(a: SourcePosition, b: SourcePosition): number {
  return a.lsn < b.lsn ? -1 : a.lsn > b.lsn ? 1 : a.seq - b.seq;
}

/** The Kafka record of a change: its key (the primary key as JSON) and its value. */
export function encodeChange(change: Change): { readonly key: string; readonly value: string } {
  // Written by hand (field order fixed) rather than through one object: this runs per change.
  if (change.lsn !== lastLsn) {
    lastLsn = change.lsn;
    lastLsnText = JSON.stringify(formatLsn(change.lsn));
  }
  const key = JSON.stringify(change.key);
  const value =
    `{"epoch":${JSON.stringify(change.epoch)},"op":"${change.op}","table":${tableText(change.table)},` +
    `"lsn":${lastLsnText},"seq":${change.seq},"committed_at":${JSON.stringify(change.committedAt)},"key":${key}` +
    (change.after === undefined ? '}' : `,"after":${JSON.stringify(change.after)}}`);
  return { key, value };
}
let lastLsn: Lsn | undefined;
let lastLsnText = '';
let lastTable = '';
let lastTableText = '""';
const tableText = (table: string): string => {
  if (table !== lastTable) {
    lastTable = table;
    lastTableText = JSON.stringify(table);
  }
  return lastTableText;
};

const isStringRecord = (v: unknown, nulls: boolean): v is Record<string, string | null> =>
  typeof v === 'object' &&
  v !== null &&
  !Array.isArray(v) &&
  Object.values(v).every((x) => typeof x === 'string' || (nulls && x === null));

/** Reads a record written by `encodeChange`; undefined when it is not one. */
export function decodeChange(value: Buffer | Uint8Array | null): Change | undefined {
  if (value === null) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null) return undefined;
  const o = v as Record<string, unknown>;
  const { epoch, op, table, lsn, seq, committed_at: committedAt, key, after } = o;
  if (
    typeof epoch !== 'string' ||
    (op !== 'insert' && op !== 'update' && op !== 'delete') ||
    typeof table !== 'string' ||
    table === '' ||
    typeof lsn !== 'string' ||
    typeof seq !== 'number' ||
    !Number.isSafeInteger(seq) ||
    typeof committedAt !== 'string' ||
    !isStringRecord(key, false) ||
    (after !== undefined && !isStringRecord(after, true)) ||
    (op !== 'delete' && after === undefined)
  ) {
    return undefined;
  }
  let position: Lsn;
  try {
    position = parseLsn(lsn);
  } catch {
    return undefined;
  }
  return {
    epoch,
    op,
    table,
    lsn: position,
    seq,
    committedAt,
    key: key as Record<string, string>,
    ...(after === undefined ? {} : { after }),
  };
}

/**
 * A value as pgoutput printed it → what the replica stores, by the column's codec: the same
 * definition the batch copy and the snapshot use. Bytes travel as hex (the record is JSON), and
 * apply binds them as UNHEX(?) (CapturedColumn.hex).
 */
export function replicaText(col: ReplicaColumn, text: string): string {
  const value = col.codec.fromPgText(text);
  return typeof value === 'string' ? value : value.toString('hex');
}

/** Decodes the tuples of one relation into row images, in the replica's form. */
export class RelationMapper {
  /** For each spec column, its index in the decoded tuple. */
  private readonly indexes: readonly number[];
  /** The key's replica column names. */
  private readonly keyNames: readonly string[];

  constructor(
    readonly spec: ReplicaSpec,
    columns: readonly RelationColumn[],
  ) {
    this.indexes = spec.columns.map((c) => columns.findIndex((r) => r.name === c.name));
    this.keyNames = spec.primaryKey.map((k) => spec.columns.find((c) => c.name === k)?.target ?? k);
  }

  /** The row's columns that were sent (unchanged TOASTed values left out), by replica name. */
  row(tuple: readonly TupleValue[]): Record<string, string | null> {
    const row: Record<string, string | null> = {};
    this.spec.columns.forEach((col, i) => {
      const v = tuple[this.indexes[i] ?? -1];
      if (v === UNCHANGED || v === undefined) return;
      row[col.target] = v === null ? null : (col.transform?.js ?? identity)(replicaText(col, v));
    });
    return row;
  }

  /** The primary key of a row image (from a full row, or from the old key tuple). */
  key(tuple: readonly TupleValue[]): Record<string, string> {
    return this.keyOf(this.row(tuple));
  }

  /** The primary key of a row already mapped. */
  keyOf(row: Readonly<Record<string, string | null>>): Record<string, string> {
    const key: Record<string, string> = {};
    for (const k of this.keyNames) {
      const v = row[k];
      if (typeof v !== 'string') throw new DataCheckError(`${this.spec.table}: a change without its key ${k}`);
      key[k] = v;
    }
    return key;
  }
}

const identity = (v: string): string => v;

export const sameKey = (a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean =>
  Object.keys(a).every((k) => a[k] === b[k]);
