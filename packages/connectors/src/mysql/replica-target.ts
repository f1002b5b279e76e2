/**
 * MySQL/MariaDB as the replication target and the other side of verify.
 *
 * Rows arrive as LOAD DATA text and go in through LOAD DATA LOCAL INFILE fed from a stream;
 * where the server refuses local infile, through multi-row INSERTs sized under
 * max_allowed_packet, with a notice saying how to enable the fast path.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import {
  keyRangeBounds,
  DataCheckError,
  decodeCopyField,
  mysqlComparison,
  splitKey,
  workTableName,
  type KeyRangeSum,
  type ChecksumSide,
  type ChunkedCopy,
  type DatabaseEndpoint,
  type ReplicaColumn,
  type ReplicaSpec,
  type ReplicaState,
  type ReplicaStateUpdate,
  type ReplicaTarget,
} from '@etl/core';
import type mysql from 'mysql2/promise';
import { MysqlCdcStore } from './cdc-store.js';
import { connectMysql, quoteMysqlIdent as q, withMysql, type MysqlConnectOptions } from './client.js';
import { mysqlError } from './errors.js';
import { migrateMysql } from './schema-target.js';

type Rows = mysql.RowDataPacket[];

const TABLE_OPTIONS = 'ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin';

const LOAD_OPTIONS = `CHARACTER SET utf8mb4 FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' LINES TERMINATED BY '\\n'`;

export interface MysqlTargetOptions {
  /** Use LOAD DATA LOCAL INFILE when the server allows it (default true). */
  readonly localInfile?: boolean;
  /** How its reads of the state connect (read-only with a statement timeout for the web page). */
  readonly session?: MysqlConnectOptions;
  /** Test seam: runs after a full copy's stage is loaded and before its indexes are built. */
  readonly beforeIndexes?: (table: string) => Promise<void>;
}

/** A replica's recorded state, with when it was last written. */
export interface ReplicationStateView extends ReplicaState {
  readonly replicatedAt: string;
}

const STATE_COLUMNS =
  `table_name, mode, DATE_FORMAT(watermark, '%Y-%m-%d %H:%i:%s.%f') AS watermark, masked, rows_copied, ` +
  `target_rows, DATE_FORMAT(replicated_at, '%Y-%m-%d %H:%i:%s.%f') AS replicated_at`;

function stateOf(row: Record<string, unknown>): ReplicationStateView {
  return {
    table: String(row['table_name']),
    mode: row['mode'] === 'full' ? 'full' : 'incremental',
    watermark: String(row['watermark']),
    masked: String(row['masked'])
      .split(',')
      .filter((m) => m !== ''),
    rows: Number(row['rows_copied']),
    targetRows: Number(row['target_rows']),
    replicatedAt: String(row['replicated_at']),
  };
}

export class MysqlReplicaTarget implements ReplicaTarget, ChecksumSide {
  readonly endpoint: string;
  readonly notices: string[] = [];
  private fastPath = true;
  private insertBytes = 4 * 1024 * 1024;
  /** utf8mb4's binary NO PAD collation: 'a', 'A' and 'a ' stay three values (named differently by each server). */
  private noPadCollation = 'utf8mb4_nopad_bin';
  private prepared = false;

  constructor(
    private readonly db: DatabaseEndpoint,
    private readonly options: MysqlTargetOptions = {},
  ) {
    this.endpoint = db.display;
  }

  async cdcTables(): Promise<{ slot: string; tables: readonly string[] } | undefined> {
    const cdc = await new MysqlCdcStore(this.db).state();
    return cdc === undefined ? undefined : { slot: cdc.slot, tables: cdc.tables.map((t) => t.table) };
  }

