/**
 * Everything a test's databases hold, for tests that search all of it (for a password, for a
 * masked value): every row of every table, read back as the test's own user.
 */
import { withMysql, withPostgres } from '@etl/connectors';
import type { DatabaseEndpoint } from '@etl/core';

export interface StoredRow {
  readonly table: string;
  readonly cells: readonly unknown[];
}

/** Every row of every table in the MySQL database, cell by cell. */
export function mysqlRows(db: DatabaseEndpoint): Promise<StoredRow[]> {
  return withMysql(db, async (c) => {
    const [tables] = await c.query(
      `SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()`,
    );
    const out: StoredRow[] = [];
    for (const { t } of tables as { t: string }[]) {
      const [rows] = await c.query({ sql: `SELECT * FROM \`${t}\``, rowsAsArray: true });
      out.push(...(rows as unknown[][]).map((cells) => ({ table: t, cells })));
    }
    return out;
  });
}

/** Every row of every table in PostgreSQL's current schema, as one text cell (the row's literal). */
export function postgresRows(db: DatabaseEndpoint): Promise<StoredRow[]> {
  return withPostgres(db, async (c) => {
    const tables = await c.query<{ t: string }>(
      `SELECT tablename AS t FROM pg_tables WHERE schemaname = current_schema()`,
    );
    const out: StoredRow[] = [];
    for (const { t } of tables.rows) {
      const rows = await c.query<{ r: string }>(`SELECT r::text AS r FROM "${t}" r`);
      out.push(...rows.rows.map((row) => ({ table: t, cells: [row.r] })));
    }
    return out;
  });
}
