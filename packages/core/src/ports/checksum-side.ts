/**
 * `etl verify`: one side of the comparison, checksums computed inside the database. Implemented by
 * PostgresReplicaSource and MysqlReplicaTarget.
 */

import type { ReplicaSpec } from '../replicate/spec.js';
import type { ReplicaTarget } from './replica-target.js';

export interface KeyRangeSum {
  readonly count: number;
  readonly sum: string;
}

/** One side of the comparison; connectors implements it for PostgreSQL and MySQL. */
export interface ChecksumSide {
  readonly endpoint: string;
  count(spec: ReplicaSpec): Promise<number>;
  keyRangeSums(spec: ReplicaSpec): Promise<Map<string, KeyRangeSum>>;
  rowHashes(spec: ReplicaSpec, keyRange: string): Promise<Map<string, string>>;
}

/** The replica side also knows which columns each replica masks (they compare after the same hash). */
export type ReplicaChecksumSide = ChecksumSide & Pick<ReplicaTarget, 'prepare' | 'state'>;