  /** Migrates and reads the server's settings once per target (a run's preview and the run itself share it). */
  async prepare(): Promise<void> {
    if (this.prepared) return;
    await migrateMysql(this.db);
    await withMysql(this.db, async (c) => {
      const [rows] = await c.query<Rows>(
        'SELECT @@GLOBAL.local_infile AS li, @@GLOBAL.max_allowed_packet AS map, VERSION() AS v',
      );
      this.noPadCollation = /mariadb/i.test(String(rows[0]?.['v'])) ? 'utf8mb4_nopad_bin' : 'utf8mb4_0900_bin';
      const serverAllows = Number(rows[0]?.['li']) === 1;
      this.insertBytes = Math.max(
        64 * 1024,
        Math.min(16 * 1024 * 1024, Math.floor(Number(rows[0]?.['map'] ?? 4194304) / 2)),
      );
      this.fastPath = serverAllows && this.options.localInfile !== false;
      if (!this.fastPath) {
        this.notices.push(
          'MySQL refuses LOAD DATA LOCAL INFILE, so rows go in as multi-row INSERTs (slower); enable it with SET ' +
            'GLOBAL local_infile = 1 (or --local-infile=1 on the server).',
        );
      }
    });
    this.prepared = true;
  }

  async state(table: string): Promise<ReplicaState | undefined> {
    return (await this.states([table]))[0];
  }

  /** The recorded state of these tables (all replicated tables by default), those that have one. */
  async states(tables?: readonly string[]): Promise<ReplicationStateView[]> {
    return withMysql(
      this.db,
      async (c) => {
        const [rows] = await c.query<Rows>(
          `SELECT ${STATE_COLUMNS} FROM etl_replication_state` +
            (tables === undefined ? ' ORDER BY table_name' : ' WHERE table_name IN (?) ORDER BY table_name'),
          tables === undefined ? [] : [tables],
        );
        return rows.map((row) => stateOf(row));
      },
      this.options.session,
    );
  }

  private async saveState(c: mysql.Connection, state: ReplicaState): Promise<void> {
    await c.query(
      `INSERT INTO etl_replication_state (table_name, mode, watermark, masked, rows_copied, target_rows, replicated_at)
       VALUES (?, ?, ?, ?, ?, ?, CURRENT_TIMESTAMP(6))
       ON DUPLICATE KEY UPDATE mode = VALUES(mode), watermark = VALUES(watermark), masked = VALUES(masked),
         rows_copied = VALUES(rows_copied), target_rows = VALUES(target_rows), replicated_at = VALUES(replicated_at)`,
      [state.table, state.mode, state.watermark, state.masked.join(','), state.rows, state.targetRows],
    );
  }

  async replace(
    spec: ReplicaSpec,
    rows: AsyncIterable<Buffer | string>,
    state: () => ReplicaStateUpdate,
  ): Promise<number> {
    return this.session(async (c) => {
      await this.forgetCopy(c, spec.table);
      await this.createStage(c, spec);
      // A kill from here to the swap leaves the live table untouched and a stage the next run drops.
      const loaded = await this.load(c, workTableName(spec.table, 'stage'), spec, rows, () => state().rows);
      return this.swapIn(c, spec, loaded, state);
    });
  }

  /**
   * An empty stage for a full copy. Leftovers of a run killed midway are dropped; the live table
   * was never touched. The stage is made from the source's description, so a replica made by an
   * older mapping (TEXT where the source holds more) is replaced by the right one.
   */
  private async createStage(c: mysql.Connection, spec: ReplicaSpec): Promise<void> {
    await c.query(`DROP TABLE IF EXISTS ${q(workTableName(spec.table, 'stage'))}`);
    await c.query(`DROP TABLE IF EXISTS ${q(workTableName(spec.table, 'old'))}`);
    await c.query(this.createTableSql(q(workTableName(spec.table, 'stage')), spec));
  }

