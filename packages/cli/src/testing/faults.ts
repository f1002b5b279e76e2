/**
 * The faults the fault suite injects into a running command, and what it compares after: a
 * restart of a service through `infra/restart` (Compose or native, as `make up` chose), every
 * connection of a database dropped from the server's side, and fingerprints of tables.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { withMysql, withPostgres } from '@etl/connectors';
import type { DatabaseEndpoint } from '@etl/core';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');

export type Service = 'postgres' | 'mysql' | 'kafka';

/** Stops the service and starts it again; resolves once it answers. */
export async function restartService(service: Service): Promise<void> {
  await promisify(execFile)(join(ROOT, 'infra', 'restart'), [service], { timeout: 120_000 });
}

/** Ends every other session on the test's database, as an administrator's pg_terminate_backend / KILL would. */
export async function dropConnections(service: 'postgres' | 'mysql', db: DatabaseEndpoint): Promise<number> {
  if (service === 'postgres') {
    return withPostgres(
      db,
      async (c) =>
        (
          await c.query(
            `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`,
            [db.database],
          )
        ).rowCount ?? 0,
      { database: 'postgres' },
    );
  }
  return withMysql(db, async (c) => {
    const [rows] = await c.query(
      `SELECT ID AS id FROM information_schema.PROCESSLIST WHERE DB = ? AND ID <> CONNECTION_ID()`,
      [db.database],
    );
    let killed = 0;
    for (const { id } of rows as { id: number }[]) {
      // A session that ended on its own between the two statements is not an error.
      await c.query(`KILL ${Number(id)}`).then(
        () => killed++,
        () => {},
      );
    }
    return killed;
  });
}

/** One hash per PostgreSQL table over every row's text, order-independent; columns in `without` are left out. */
export function postgresFingerprints(
  db: DatabaseEndpoint,
  tables: readonly string[],
  without: readonly string[] = [],
): Promise<Record<string, string>> {
  return withPostgres(db, async (c) => {
    const out: Record<string, string> = {};
    for (const table of tables) {
      const columns = await c.query<{ name: string }>(
        `SELECT attname AS name FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped
         ORDER BY attnum`,
        [table],
      );
      const kept = columns.rows.map((r) => r.name).filter((n) => !without.includes(n));
      const row = `(${kept.map((n) => `t."${n}"`).join(', ')})::text`;
      const result = await c.query<{ n: string; h: string | null }>(
        `SELECT count(*)::text AS n, md5(string_agg(${row}, E'\\n' ORDER BY ${row})) AS h FROM "${table}" t`,
      );
      out[table] = `${result.rows[0]?.n} rows ${result.rows[0]?.h ?? '-'}`;
    }
    return out;
  });
}

/** One hash per MySQL table over every row, order-independent. */
export function mysqlFingerprints(db: DatabaseEndpoint, tables: readonly string[]): Promise<Record<string, string>> {
  return withMysql(db, async (c) => {
    const out: Record<string, string> = {};
    for (const table of tables) {
      const [rows] = await c.query({ sql: `SELECT * FROM \`${table}\``, rowsAsArray: true });
      const lines = (rows as unknown[][]).map((r) => JSON.stringify(r)).sort();
      out[table] = `${lines.length} rows ${createHash('md5').update(lines.join('\n')).digest('hex')}`;
    }
    return out;
  });
}
