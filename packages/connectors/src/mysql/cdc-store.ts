/**
 * What `etl cdc` keeps in MySQL beside the replicas (migration 3), and the apply of one
 * partition's batch: its changes, collapsed to the last image of each row, and the
 * partition's next offset and last applied position, in one transaction.
 */
import {
  comparePositions,
  DataCheckError,
  type AppliedBatch,
  type CapturedTable,
  type CdcPartitionState,
  type CdcState,
  type CdcStore,
  type CdcTableState,
  type Change,
  type DatabaseEndpoint,
  type Lsn,
  type SourcePosition,
} from '@etl/core';
import type mysql from 'mysql2/promise';
import { quoteMysqlIdent as q, withMysql, type MysqlConnectOptions } from './client.js';
import { migrateMysql } from './schema-target.js';

type Rows = mysql.RowDataPacket[];

/** Rows per statement: under max_allowed_packet for the widest rows (kafka_events). */
const ROWS_PER_STATEMENT = 500;

/**
 * etl_cdc_tables.snapshot_lsn of a table whose new snapshot (etl cdc resnapshot) has not
 * finished: no change is after it, so apply drops every record of the table until it is done.
 */
const PENDING_LSN = 18446744073709551615n;

export class MysqlCdcStore implements CdcStore {
  readonly endpoint: string;

  /** `options.session`: how each connection is opened (read-only with a timeout for the page). */
  constructor(
    private readonly db: DatabaseEndpoint,
    private readonly options: { readonly session?: MysqlConnectOptions } = {},
  ) {
    this.endpoint = db.display;
  }

  private session<T>(work: (c: mysql.Connection) => Promise<T>): Promise<T> {
    return withMysql(this.db, work, this.options.session);
  }

  async prepare(): Promise<void> {
    await migrateMysql(this.db);
  }

  async state(): Promise<CdcState | undefined> {
    return this.session(async (c) => {
      const [rows] = await c.query<Rows>('SELECT * FROM etl_cdc_state WHERE id = 1');
      const r = rows[0];
      if (r === undefined) return undefined;
      const [captured] = await c.query<Rows>('SELECT captured FROM etl_cdc_captured ORDER BY position');
      if (captured.length === 0) {
        throw new DataCheckError(
          `the capture running since ${String(r['created_at'])} was recorded by an earlier etl, without its tables' ` +
            'descriptions',
          { hint: 'Run etl cdc reset --yes, then etl cdc capture to start again from a fresh snapshot.' },
        );
      }
      return {
        epoch: String(r['epoch']),
        slot: String(r['slot_name']),
        publication: String(r['publication']),
        topicPrefix: String(r['topic_prefix']),
        tables: captured.map((t) => JSON.parse(String(t['captured'])) as CapturedTable),
        partitions: Number(r['partitions']),
        createdAt: String(r['created_at']),
      };
    });
  }

  async start(state: CdcState): Promise<void> {
    await this.session(async (c) => {
      await c.query('START TRANSACTION');
      // tables_list and masked are what an earlier etl read; the tables are in etl_cdc_captured.
      await c.query(
        `REPLACE INTO etl_cdc_state (id, epoch, slot_name, publication, topic_prefix, tables_list, partitions, masked,
           created_at) VALUES (1, ?, ?, ?, ?, '', ?, '', ?)`,
        [state.epoch, state.slot, state.publication, state.topicPrefix, state.partitions, state.createdAt],
      );
      await c.query('DELETE FROM etl_cdc_tables');
      await c.query('DELETE FROM etl_cdc_captured');
      for (let i = 0; i < state.tables.length; i += ROWS_PER_STATEMENT) {
        const batch = state.tables.slice(i, i + ROWS_PER_STATEMENT);
        await c.query(
          'INSERT INTO etl_cdc_captured (table_name, position, topic, captured) VALUES ' +
            batch.map(() => '(?, ?, ?, ?)').join(', '),
          batch.flatMap((t, j) => [t.table, i + j, t.topic, JSON.stringify(t)]),
        );
      }
      await c.query('COMMIT');
    });
  }