  /**
   * Builds the loaded stage's secondary indexes and swaps it in with one atomic RENAME, then
   * saves the state. The spec's indexes (one per foreign key of the source) and the live table's
   * secondary indexes on columns that are still there (one a user added, say) are built: as
   * MySQL Shell's loader does, the stage had only its primary key while it filled, and they are
   * built here in one ALTER (a sorted build, not row-by-row inserts).
   */
  private async swapIn(
    c: mysql.Connection,
    spec: ReplicaSpec,
    loaded: number,
    state: () => ReplicaStateUpdate,
  ): Promise<number> {
    const table = q(spec.table);
    const stage = q(workTableName(spec.table, 'stage'));
    const old = q(workTableName(spec.table, 'old'));
    const live = await tableExists(c, spec.table);
    const columns = new Set(spec.columns.map((col) => col.target));
    const kept = live
      ? (await secondaryIndexes(c, spec.table)).filter((i) => i.columns.every((col) => columns.has(col)))
      : [];
    // The spec's own (one per foreign key of the source), unless the live table has it already.
    const same = (a: readonly string[], b: readonly string[]) => a.join('\u0000') === b.join('\u0000');
    const added = spec.indexes
      .filter((i) => !kept.some((k) => k.name === i.name || same(k.columns, i.columns)))
      .map((i) => ({
        name: i.name,
        definition: `KEY ${q(i.name)} (${i.columns.map(q).join(', ')})`,
        columns: i.columns,
      }));
    const secondary = [...kept, ...added];
    await this.options.beforeIndexes?.(spec.table);
    if (secondary.length > 0) {
      await c.query(`ALTER TABLE ${stage} ${secondary.map((i) => `ADD ${i.definition}`).join(', ')}`);
    }
    // One atomic statement: readers see the old table or the new one, never neither.
    if (live) {
      await c.query(`RENAME TABLE ${table} TO ${old}, ${stage} TO ${table}`);
      await c.query(`DROP TABLE ${old}`);
    } else {
      await c.query(`RENAME TABLE ${stage} TO ${table}`);
    }
    await this.saveState(c, { ...state(), targetRows: loaded });
    return loaded;
  }

  /** What a chunked copy's stage is made from: a stage made otherwise is not resumed into. */
  private copyFingerprint(spec: ReplicaSpec): string {
    const made = `${this.createTableSql('stage', spec)}\n${[...spec.masked].sort().join(',')}`;
    return createHash('sha256').update(made).digest('hex');
  }

  private async forgetCopy(c: mysql.Connection, table: string): Promise<void> {
    await c.query('DELETE FROM etl_replication_chunks WHERE table_name = ?', [table]);
    await c.query('DELETE FROM etl_replication_copies WHERE table_name = ?', [table]);
  }

  async resumableCopy(spec: ReplicaSpec): Promise<ChunkedCopy | undefined> {
    await this.prepare();
    return this.session(async (c) => {
      const [copies] = await c.query<Rows>(
        `SELECT fingerprint, DATE_FORMAT(watermark, '%Y-%m-%d %H:%i:%s.%f') AS watermark, bounds, snapshot_lsn
           FROM etl_replication_copies WHERE table_name = ?`,
        [spec.table],
      );
      const copy = copies[0];
      if (
        copy !== undefined &&
        String(copy['fingerprint']) === this.copyFingerprint(spec) &&
        (await tableExists(c, workTableName(spec.table, 'stage')))
      ) {
        const [chunks] = await c.query<Rows>(
          'SELECT chunk, rows_loaded FROM etl_replication_chunks WHERE table_name = ?',
          [spec.table],
        );
        return {
          bounds: JSON.parse(String(copy['bounds'])) as string[][],
          watermark: String(copy['watermark']),
          done: new Map(chunks.map((r) => [Number(r['chunk']), Number(r['rows_loaded'])])),
          ...(copy['snapshot_lsn'] === null ? {} : { lsn: String(copy['snapshot_lsn']) }),
        };
      }
      await this.forgetCopy(c, spec.table);
      return undefined;
    });
  }

  async startCopy(spec: ReplicaSpec, copy: Omit<ChunkedCopy, 'done'>): Promise<void> {
    await this.session(async (c) => {
      await this.forgetCopy(c, spec.table);
      await this.createStage(c, spec);
      await c.query(
        `INSERT INTO etl_replication_copies (table_name, fingerprint, watermark, bounds, snapshot_lsn)
           VALUES (?, ?, ?, ?, ?)`,
        [spec.table, this.copyFingerprint(spec), copy.watermark, JSON.stringify(copy.bounds), copy.lsn ?? null],
      );
    });
  }

