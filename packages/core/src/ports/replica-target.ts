/** `etl replicate` and `etl verify`: the MySQL replicas and their recorded state. Implemented by MysqlReplicaTarget. */

import type { ReplicaSpec } from '../replicate/spec.js';
import type { KeyBound } from './replica-source.js';
import type { LoadDataText } from './wire-formats.js';

export type ReplicateMode = 'full' | 'incremental';

export interface ReplicaState {
  readonly table: string;
  readonly mode: ReplicateMode;
  /** UTC 'YYYY-MM-DD HH:MM:SS.ffffff': the next incremental run reads rows updated at or after it. */
  readonly watermark: string;
  readonly masked: readonly string[];
  /** Rows copied by the run that wrote this state. */
  readonly rows: number;
  /** Rows the target table holds, kept up to date by every load and delete (no COUNT(*) needed). */
  readonly targetRows: number;
}

/** What a run knows when it saves its state; the target adds the row count it keeps. */
export type ReplicaStateUpdate = Omit<ReplicaState, 'targetRows'>;

/** A full copy going by key chunks, as the target records it while its stage fills. */
export interface ChunkedCopy {
  /** Where the chunks end: chunk i holds the keys after bound i-1 up to bound i; n bounds, n+1 chunks. */
  readonly bounds: readonly KeyBound[];
  /** The watermark of the copy's first attempt: every change its chunks may have missed is stamped after it. */
  readonly watermark: string;
  /** Rows of each chunk already in the stage, by chunk number. */
  readonly done: ReadonlyMap<number, number>;
  /** A cdc snapshot's: the WAL position of its first attempt's snapshot (a batch copy has none). */
  readonly lsn?: string;
}

export interface ReplicaTarget {
  readonly endpoint: string;
  prepare(): Promise<void>;
  state(table: string): Promise<ReplicaState | undefined>;
  /** The tables `etl cdc` keeps current in these replicas (its capture's slot), if it was set up. */
  cdcTables(): Promise<{ readonly slot: string; readonly tables: readonly string[] } | undefined>;
  /**
   * Loads the rows (LOAD DATA text) into a stage table and swaps it in; saves the state after. Returns the table's
   * rows.
   */
  replace(spec: ReplicaSpec, rows: AsyncIterable<LoadDataText>, state: () => ReplicaStateUpdate): Promise<number>;
  /**
   * The chunked copy of this table a killed run left, when its stage is still there and made
   * from the same description and masks; any other is dropped, stage and record.
   */
  resumableCopy(spec: ReplicaSpec): Promise<ChunkedCopy | undefined>;
  /** Starts a chunked copy: an empty stage and its record (replacing any earlier one). */
  startCopy(spec: ReplicaSpec, copy: Omit<ChunkedCopy, 'done'>): Promise<void>;
  /** Loads one chunk's rows into the stage and records the chunk done, in one transaction. Returns its rows. */
  loadChunk(spec: ReplicaSpec, chunk: number, rows: AsyncIterable<LoadDataText>, sent: () => number): Promise<number>;
  /**
   * Builds the stage's indexes, swaps it in, saves the state and forgets the copy's record.
   * Returns the table's rows.
   */
  finishCopy(spec: ReplicaSpec, state: () => ReplicaStateUpdate): Promise<number>;
  /** Upserts the rows and saves the state in one transaction. Returns the table's rows. */
  upsert(spec: ReplicaSpec, rows: AsyncIterable<LoadDataText>, state: () => ReplicaStateUpdate): Promise<number>;
  /**
   * How the live replica's columns differ from what the spec would create (names, types,
   * nullability, key); empty when they agree or there is no replica yet. A difference makes
   * the next copy a full one.
   */
  drift(spec: ReplicaSpec): Promise<string[]>;
  /**
   * Adds these columns of the spec (PostgreSQL names) to the live replica as NULL-able columns,
   * those it lacks: re-runnable after a kill. For columns etl cdc saw appear in PostgreSQL.
   */
  addColumns(spec: ReplicaSpec, columns: readonly string[]): Promise<void>;
  keyRangeCounts(spec: ReplicaSpec): Promise<Map<string, number>>;
  /** The keys of the rows in these key ranges, read together (one scan for a hash's ranges). */
  keysIn(spec: ReplicaSpec, keyRanges: readonly string[]): Promise<Set<string>>;
  /** Deletes the rows with these keys and lowers the kept row count in the same transaction. */
  deleteKeys(spec: ReplicaSpec, keys: readonly string[]): Promise<number>;
  /** A one-line notice when the fast path is not available (for example local_infile off). */
  readonly notices: readonly string[];
}
