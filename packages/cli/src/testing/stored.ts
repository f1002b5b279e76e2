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

/**
 * Every row of every table in PostgreSQL's current schema and in etl's state schema (named
 * `etl_state.<table>`), as one text cell (the row's literal).
 */
export function postgresRows(db: DatabaseEndpoint): Promise<StoredRow[]> {
  return withPostgres(db, async (c) => {
    const tables = await c.query<{ t: string; sql: string }>(
      `SELECT CASE WHEN schemaname = current_schema() THEN tablename ELSE schemaname || '.' || tablename END AS t,
              quote_ident(schemaname) || '.' || quote_ident(tablename) AS sql
         FROM pg_tables WHERE schemaname IN (current_schema(), 'etl_state')`,
    );
    const out: StoredRow[] = [];
    for (const { t, sql } of tables.rows) {
      const rows = await c.query<{ r: string }>(`SELECT r::text AS r FROM ${sql} r`);
      out.push(...rows.rows.map((row) => ({ table: t, cells: [row.r] })));
    }
    return out;
  });
}