  async tables(): Promise<CdcTableState[]> {
    return this.session(async (c) => {
      const [rows] = await c.query<Rows>(
        `SELECT table_name, epoch, CAST(snapshot_lsn AS CHAR) AS lsn,
                DATE_FORMAT(snapshot_at, '%Y-%m-%d %H:%i:%s.%f') AS at FROM etl_cdc_tables ORDER BY table_name`,
      );
      return rows.map((r) => ({
        table: String(r['table_name']),
        epoch: String(r['epoch']),
        pending: BigInt(String(r['lsn'])) === PENDING_LSN,
        snapshotLsn: BigInt(String(r['lsn'])),
        snapshotAt: String(r['at']),
      }));
    });
  }

  async snapshotDone(table: string, epoch: string, lsn: Lsn): Promise<void> {
    await this.session((c) =>
      c.query('REPLACE INTO etl_cdc_tables (table_name, epoch, snapshot_lsn) VALUES (?, ?, ?)', [
        table,
        epoch,
        lsn.toString(),
      ]),
    );
  }

  async recordTable(table: CapturedTable): Promise<void> {
    await this.session((c) => recordCaptured(c, table));
  }

  async resnapshotPending(table: CapturedTable, epoch: string): Promise<void> {
    await this.session(async (c) => {
      await c.query('START TRANSACTION');
      try {
        await recordCaptured(c, table);
        // Waits for an apply transaction that holds the table's row; later ones drop its records.
        await c.query('REPLACE INTO etl_cdc_tables (table_name, epoch, snapshot_lsn) VALUES (?, ?, ?)', [
          table.table,
          epoch,
          PENDING_LSN.toString(),
        ]);
        await c.query('COMMIT');
      } catch (error) {
        await c.query('ROLLBACK').catch(() => {});
        throw error;
      }
    });
  }

  async partitions(): Promise<CdcPartitionState[]> {
    return this.session(async (c) => {
      const [rows] = await c.query<Rows>(
        `SELECT topic, part, next_offset, epoch, CAST(lsn AS CHAR) AS lsn, seq, committed_at,
                DATE_FORMAT(applied_at, '%Y-%m-%d %H:%i:%s.%f') AS applied_at
           FROM etl_cdc_offsets ORDER BY topic, part`,
      );
      return rows.map((r) => ({
        topic: String(r['topic']),
        partition: Number(r['part']),
        nextOffset: String(r['next_offset']),
        epoch: r['epoch'] === null ? null : String(r['epoch']),
        position: r['lsn'] === null ? null : { lsn: BigInt(String(r['lsn'])), seq: Number(r['seq']) },
        committedAt: r['committed_at'] === null ? null : String(r['committed_at']),
        appliedAt: r['applied_at'] === null ? null : String(r['applied_at']),
      }));
    });
  }

