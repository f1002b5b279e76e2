/** `etl seed`: where seeded rows go. Implemented by PostgresSeedStore. */

import type { TableName } from '../schema/tables.js';
import type { SeedTable } from '../seed/rows.js';
import type { PgCopyBinary, PgCopyText } from './wire-formats.js';

/** An inclusive range of ids. */
export interface IdRange {
  readonly from: number;
  readonly to: number;
}

export interface LoadPart {
  readonly table: TableName;
  readonly columns: readonly string[];
  /** COPY text (or binary tuples when `format` is 'binary'), produced while the database consumes it. */
  readonly chunks: Iterable<PgCopyText | PgCopyBinary>;
  /** 'text' unless said otherwise. */
  readonly format?: 'text' | 'binary';
  /**
   * Columns whose values the rows arrive in ascending order of, each on its own. A bulk load
   * checks a foreign key between two such columns by merging them in that order: the planner,
   * with no statistics on tables filled in the same transaction, would hash the referenced one.
   */
  readonly ascending?: readonly string[];
}

/** Where seeded rows go. connectors implements it for PostgreSQL. */
export interface SeedStore {
  readonly endpoint: string;
  /** Brings the schema up to date (what `etl init` does for PostgreSQL). */
  prepare(): Promise<void>;
  /** Empties the seeded tables. */
  reset(): Promise<void>;
  /** Ids in 1…upTo that the table does not hold, as ranges in ascending order. */
  missing(table: SeedTable, upTo: number): Promise<IdRange[]>;
  count(table: SeedTable): Promise<number>;
  /** Loads every part in one transaction: all of it is stored, or none. May be called concurrently. */
  load(parts: readonly LoadPart[]): Promise<void>;
  /**
   * Loads every part, in the order given (a part's rows may be set aside while an earlier part
   * is generated), into tables that are empty, in one transaction, deferring what the rows do
   * not need while they arrive (secondary indexes, unique and foreign-key constraints, per-row
   * triggers) and building it once they are in, as pg_restore does. A kill leaves the tables
   * empty. Returns false, changing nothing, when one of the tables is not empty any more.
   */
  loadIntoEmpty(tables: readonly SeedTable[], parts: readonly LoadPart[]): Promise<boolean>;
}

/**
 * Bytes written once, in order, then read back once: a bulk load sets one table's rows aside
 * there while the database takes another's. A temporary file in connectors (memory would grow
 * with the rows); nothing of it outlives close(), or the process.
 */
export interface Spool {
  write(bytes: Buffer): void;
  /** Everything written, in order, in chunks. Once only, after the last write. */
  read(): Iterable<Buffer>;
  close(): void;
}
