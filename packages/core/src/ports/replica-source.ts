/** `etl replicate`: the source tables, read in one snapshot. Implemented by PostgresReplicaSource. */

import type { ReplicaSpec } from '../replicate/spec.js';
import type { SourceCatalog } from './source-catalog.js';
import type { PgCopyBytes } from './wire-formats.js';

/** One key's values as PostgreSQL's text, in the key's column order: where one chunk of a table ends. */
export type KeyBound = readonly string[];

/**
 * The rows of a chunk: keys after `after` (exclusive) up to `upTo` (inclusive), in PostgreSQL's
 * own order of the key (its index's); null leaves that end open.
 */
export interface KeySpan {
  readonly after: KeyBound | null;
  readonly upTo: KeyBound | null;
}

/** The rows of exactly these keys (at most a few thousand at once). */
export interface KeyList {
  readonly keys: readonly KeyBound[];
}

/** A snapshot held open for reads in other sessions, with the watermark taken just before it. */
export interface SharedSnapshot {
  readonly name: string;
  readonly watermark: string;
}

/** Rows of one table read from the source, as COPY text, with the watermark for next time. */
export interface ReplicaSource extends SourceCatalog {
  readonly endpoint: string;
  /**
   * Reads in one consistent snapshot. The watermark (handed over before the rows) is the
   * start of the oldest transaction still open when the snapshot was taken: every change
   * this snapshot cannot see is stamped at or after it.
   */
  read<T>(
    spec: ReplicaSpec,
    since: string | null,
    consume: (chunks: AsyncIterable<PgCopyBytes>, watermark: string) => Promise<T>,
    /** Read in this exported snapshot (a replication slot's) instead of a new one. */
    snapshot?: string,
    /** Only the rows of this chunk of the key, or of these keys. */
    span?: KeySpan | KeyList,
  ): Promise<T>;
  /**
   * Where to cut the table into chunks of about `rows` rows, from the planner's estimate and a
   * sample of its keys: ascending and distinct; none for a table smaller than that or without a key.
   */
  chunkBounds(spec: ReplicaSpec, rows: number): Promise<KeyBound[]>;
  /**
   * Holds one snapshot open while `work` reads in it from other sessions (the chunks of one
   * copy); with `exported`, one already held elsewhere (a replication slot's) is shared instead.
   */
  shareSnapshot<T>(work: (snapshot: SharedSnapshot) => Promise<T>, exported?: string): Promise<T>;
  count(spec: ReplicaSpec): Promise<number>;
  keyRangeCounts(spec: ReplicaSpec): Promise<Map<string, number>>;
  /** The keys of the rows in these key ranges, read together (one scan for a hash's ranges). */
  keysIn(spec: ReplicaSpec, keyRanges: readonly string[]): Promise<Set<string>>;
  /**
   * Of these keys (PostgreSQL's text of each key column), those no row has in the exported
   * snapshot, in the comparison form keysIn gives and the target's deleteKeys takes.
   */
  keysAbsent(spec: ReplicaSpec, keys: readonly KeyBound[], snapshot: string): Promise<string[]>;
}
