import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type mysql from 'mysql2/promise';
import { throwawayDatabases } from '../testing/index.js';
import { withMysql } from './client.js';
import { MYSQL_MIGRATIONS } from './migrations.js';
import { migrateMysql, migrationLockName } from './schema-target.js';

const dbs = throwawayDatabases();
afterAll(() => dbs.drop());

describe('MySQL migrations', () => {
  let first: Awaited<ReturnType<typeof migrateMysql>>;
  beforeAll(async () => {
    first = await migrateMysql(dbs.mysql);
  });

  it('creates the missing database and applies every migration', () => {
    expect(first.databaseCreated).toBe(true);
    expect(first.applied.map((m) => m.version)).toEqual(MYSQL_MIGRATIONS.map((m) => m.version));
  });

  it('changes nothing the second time, even when two run at once', async () => {
    const [a, b] = await Promise.all([migrateMysql(dbs.mysql), migrateMysql(dbs.mysql)]);
    for (const again of [a, b]) expect(again).toEqual({ databaseCreated: false, applied: [], version: first.version });
  });

  it('holds a lock of its own database only: an init elsewhere on the server does not wait for it', async () => {
    const other = `${dbs.mysql.database}_other`;
    expect(migrationLockName(dbs.mysql.database)).not.toBe(migrationLockName(other));
    expect(migrationLockName('x'.repeat(64))).toHaveLength(64);
    await withMysql(dbs.mysql, async (holder) => {
      await holder.query('SELECT GET_LOCK(?, 0)', [migrationLockName(other)]);
      try {
        const again = await migrateMysql(dbs.mysql);
        expect(again.applied).toEqual([]);
      } finally {
        await holder.query('SELECT RELEASE_LOCK(?)', [migrationLockName(other)]);
      }
    });
  });

  it("creates etl's own tables only, never a replica (replicate makes those from their sources)", async () => {
    const [rows] = await withMysql(dbs.mysql, (c) =>
      c.query<mysql.RowDataPacket[]>(
        `SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() ORDER BY 1`,
      ),
    );
    const names = rows.map((r) => String(r['t']));
    expect(names.length).toBeGreaterThan(5);
    expect(names.filter((n) => !n.startsWith('etl_'))).toEqual([]);
  });

  it('uses utf8mb4 with binary comparison, like PostgreSQL', async () => {
    const [rows] = await withMysql(dbs.mysql, (c) =>
      c.query<mysql.RowDataPacket[]>(
        `SELECT DEFAULT_CHARACTER_SET_NAME AS cs, DEFAULT_COLLATION_NAME AS co FROM information_schema.SCHEMATA
          WHERE SCHEMA_NAME = DATABASE()`,
      ),
    );
    expect(rows[0]).toMatchObject({ cs: 'utf8mb4', co: 'utf8mb4_bin' });
  });
});
