/**
 * MySQL/MariaDB as the warehouse the marts are built in.
 */
import type { DatabaseEndpoint, MartDefinition, Warehouse } from '@etl/core';
import type mysql from 'mysql2/promise';
import { quoteMysqlIdent as q, withMysql, type MysqlConnectOptions } from './client.js';
import { migrateMysql } from './schema-target.js';

type Rows = mysql.RowDataPacket[];

const fill = (sql: string, stage: string): string => sql.replaceAll('{{stage}}', q(stage));

export class MysqlWarehouse implements Warehouse {
  readonly endpoint: string;

  /** `session`: how `rows` and `show` connect (read-only with a statement timeout for the web page). */
  constructor(
    private readonly db: DatabaseEndpoint,
    private readonly session: MysqlConnectOptions = {},
  ) {
    this.endpoint = db.display;
  }

  async prepare(): Promise<void> {
    await migrateMysql(this.db);
  }

  async rows(table: string): Promise<number | null> {
    return withMysql(
      this.db,
      async (c) => {
        const [exists] = await c.query<Rows>(
          `SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?`,
          [table],
        );
        if (exists.length === 0) return null;
        const [rows] = await c.query<Rows>(`SELECT COUNT(*) AS n FROM ${q(table)}`);
        return Number(rows[0]?.['n'] ?? 0);
      },
      this.session,
    );
  }

  async build(mart: MartDefinition, stage: string): Promise<number> {
    const columns = mart.columns.map((c) => `${q(c.name)} ${c.type}`).join(',\n  ');
    return withMysql(this.db, async (c) => {
      await c.query(`DROP TABLE IF EXISTS ${q(stage)}`);
      await c.query(
        `CREATE TABLE ${q(stage)} (\n  ${columns},\n  PRIMARY KEY (${mart.grain.map(q).join(', ')})\n)
          ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`,
      );
      // Under REPEATABLE READ, InnoDB's INSERT … SELECT takes a shared lock on every row it
      // reads (40% slower than the bare SELECT). A single statement reads one consistent view
      // under READ COMMITTED too, without locks; only a statement-based binary log forbids it.
      const [logging] = await c.query<Rows>('SELECT @@GLOBAL.log_bin AS bin, @@SESSION.binlog_format AS format');
      if (!(Number(logging[0]?.['bin']) === 1 && logging[0]?.['format'] === 'STATEMENT')) {
        await c.query('SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED');
      }
      const [result] = await c.query<mysql.ResultSetHeader>(
        `INSERT INTO ${q(stage)} (${mart.columns.map((col) => q(col.name)).join(', ')})\n${mart.select}`,
      );
      return result.affectedRows;
    });
  }

  async value(sql: string, stage?: string): Promise<string | null> {
    return withMysql(this.db, async (c) => {
      const [rows] = await c.query<mysql.RowDataPacket[][]>({
        sql: stage === undefined ? sql : fill(sql, stage),
        rowsAsArray: true,
      });
      const first: unknown = rows[0]?.[0];
      if (first === undefined || first === null) return null;
      return typeof first === 'string' || typeof first === 'number' || typeof first === 'bigint'
        ? String(first)
        : JSON.stringify(first);
    });
  }

  async swap(stage: string, mart: string): Promise<void> {
    const old = `${mart}__etl_old`;
    await withMysql(this.db, async (c) => {
      await c.query(`DROP TABLE IF EXISTS ${q(old)}`);
      const [exists] = await c.query<Rows>(
        `SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?`,
        [mart],
      );
      // One statement: readers see the previous mart or the new one.
      await c.query(
        exists.length > 0
          ? `RENAME TABLE ${q(mart)} TO ${q(old)}, ${q(stage)} TO ${q(mart)}`
          : `RENAME TABLE ${q(stage)} TO ${q(mart)}`,
      );
      await c.query(`DROP TABLE IF EXISTS ${q(old)}`);
    });
  }

  async drop(table: string): Promise<void> {
    await withMysql(this.db, (c) => c.query(`DROP TABLE IF EXISTS ${q(table)}`));
  }

  /** Rows of a mart for `etl marts show`, ordered by a column of the mart. */
  async show(
    mart: MartDefinition,
    orderBy: string,
    descending: boolean,
    limit: number,
  ): Promise<Record<string, unknown>[]> {
    return withMysql(
      this.db,
      async (c) => {
        const [rows] = await c.query<Rows>(
          `SELECT ${mart.columns.map((col) => q(col.name)).join(', ')} FROM ${q(mart.name)}
          ORDER BY ${q(orderBy)} ${descending ? 'DESC' : 'ASC'}, ${mart.grain.map(q).join(', ')} LIMIT ?`,
          [limit],
        );
        return rows.map((r) => ({ ...r }));
      },
      this.session,
    );
  }
}