  async loadChunk(
    spec: ReplicaSpec,
    chunk: number,
    rows: AsyncIterable<Buffer | string>,
    sent: () => number,
  ): Promise<number> {
    return this.session(async (c) => {
      // The chunk's rows and its record commit together: a kill leaves both or neither.
      await c.query('START TRANSACTION');
      try {
        const loaded = await this.load(c, workTableName(spec.table, 'stage'), spec, rows, sent);
        await c.query('INSERT INTO etl_replication_chunks (table_name, chunk, rows_loaded) VALUES (?, ?, ?)', [
          spec.table,
          chunk,
          loaded,
        ]);
        await c.query('COMMIT');
        return loaded;
      } catch (error) {
        await c.query('ROLLBACK').catch(() => {});
        throw error;
      }
    });
  }

  async finishCopy(spec: ReplicaSpec, state: () => ReplicaStateUpdate): Promise<number> {
    return this.session(async (c) => {
      const [sum] = await c.query<Rows>(
        'SELECT CAST(COALESCE(SUM(rows_loaded), 0) AS CHAR) AS n FROM etl_replication_chunks WHERE table_name = ?',
        [spec.table],
      );
      const loaded = await this.swapIn(c, spec, Number(sum[0]?.['n'] ?? 0), state);
      // After the swap: a kill before this leaves a record whose stage is gone, dropped next run.
      await this.forgetCopy(c, spec.table);
      return loaded;
    });
  }

  /** CREATE TABLE for a replica of this spec: the codecs' types, NO PAD binary text, the key. */
  private createTableSql(name: string, spec: ReplicaSpec): string {
    const columns = spec.columns.map((col) => this.columnSql(spec, col));
    const primary =
      spec.primaryKey.length === 0
        ? []
        : [`PRIMARY KEY (${spec.primaryKey.map((k) => q(targetOf(spec, k))).join(', ')})`];
    return `CREATE TABLE ${name} (${[...columns, ...primary].join(', ')}) ${TABLE_OPTIONS}`;
  }

  /** One column of a replica's CREATE TABLE or ADD COLUMN. */
  private columnSql(spec: ReplicaSpec, col: ReplicaSpec['columns'][number]): string {
    const text = col.codec.textual ? ` CHARACTER SET utf8mb4 COLLATE ${this.noPadCollation}` : '';
    const nullable = col.source.nullable && !spec.primaryKey.includes(col.name) ? 'NULL' : 'NOT NULL';
    return `${q(col.target)} ${col.codec.mysqlType}${text} ${nullable}`;
  }

  async addColumns(spec: ReplicaSpec, columns: readonly string[]): Promise<void> {
    await this.prepare();
    await this.session(async (c) => {
      const [rows] = await c.query<Rows>(
        'SELECT COLUMN_NAME AS name FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?',
        [spec.table],
      );
      const have = new Set(rows.map((r) => String(r['name']).toLowerCase()));
      const adding = spec.columns.filter((col) => columns.includes(col.name) && !have.has(col.target.toLowerCase()));
      // One statement: a kill leaves all of them added or none (ALTER TABLE is atomic per statement).
      if (adding.length > 0) {
        await c.query(
          `ALTER TABLE ${q(spec.table)} ${adding.map((col) => `ADD COLUMN ${this.columnSql(spec, col)}`).join(', ')}`,
        );
      }
    });
  }