  async apply(
    topic: string,
    partition: number,
    records: readonly { readonly offset: string; readonly change: Change }[],
    nextOffset: string,
    tables: ReadonlyMap<string, CapturedTable>,
  ): Promise<AppliedBatch> {
    return this.session(async (c) => {
      await c.query('START TRANSACTION');
      try {
        // A reset waits for this transaction, and this one sees the epoch of the capture that runs.
        const [st] = await c.query<Rows>('SELECT epoch FROM etl_cdc_state WHERE id = 1 LOCK IN SHARE MODE');
        const epoch = st[0] === undefined ? null : String(st[0]['epoch']);
        await c.query('INSERT IGNORE INTO etl_cdc_offsets (topic, part, next_offset) VALUES (?, ?, 0)', [
          topic,
          partition,
        ]);
        const [rows] = await c.query<Rows>(
          `SELECT next_offset, epoch, CAST(lsn AS CHAR) AS lsn, seq FROM etl_cdc_offsets
            WHERE topic = ? AND part = ? FOR UPDATE`,
          [topic, partition],
        );
        const stored = rows[0];
        const from = BigInt(String(stored?.['next_offset'] ?? '0'));
        // Another member took this partition and went further: this batch is stale.
        if (BigInt(nextOffset) <= from) {
          await c.query('ROLLBACK');
          return { applied: 0, skipped: records.length };
        }
        let position: SourcePosition | null =
          stored?.['lsn'] != null && stored['epoch'] === epoch
            ? { lsn: BigInt(String(stored['lsn'])), seq: Number(stored['seq']) }
            : null;
        let committedAt: string | null = null;
        const snapshots = await snapshotPositions(c, records);
        const fresh: Change[] = [];
        for (const { offset, change } of records) {
          if (BigInt(offset) < from || change.epoch !== epoch) continue;
          // In a later snapshot of the table (etl cdc resnapshot), or in one still loading.
          if (change.lsn < (snapshots.get(change.table) ?? 0n)) continue;
          if (position !== null && comparePositions(change, position) <= 0) continue;
          fresh.push(change);
          position = { lsn: change.lsn, seq: change.seq };
          committedAt = change.committedAt;
        }
        await applyChanges(c, fresh, tables);
        await c.query(
          `UPDATE etl_cdc_offsets SET next_offset = ?, epoch = COALESCE(?, epoch), lsn = COALESCE(?, lsn),
             seq = COALESCE(?, seq), committed_at = COALESCE(?, committed_at), applied_at = CURRENT_TIMESTAMP(6)
           WHERE topic = ? AND part = ?`,
          [
            nextOffset,
            fresh.length > 0 ? epoch : null,
            fresh.length > 0 && position !== null ? position.lsn.toString() : null,
            fresh.length > 0 && position !== null ? position.seq : null,
            committedAt,
            topic,
            partition,
          ],
        );
        await c.query('COMMIT');
        return { applied: fresh.length, skipped: records.length - fresh.length };
      } catch (error) {
        await c.query('ROLLBACK').catch(() => {});
        throw error;
      }
    });
  }

  async clear(): Promise<void> {
    await this.session(async (c) => {
      await c.query('START TRANSACTION');
      await c.query('DELETE FROM etl_cdc_state');
      await c.query('DELETE FROM etl_cdc_tables');
      await c.query('DELETE FROM etl_cdc_captured');
      await c.query('UPDATE etl_cdc_offsets SET epoch = NULL, lsn = NULL, seq = NULL, committed_at = NULL');
      await c.query('COMMIT');
    });
  }
}

/** Writes a captured table's description, keeping its place in the list. */
async function recordCaptured(c: mysql.Connection, table: CapturedTable): Promise<void> {
  const [found] = await c.query<Rows>('SELECT 1 FROM etl_cdc_captured WHERE table_name = ?', [table.table]);
  if (found.length === 0) {
    throw new DataCheckError(`${table.table} is not among the tables etl cdc captures`, {
      hint: 'Run etl cdc status to see them.',
    });
  }
  await c.query('UPDATE etl_cdc_captured SET captured = ?, topic = ? WHERE table_name = ?', [
    JSON.stringify(table),
    table.topic,
    table.table,
  ]);
}

/**
 * The snapshot positions of the tables a batch touches, read under a shared lock so a table
 * marked for a new snapshot waits for this batch, and the batches after it see the mark.
 */
async function snapshotPositions(
  c: mysql.Connection,
  records: readonly { readonly change: Change }[],
): Promise<Map<string, Lsn>> {
  const names = [...new Set(records.map((r) => r.change.table))];
  if (names.length === 0) return new Map();
  const [rows] = await c.query<Rows>(
    `SELECT table_name, CAST(snapshot_lsn AS CHAR) AS lsn FROM etl_cdc_tables WHERE table_name IN (?)
      LOCK IN SHARE MODE`,
    [names],
  );
  return new Map(rows.map((r) => [String(r['table_name']), BigInt(String(r['lsn']))]));
}

