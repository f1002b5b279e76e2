import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SOURCE_TABLES, TABLES, pgType } from '@etl/core';
import { throwawayDatabases } from '../testing/index.js';
import { withPostgres } from './client.js';
import { POSTGRES_MIGRATIONS } from './migrations.js';
import { migratePostgres } from './schema-target.js';

const dbs = throwawayDatabases();
afterAll(() => dbs.drop());

describe('PostgreSQL migrations', () => {
  let first: Awaited<ReturnType<typeof migratePostgres>>;
  beforeAll(async () => {
    first = await migratePostgres(dbs.pg);
  });

  it('creates the missing database and applies every migration', () => {
    expect(first.databaseCreated).toBe(true);
    expect(first.applied.map((m) => m.version)).toEqual(POSTGRES_MIGRATIONS.map((m) => m.version));
    expect(first.version).toBe(POSTGRES_MIGRATIONS.length);
  });

  it('changes nothing the second time, even when two run at once', async () => {
    const [a, b] = await Promise.all([migratePostgres(dbs.pg), migratePostgres(dbs.pg)]);
    for (const again of [a, b]) expect(again).toEqual({ databaseCreated: false, applied: [], version: first.version });
    const rows = await withPostgres(dbs.pg, (c) => c.query('SELECT count(*)::int AS n FROM etl_schema_migrations'));
    expect(rows.rows[0]?.n).toBe(POSTGRES_MIGRATIONS.length);
  });

  it('creates every source table exactly as core defines it', async () => {
    const columns = await withPostgres(dbs.pg, (c) =>
      c.query<{ table_name: string; column_name: string; type: string; not_null: boolean }>(
        `SELECT c.relname AS table_name, a.attname AS column_name,
                format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS not_null
           FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
          WHERE c.relname = ANY($1) AND a.attnum > 0 AND NOT a.attisdropped
          ORDER BY c.relname, a.attnum`,
        [SOURCE_TABLES],
      ),
    );
    for (const name of SOURCE_TABLES) {
      const actual = columns.rows.filter((r) => r.table_name === name).map((r) => [r.column_name, r.type, !r.not_null]);
      const expected = TABLES[name].columns.map((c) => [c.name, pgType(c.type), c.nullable]);
      expect(actual, name).toEqual(expected);
    }
    const keys = await withPostgres(dbs.pg, (c) =>
      c.query<{ table_name: string; columns: string[] }>(
        `SELECT t.relname AS table_name, array_agg(a.attname::text ORDER BY k.ord) AS columns
           FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid
           CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
           JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
          WHERE i.indisprimary AND t.relname = ANY($1)
          GROUP BY t.relname`,
        [SOURCE_TABLES],
      ),
    );
    for (const name of SOURCE_TABLES) {
      expect(keys.rows.find((r) => r.table_name === name)?.columns, name).toEqual([...TABLES[name].primaryKey]);
    }
  });

  it('maintains updated_at itself, for inserts and plain-SQL updates, with ids chosen by the writer', async () => {
    await withPostgres(dbs.pg, async (c) => {
      await c.query(`INSERT INTO productcategories (category_id, name, updated_at) VALUES (42, 'Books', '2000-01-01')`);
      const inserted = await c.query<{ updated_at: Date }>(
        'SELECT updated_at FROM productcategories WHERE category_id = 42',
      );
      expect(inserted.rows[0]?.updated_at.getUTCFullYear()).toBeGreaterThan(2000);
      const before = inserted.rows[0]?.updated_at.getTime() ?? 0;
      await new Promise((r) => setTimeout(r, 20));
      await c.query(`UPDATE productcategories SET name = 'Old books' WHERE category_id = 42`);
      const updated = await c.query<{ updated_at: Date }>(
        'SELECT updated_at FROM productcategories WHERE category_id = 42',
      );
      expect(updated.rows[0]?.updated_at.getTime()).toBeGreaterThan(before);
    });
  });

  it('enforces the checks of the data model', async () => {
    await withPostgres(dbs.pg, async (c) => {
      await expect(
        c.query(`INSERT INTO users VALUES (1, 'A', 'B', 'a@example.com', NULL, now(), 'Platinum')`),
      ).rejects.toThrow(/check constraint/);
      await c.query(`INSERT INTO users VALUES (1, 'A', 'B', 'a@example.com', NULL, now(), 'Gold')`);
      await expect(
        c.query(`INSERT INTO users VALUES (2, 'C', 'D', 'a@example.com', NULL, now(), 'None')`),
      ).rejects.toThrow(/duplicate key/);
      await expect(c.query(`INSERT INTO orders VALUES (1, 999, now(), 0, 'Pending', NULL)`)).rejects.toThrow(
        /foreign key/,
      );
    });
  });
});