  async drift(spec: ReplicaSpec): Promise<string[]> {
    return this.session(async (c) => {
      const [rows] = await c.query<Rows>(
        `SELECT COLUMN_NAME AS name, COLUMN_TYPE AS type, IS_NULLABLE AS nullable, COLLATION_NAME AS collation,
                COLUMN_KEY AS k
           FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?
          ORDER BY ORDINAL_POSITION`,
        [spec.table],
      );
      if (rows.length === 0) return ['the replica table is missing'];
      const problems: string[] = [];
      const have = rows.map((r) => String(r['name']));
      const want = spec.columns.map((col) => col.target);
      if (have.join('\u0000') !== want.join('\u0000')) problems.push("its columns are not the source's");
      const key = new Set(spec.primaryKey);
      for (const col of spec.columns) {
        const row = rows.find((r) => String(r['name']) === col.target);
        if (row === undefined) continue;
        if (normaliseType(String(row['type'])) !== normaliseType(col.codec.mysqlType))
          problems.push(`${col.target} is ${String(row['type'])}, not ${col.codec.mysqlType}`);
        else if (col.codec.textual && row['collation'] !== this.noPadCollation)
          problems.push(`${col.target} compares as ${String(row['collation'])}, not ${this.noPadCollation}`);
        const nullable = String(row['nullable']) === 'YES';
        if (nullable !== (col.source.nullable && !key.has(col.name)))
          problems.push(`${col.target} nullability differs`);
      }
      const primary = rows.filter((r) => String(r['k']) === 'PRI').map((r) => String(r['name']));
      const wantKey = spec.primaryKey.map((k) => targetOf(spec, k));
      if ([...primary].sort().join(',') !== [...wantKey].sort().join(',')) problems.push('its primary key differs');
      return problems;
    });
  }

  async upsert(
    spec: ReplicaSpec,
    rows: AsyncIterable<Buffer | string>,
    state: () => ReplicaStateUpdate,
  ): Promise<number> {
    const deltaName = workTableName(spec.table, 'delta');
    const delta = q(deltaName);
    const columns = spec.columns.map((col) => q(col.target)).join(', ');
    return this.session(async (c) => {
      await c.query(`DROP TEMPORARY TABLE IF EXISTS ${delta}`);
      await c.query(`CREATE TEMPORARY TABLE ${delta} LIKE ${q(spec.table)}`);
      const changed = await this.load(c, deltaName, spec, rows, () => state().rows);
      await c.query('START TRANSACTION');
      try {
        const [kept] = await c.query<Rows>(
          `SELECT target_rows FROM etl_replication_state WHERE table_name = ? FOR UPDATE`,
          [spec.table],
        );
        // REPLACE works alike on MySQL 8.4 and MariaDB 10.11; replicas have no foreign keys.
        // It reports 1 per row inserted and 2 per row replaced (deleted, then inserted).
        const [replaced] = await c.query<mysql.ResultSetHeader>(
          `REPLACE INTO ${q(spec.table)} (${columns}) SELECT ${columns} FROM ${delta}`,
        );
        const inserted = 2 * changed - replaced.affectedRows;
        const targetRows = Number(kept[0]?.['target_rows'] ?? 0) + inserted;
        await this.saveState(c, { ...state(), targetRows });
        await c.query('COMMIT');
        await c.query(`DROP TEMPORARY TABLE ${delta}`);
        return targetRows;
      } catch (error) {
        await c.query('ROLLBACK').catch(() => {});
        throw error;
      }
    });
  }

  /**
   * Loads the rows into `into`; returns how many went in. Every row sent must arrive as it was:
   * LOAD DATA LOCAL turns a value that does not fit into a warning (truncated, clamped, zeroed)
   * and skips a duplicate key, so one warning or one missing row fails the load, and nothing is
   * swapped in.
   */
  private async load(
    c: mysql.Connection,
    into: string,
    spec: ReplicaSpec,
    rows: AsyncIterable<Buffer | string>,
    sent: () => number,
  ): Promise<number> {
    const loaded = this.fastPath
      ? await this.loadData(c, into, spec, rows)
      : await this.insertRows(c, into, spec, rows);
    if (loaded.warnings > 0) {
      const [warnings] = await c.query<Rows>('SHOW WARNINGS LIMIT 3');
      const said = warnings.map((w) => String(w['Message'])).join('; ');
      throw new DataCheckError(
        `${spec.table}: MySQL changed ${loaded.warnings === 1 ? 'a value' : `${loaded.warnings} values`} on the ` +
          `way in (${said}); nothing was swapped in`,
        {
          hint: 'Store the column as exact text (as_text in the settings file), or report its type as an etl bug.',
        },
      );
    }
    if (loaded.rows !== sent()) {
      throw new DataCheckError(
        `${spec.table}: ${sent()} rows were sent and MySQL stored ${loaded.rows}: keys PostgreSQL tells apart ` +
          'are one key in MySQL; nothing was swapped in',
        { hint: "Compare the key columns' values, or give the table another key in the settings file." },
      );
    }
    return loaded.rows;
  }

