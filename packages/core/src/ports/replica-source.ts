/** `etl replicate`: the source tables, read in one snapshot. Implemented by PostgresReplicaSource. */

import type { ReplicaSpec } from '../replicate/spec.js';
import type { SourceCatalog } from './source-catalog.js';
import type { PgCopyBytes } from './wire-formats.js';

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
  ): Promise<T>;
  count(spec: ReplicaSpec): Promise<number>;
  keyRangeCounts(spec: ReplicaSpec): Promise<Map<string, number>>;
  keysIn(spec: ReplicaSpec, keyRange: string): Promise<Set<string>>;
}
