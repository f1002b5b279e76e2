/**
 * `etl cdc`: PostgreSQL's logical decoding (a publication, a replication slot, the
 * replication stream). Implemented by PostgresChangeLog.
 */
import type { Lsn } from '../cdc/pgoutput.js';
import type { QualifiedName } from '../catalog/source-table.js';

export interface SlotInfo {
  readonly name: string;
  /** A process is streaming from it now. */
  readonly active: boolean;
  readonly confirmedLsn: Lsn | null;
  /** reserved, extended, unreserved, or lost (the server removed WAL the slot needed). */
  readonly walStatus: string | null;
  /** Bytes of WAL the server keeps for this slot. */
  readonly retainedBytes: number;
}

/** A snapshot exported by a new slot: usable by other sessions until released. */
export interface ExportedSnapshot {
  /** The slot's consistent point: transactions that commit before it are in the snapshot. */
  readonly lsn: Lsn;
  readonly name: string;
  release(): Promise<void>;
}

/** The CopyBoth stream of START_REPLICATION: frames in, standby status updates out. */
export interface ReplicationStream extends AsyncIterable<Buffer> {
  send(frame: Buffer): void;
  close(): Promise<void>;
}

export interface ChangeLog {
  readonly endpoint: string;
  /** wal_level, the REPLICATION attribute, ownership of the tables: exit 2 with the fix when one is missing. */
  preflight(tables: readonly QualifiedName[]): Promise<void>;
  currentLsn(): Promise<Lsn>;
  /**
   * Of these columns of a table, those whose rows already there may hold a value no change
   * carried: a default or a missing value (ADD COLUMN … DEFAULT), generated, or an identity.
   */
  valuedColumns(table: QualifiedName, columns: readonly string[]): Promise<string[]>;
  slot(name: string): Promise<SlotInfo | undefined>;
  /**
   * Creates the publication, or sets its tables to these; partitioned tables publish their
   * changes as their parent's (publish_via_partition_root).
   */
  ensurePublication(name: string, tables: readonly QualifiedName[]): Promise<void>;
  /** A persistent pgoutput slot and the snapshot it exported. */
  createSlot(name: string): Promise<ExportedSnapshot>;
  /** A temporary slot's exported snapshot (for tables loaded again after a kill). */
  temporarySnapshot(): Promise<ExportedSnapshot>;
  /** A non-transactional logical message; returns its LSN. */
  emitMarker(prefix: string, content: string): Promise<Lsn>;
  stream(slot: string, publication: string): Promise<ReplicationStream>;
  /**
   * The slot's pgoutput messages of the transactions that commit after its confirmed position
   * and before `upTo`, without consuming them (pg_logical_slot_peek_binary_changes); the slot
   * must not be streaming. Values come as the export's text forms (codec.ts).
   */
  peek(slot: string, publication: string, upTo: Lsn): AsyncIterable<Buffer>;
  /** Drops the slot if it exists; true when it did. */
  dropSlot(name: string): Promise<boolean>;
  dropPublication(name: string): Promise<void>;
}