  private async loadData(
    c: mysql.Connection,
    into: string,
    spec: ReplicaSpec,
    rows: AsyncIterable<Buffer | string>,
  ): Promise<{ rows: number; warnings: number }> {
    const [result] = await c.query<mysql.ResultSetHeader>({
      sql: `LOAD DATA LOCAL INFILE 'etl-stream' INTO TABLE ${q(into)} ${LOAD_OPTIONS} ${loadDataColumns(spec)}`,
      // mysql2 writes what the stream gives it as Buffers.
      infileStreamFactory: () => Readable.from(asBuffers(rows)),
    });
    return { rows: result.affectedRows, warnings: result.warningStatus };
  }

  /** Fallback without local infile: multi-row INSERTs, each under max_allowed_packet. */
  private async insertRows(
    c: mysql.Connection,
    into: string,
    spec: ReplicaSpec,
    rows: AsyncIterable<Buffer | string>,
  ): Promise<{ rows: number; warnings: number }> {
    const columns = spec.columns.map((col) => q(col.target)).join(', ');
    const head = `INSERT INTO ${q(into)} (${columns}) VALUES `;
    let sql = '';
    let carry = '';
    let inserted = 0;
    let warnings = 0;
    const flush = async (): Promise<void> => {
      if (sql === '') return;
      const [result] = await c.query<mysql.ResultSetHeader>(sql);
      inserted += result.affectedRows;
      warnings += result.warningStatus;
      sql = '';
    };
    const addLine = async (line: string): Promise<void> => {
      const values = line.split('\t').map((field, i) => {
        const value = decodeLoadField(field);
        if (value === null) return 'NULL';
        const codec = spec.columns[i]?.codec;
        return codec?.mysqlLoad === undefined ? c.escape(value) : codec.mysqlLoad(c.escape(value));
      });
      const tuple = `(${values.join(',')})`;
      if (sql !== '' && sql.length + tuple.length + 1 > this.insertBytes) await flush();
      sql = sql === '' ? head + tuple : `${sql},${tuple}`;
    };
    const decoder = new StringDecoder('utf8'); // a character may straddle two chunks
    for await (const chunk of rows) {
      const text = carry + (typeof chunk === 'string' ? chunk : decoder.write(chunk));
      const lines = text.split('\n');
      carry = lines.pop() ?? '';
      for (const line of lines) await addLine(line);
    }
    carry += decoder.end();
    if (carry !== '') await addLine(carry);
    await flush();
    return { rows: inserted, warnings };
  }

  async count(spec: ReplicaSpec): Promise<number> {
    return withMysql(this.db, async (c) =>
      Number((await c.query<Rows>(`SELECT COUNT(*) AS n FROM ${q(spec.table)}`))[0][0]?.['n'] ?? 0),
    );
  }

  async keyRangeCounts(spec: ReplicaSpec): Promise<Map<string, number>> {
    const { keyRange } = mysqlComparison(spec);
    return withMysql(this.db, async (c) => {
      const [rows] = await c.query<Rows>(`SELECT ${keyRange} AS b, COUNT(*) AS n FROM ${q(spec.table)} GROUP BY 1`);
      return new Map(rows.map((r) => [String(r['b']), Number(r['n'])]));
    });
  }

  async keyRangeSums(spec: ReplicaSpec): Promise<Map<string, KeyRangeSum>> {
    const { keyRange, rowText } = mysqlComparison(spec);
    return withMysql(this.db, async (c) => {
      const [rows] = await c.query<Rows>(
        `SELECT ${keyRange} AS b, COUNT(*) AS n, CAST(SUM(CONV(LEFT(MD5(${rowText}), 8), 16, 10)) AS CHAR) AS s
           FROM ${q(spec.table)} GROUP BY 1`,
      );
      return new Map(rows.map((r) => [String(r['b']), { count: Number(r['n']), sum: String(r['s']) }]));
    });
  }

