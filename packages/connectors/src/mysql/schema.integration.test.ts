import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPLICATED_TABLES, TABLES, mysqlType } from '@etl/core';
import type mysql from 'mysql2/promise';
import { throwawayDatabases } from '../testing/index.js';
import { withMysql } from './client.js';
import { MYSQL_MIGRATIONS } from './migrations.js';
import { migrateMysql, migrationLockName } from './schema-target.js';

const dbs = throwawayDatabases();
afterAll(() => dbs.drop());

/** MariaDB spells some types its own way: int(11), and JSON as longtext with a check. */
function normalise(columnType: string): string {
  return columnType.replace(/^(int|bigint)\(\d+\)/, '$1').replace(/^longtext$/, 'json');
}

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

  it('creates every replica table with the mapped types of core', async () => {
    const [rows] = await withMysql(dbs.mysql, (c) =>
      c.query<mysql.RowDataPacket[]>(
        `SELECT TABLE_NAME AS t, COLUMN_NAME AS c, COLUMN_TYPE AS type, IS_NULLABLE AS nullable, COLUMN_KEY AS k
           FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME, ORDINAL_POSITION`,
      ),
    );
    for (const name of REPLICATED_TABLES) {
      const actual = rows
        .filter((r) => r['t'] === name)
        .map((r) => [String(r['c']), normalise(String(r['type'])), r['nullable'] === 'YES']);
      const expected = TABLES[name].columns.map((c) => [c.name, mysqlType(c.type), c.nullable]);
      expect(actual, name).toEqual(expected);
      const key = rows.filter((r) => r['t'] === name && r['k'] === 'PRI').map((r) => String(r['c']));
      expect(key, name).toEqual([...TABLES[name].primaryKey]);
    }
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
