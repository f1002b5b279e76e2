/**
 * `etl cdc`: what change data capture keeps in MySQL beside the replicas, written in the
 * same transactions as the rows. Implemented by MysqlCdcStore.
 */
import type { Change, SourcePosition } from '../cdc/change.js';
import type { Lsn } from '../cdc/pgoutput.js';
import type { CapturedTable } from '../cdc/captured.js';

export interface CdcState {
  /** Changes on every new start after a reset: records of another epoch are dropped. */
  readonly epoch: string;
  readonly slot: string;
  readonly publication: string;
  readonly topicPrefix: string;
  /** The captured tables, as recorded when the capture started (apply and status read them). */
  readonly tables: readonly CapturedTable[];
  readonly partitions: number;
  readonly createdAt: string;
}

export interface CdcTableState {
  /** The replica's MySQL name. */
  readonly table: string;
  readonly epoch: string;
  /** Marked for a new snapshot (etl cdc resnapshot) that has not finished. */
  readonly pending: boolean;
  /** Changes committed before it are in the table's snapshot. */
  readonly snapshotLsn: Lsn;
  readonly snapshotAt: string;
}

export interface CdcPartitionState {
  readonly topic: string;
  readonly partition: number;
  /** The next Kafka offset to apply. */
  readonly nextOffset: string;
  readonly epoch: string | null;
  readonly position: SourcePosition | null;
  readonly committedAt: string | null;
  readonly appliedAt: string | null;
}

export interface AppliedBatch {
  readonly applied: number;
  /** Records dropped: already applied (a replay, a duplicate from capture) or of another epoch. */
  readonly skipped: number;
}

export interface CdcStore {
  readonly endpoint: string;
  prepare(): Promise<void>;
  state(): Promise<CdcState | undefined>;
  /** Records a new capture (and forgets every table's snapshot). */
  start(state: CdcState): Promise<void>;
  tables(): Promise<CdcTableState[]>;
  snapshotDone(table: string, epoch: string, lsn: Lsn): Promise<void>;
  /** Records a captured table's new description (columns the capture added to the replica). */
  recordTable(table: CapturedTable): Promise<void>;
  /**
   * Records a table's new description and marks its snapshot pending, in one transaction: until
   * the next snapshotDone, apply drops every record of that table (the snapshot will hold them).
   */
  resnapshotPending(table: CapturedTable, epoch: string): Promise<void>;
  partitions(): Promise<CdcPartitionState[]>;
  /**
   * One transaction: the changes of one partition's batch not applied yet, and the
   * partition's next offset and last applied position, written to the replicas as `tables`
   * (the captured tables by MySQL name) describe them.
   */
  apply(
    topic: string,
    partition: number,
    records: readonly { readonly offset: string; readonly change: Change }[],
    nextOffset: string,
    tables: ReadonlyMap<string, CapturedTable>,
  ): Promise<AppliedBatch>;
  /** Forgets the capture: state, snapshots and positions. */
  clear(): Promise<void>;
}