  async keysIn(spec: ReplicaSpec, keyRanges: readonly string[]): Promise<Set<string>> {
    const { key } = mysqlComparison(spec);
    const rows = await this.inKeyRanges(spec, keyRanges, `${key} AS k`);
    return new Set(rows.map((r) => String(r['k'])));
  }

  async rowHashes(spec: ReplicaSpec, keyRange: string): Promise<Map<string, string>> {
    const { key, rowText } = mysqlComparison(spec);
    const rows = await this.inKeyRanges(spec, [keyRange], `${key} AS k, MD5(${rowText}) AS h`);
    return new Map(rows.map((r) => [String(r['k']), String(r['h'])]));
  }

  async deleteKeys(spec: ReplicaSpec, keys: readonly string[]): Promise<number> {
    // Keys come back as the comparison's text: bytes as hex, loaded the way LOAD DATA loads them.
    // A float's key text is its exact binary form, which MySQL cannot parse: such a column is
    // matched through its comparison form (no index, but exact).
    const keyColumns = spec.primaryKey.map((k) => spec.columns.find((c) => c.name === k));
    const placeholder = (c: ReplicaColumn | undefined) =>
      c?.codec.keyByCompare === true ? '?' : (c?.codec.mysqlLoad?.('?') ?? '?');
    const tuple = `(${keyColumns.map(placeholder).join(', ')})`;
    const columns = `(${keyColumns
      .map((c) => (c?.codec.keyByCompare ? c.codec.mysqlCompare(q(c.target)) : q(c?.target ?? '')))
      .join(', ')})`;
    let deleted = 0;
    await this.session(async (c) => {
      await c.query('START TRANSACTION');
      for (let i = 0; i < keys.length; i += 500) {
        const batch = keys.slice(i, i + 500);
        const [result] = await c.query<mysql.ResultSetHeader>(
          `DELETE FROM ${q(spec.table)} WHERE ${columns} IN (${batch.map(() => tuple).join(', ')})`,
          batch.flatMap(splitKey),
        );
        deleted += result.affectedRows;
      }
      await c.query('UPDATE etl_replication_state SET target_rows = target_rows - ? WHERE table_name = ?', [
        deleted,
        spec.table,
      ]);
      await c.query('COMMIT');
    });
    return deleted;
  }

  /** The rows of these key ranges (one scan of the table for a hash's ranges, index ranges for integers). */
  private async inKeyRanges(spec: ReplicaSpec, keyRanges: readonly string[], select: string): Promise<Rows> {
    if (keyRanges.length === 0) return [];
    const params: unknown[] = [];
    const bounds = keyRanges.map((keyRange) => keyRangeBounds(spec, keyRange));
    // A hash's ranges: its expression computed once per row, matched against them all.
    const hashed = bounds.flatMap((range) => (range.kind === 'expression' ? [range.value] : []));
    const conditions = bounds.flatMap((range) => {
      if (range.kind === 'expression') return [];
      params.push(...range.equal.map((e) => e.value), range.from, range.to);
      return [
        `(${[
          ...range.equal.map((e) => `${q(targetOf(spec, e.column))} = ?`),
          `${q(targetOf(spec, range.column))} BETWEEN ? AND ?`,
        ].join(' AND ')})`,
      ];
    });
    if (hashed.length > 0) {
      conditions.push(`${mysqlComparison(spec).keyRange} IN (?)`);
      params.push(hashed);
    }
    return withMysql(
      this.db,
      async (c) =>
        (await c.query<Rows>(`SELECT ${select} FROM ${q(spec.table)} WHERE ${conditions.join(' OR ')}`, params))[0],
    );
  }