/** A row's last image in a batch: the row to upsert, or null for a delete. */
export interface LastImage {
  readonly key: Readonly<Record<string, string>>;
  readonly row: Readonly<Record<string, string | null>> | null;
}

/** The last image of each row a batch touches, per table. */
export function collapse(changes: readonly Change[]): Map<string, Map<string, LastImage>> {
  const byTable = new Map<string, Map<string, LastImage>>();
  for (const ch of changes) {
    const rows = byTable.get(ch.table) ?? new Map<string, LastImage>();
    byTable.set(ch.table, rows);
    const id = JSON.stringify(Object.values(ch.key));
    if (ch.op === 'delete') {
      rows.set(id, { key: ch.key, row: null });
    } else {
      // An update may leave out unchanged TOASTed columns: keep what an earlier image had.
      const before = ch.op === 'update' ? (rows.get(id)?.row ?? {}) : {};
      rows.set(id, { key: ch.key, row: { ...before, ...ch.after } });
    }
  }
  return byTable;
}

/** The collapsed changes as plain statements, on the caller's connection and transaction. */
export async function applyChanges(
  c: mysql.Connection,
  changes: readonly Change[],
  tables: ReadonlyMap<string, CapturedTable>,
): Promise<void> {
  for (const [table, rows] of collapse(changes)) {
    const captured = tables.get(table);
    if (captured === undefined) {
      throw new DataCheckError(`a change record names table ${table}, which this capture does not carry`, {
        hint: 'Only etl cdc capture should write to its topics; remove the record or reset the capture.',
      });
    }
    const hex = new Set(captured.columns.filter((col) => col.hex).map((col) => col.name));
    const bind = (column: string): string => (hex.has(column) ? 'UNHEX(?)' : '?');
    const keyColumns = captured.key;
    const deletes = [...rows.values()].filter((r) => r.row === null);
    for (let i = 0; i < deletes.length; i += ROWS_PER_STATEMENT) {
      const batch = deletes.slice(i, i + ROWS_PER_STATEMENT);
      const tuple = `(${keyColumns.map(bind).join(', ')})`;
      await c.query(
        `DELETE FROM ${q(table)} WHERE (${keyColumns.map(q).join(', ')}) IN (${batch.map(() => tuple).join(', ')})`,
        batch.flatMap((r) => keyColumns.map((k) => r.key[k])),
      );
    }
    // Upserts, grouped by the columns they carry (an update may leave some out).
    const groups = new Map<string, Readonly<Record<string, string | null>>[]>();
    for (const { row } of rows.values()) {
      if (row === null) continue;
      const columns = captured.columns.map((col) => col.name).filter((name) => name in row);
      const id = JSON.stringify(columns);
      const group = groups.get(id) ?? [];
      group.push(row);
      groups.set(id, group);
    }
    for (const [id, group] of groups) {
      const columns = JSON.parse(id) as string[];
      const updates = columns.filter((col) => !keyColumns.includes(col));
      const tuple = `(${columns.map(bind).join(', ')})`;
      for (let i = 0; i < group.length; i += ROWS_PER_STATEMENT) {
        const batch = group.slice(i, i + ROWS_PER_STATEMENT);
        await c.query(
          `INSERT INTO ${q(table)} (${columns.map(q).join(', ')}) VALUES ${batch.map(() => tuple).join(', ')}` +
            (updates.length === 0
              ? ` ON DUPLICATE KEY UPDATE ${q(columns[0] ?? '')} = ${q(columns[0] ?? '')}`
              : ` ON DUPLICATE KEY UPDATE ${updates.map((col) => `${q(col)} = VALUES(${q(col)})`).join(', ')}`),
          batch.flatMap((row) => columns.map((col) => row[col] ?? null)),
        );
      }
    }
  }
}