  private async session<T>(work: (c: mysql.Connection) => Promise<T>): Promise<T> {
    const c = await connectMysql(this.db);
    try {
      await c.query('SET SESSION unique_checks = 1, foreign_key_checks = 0');
      // Values are never bent to fit: strict, and a 0 stays a 0 (MySQL would renumber it in an
      // AUTO_INCREMENT column otherwise).
      await c.query(`SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_AUTO_VALUE_ON_ZERO,NO_ENGINE_SUBSTITUTION'`);
      return await work(c);
    } catch (error) {
      throw mysqlError(error, this.db);
    } finally {
      await c.end().catch(() => {});
    }
  }
}

/** A secondary index of a table and the clause that re-creates it in ALTER TABLE … ADD. */
export interface SecondaryIndex {
  readonly name: string;
  readonly definition: string;
  readonly columns: readonly string[];
}

/**
 * The column list (and SET clause) of a LOAD DATA of this spec's rows: a column loaded through a
 * function (bytea's hex through UNHEX) reads into a variable first.
 */
export function loadDataColumns(spec: ReplicaSpec): string {
  const fields = spec.columns.map((col, i) => (col.codec.mysqlLoad === undefined ? q(col.target) : `@v${i}`));
  const sets = spec.columns.flatMap((col, i) =>
    col.codec.mysqlLoad === undefined ? [] : [`${q(col.target)} = ${col.codec.mysqlLoad(`@v${i}`)}`],
  );
  return `(${fields.join(', ')})${sets.length === 0 ? '' : ` SET ${sets.join(', ')}`}`;
}

/** A replica column's MySQL name, from its PostgreSQL name. */
function targetOf(spec: ReplicaSpec, column: string): string {
  return spec.columns.find((c: ReplicaColumn) => c.name === column)?.target ?? column;
}

/** A column type as information_schema shows it, without the integer display widths MariaDB adds. */
function normaliseType(type: string): string {
  return type.toLowerCase().replace(/^(tinyint|smallint|mediumint|int|bigint)\(\d+\)/, '$1');
}

async function tableExists(c: mysql.Connection, table: string): Promise<boolean> {
  const [rows] = await c.query<Rows>(
    'SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?',
    [table],
  );
  return rows.length > 0;
}

/** The secondary (non-primary) indexes of a table in the current database, as the catalog has them. */
export async function secondaryIndexes(c: mysql.Connection, table: string): Promise<SecondaryIndex[]> {
  const [rows] = await c.query<Rows>(
    `SELECT INDEX_NAME AS name, NON_UNIQUE AS nonUnique, COLUMN_NAME AS col, SUB_PART AS part, INDEX_TYPE AS type
       FROM information_schema.STATISTICS
      WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND INDEX_NAME <> 'PRIMARY'
      ORDER BY INDEX_NAME, SEQ_IN_INDEX`,
    [table],
  );
  const byName = new Map<string, { unique: boolean; type: string; columns: string[]; names: string[] }>();
  for (const row of rows) {
    const name = String(row['name']);
    const index = byName.get(name) ?? {
      unique: Number(row['nonUnique']) === 0,
      type: String(row['type']),
      columns: [],
      names: [],
    };
    index.names.push(String(row['col']));
    const part = row['part'] === null ? '' : `(${Number(row['part'])})`;
    index.columns.push(`${q(String(row['col']))}${part}`);
    byName.set(name, index);
  }
  return [...byName].map(([name, index]) => {
    if (index.type !== 'BTREE') {
      throw new Error(`index ${name} of ${table} is ${index.type}; etl rebuilds only BTREE indexes`);
    }
    return {
      name,
      definition: `${index.unique ? 'UNIQUE ' : ''}KEY ${q(name)} (${index.columns.join(', ')})`,
      columns: index.names,
    };
  });
}

async function* asBuffers(chunks: AsyncIterable<Buffer | string>): AsyncGenerator<Buffer> {
  for await (const chunk of chunks) yield typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
}

/** LOAD DATA text field back to its value (MySQL's escapes are PostgreSQL's plus \0 and \Z). */
function decodeLoadField(field: string): string | null {
  if (field === '\\N') return null;
  return decodeCopyField(field.replace(/\\\\|\\0|\\Z/g, (e) => (e === '\\0' ? '\\000' : e === '\\Z' ? '\\032' : e)));
}
