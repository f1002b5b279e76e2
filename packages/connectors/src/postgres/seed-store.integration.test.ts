import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEED_DEFAULTS, runSeed, seedColumns, type Spool } from '@etl/core';
import { FileSpool } from '../shared/file-spool.js';
import { throwawayDatabases } from '../testing/index.js';
import { withPostgres } from './client.js';
import { migratePostgres } from './schema-target.js';
import { PostgresSeedStore } from './seed-store.js';

const dbs = throwawayDatabases();
beforeAll(() => migratePostgres(dbs.pg, ['shop']));
afterAll(() => dbs.drop());

/** Every index, constraint and trigger of the source tables, as PostgreSQL describes them. */
async function catalog(): Promise<string[]> {
  return withPostgres(dbs.pg, async (c) => {
    const r = await c.query<{ item: string }>(
      `SELECT 'index ' || indexrelid::regclass::text || ': ' || pg_get_indexdef(indexrelid) AS item FROM pg_index
        WHERE indrelid::regclass::text IN ('productcategories', 'users', 'products', 'orders', 'orderdetails')
       UNION ALL
       SELECT 'constraint ' || conname || ': ' || pg_get_constraintdef(oid) || ' valid=' || convalidated
         FROM pg_constraint
        WHERE conrelid::regclass::text IN ('productcategories', 'users', 'products', 'orders', 'orderdetails')
       UNION ALL
       SELECT 'trigger ' || tgname || ' ' || tgenabled::text || ': ' || pg_get_triggerdef(oid) FROM pg_trigger
        WHERE NOT tgisinternal AND tgrelid::regclass::text
          IN ('productcategories', 'users', 'products', 'orders', 'orderdetails')
       ORDER BY 1`,
    );
    return r.rows.map((row) => row.item);
  });
}

const count = (table: string) =>
  withPostgres(dbs.pg, async (c) =>
    Number((await c.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`)).rows[0]?.n),
  );

describe('seeding empty tables with indexes and constraints built after the load', () => {
  let before: string[] = [];
  beforeAll(async () => {
    before = await catalog();
  });

  it('leaves a table empty, and its schema as it was, when the load dies midway', async () => {
    const store = new PostgresSeedStore(dbs.pg);
    try {
      function* dying() {
        yield '1\tAnn\tLee\tann@example.com\t\\N\t2024-01-01 00:00:00+00\tNone\n';
        throw new Error('killed midway');
      }
      const parts = [{ table: 'users' as const, columns: seedColumns('users'), chunks: dying() }];
      await expect(store.loadIntoEmpty(['users'], parts)).rejects.toThrow('killed midway');
      expect(await count('users')).toBe(0);
      expect(await catalog()).toEqual(before);
    } finally {
      await store.close();
    }
  });

  it('still checks a foreign key it merges in order: an orphan line rolls the whole load back', async () => {
    const store = new PostgresSeedStore(dbs.pg);
    try {
      await runSeed(store, { ...SEED_DEFAULTS, users: 10, products: 5, orders: 0, reset: false }, { now: () => 0 });
      const schema = await catalog();
      const at = '2024-01-01 00:00:00+00';
      const parts = [
        {
          table: 'orders' as const,
          columns: seedColumns('orders'),
          ascending: ['order_id'],
          chunks: [`1\t1\t${at}\t2.00\tPending\t\\N\n2\t1\t${at}\t2.00\tPending\t\\N\n`],
        },
        {
          table: 'orderdetails' as const,
          columns: seedColumns('orderdetails'),
          ascending: ['order_detail_id', 'order_id'],
          // Line 11 belongs to order 3, which does not exist.
          chunks: [`1\t1\t1\t1\t2.00\t2.00\n6\t2\t1\t1\t2.00\t2.00\n11\t3\t1\t1\t2.00\t2.00\n`],
        },
      ];
      await expect(store.loadIntoEmpty(['orders', 'orderdetails'], parts)).rejects.toThrow(
        /orderdetails_order_id_fkey/,
      );
      expect(await count('orders')).toBe(0);
      expect(await count('orderdetails')).toBe(0);
      expect(await catalog()).toEqual(schema);
      // Without the orphan, the same load goes through and its key is validated.
      const fixed = [parts[0]!, { ...parts[1]!, chunks: [`1\t1\t1\t1\t2.00\t2.00\n6\t2\t1\t1\t2.00\t2.00\n`] }];
      expect(await store.loadIntoEmpty(['orders', 'orderdetails'], fixed)).toBe(true);
      expect(await count('orderdetails')).toBe(2);
      expect(await catalog()).toEqual(schema);
    } finally {
      await withPostgres(dbs.pg, (c) => c.query('TRUNCATE orderdetails, orders, products, users, productcategories'));
      await store.close();
    }
  });

  it('builds every index, constraint and trigger back, validated, and rows keep their updated_at', async () => {
    const store = new PostgresSeedStore(dbs.pg);
    try {
      const options = { ...SEED_DEFAULTS, users: 300, products: 50, orders: 2000, reset: false };
      await runSeed(store, options, { now: () => performance.now() });
      expect(await catalog()).toEqual(before);
      expect(await count('orders')).toBe(2000);
      const orphans = await withPostgres(dbs.pg, async (c) =>
        Number(
          (
            await c.query<{ n: string }>(
              `SELECT count(*) AS n FROM orders o WHERE NOT EXISTS (SELECT 1 FROM orderdetails d
                WHERE d.order_id = o.order_id)
                 OR o.updated_at IS NULL`,
            )
          ).rows[0]?.n,
        ),
      );
      expect(orphans).toBe(0);
      // A table with rows takes the batch path: nothing is dropped.
      expect(await store.loadIntoEmpty(['users'], [])).toBe(false);
      await runSeed(store, { ...options, orders: 2100 }, { now: () => performance.now() });
      expect(await count('orders')).toBe(2100);
      expect(await catalog()).toEqual(before);
    } finally {
      await store.close();
    }
  });

  it('fills users, products, orders and lines together, all or nothing, every index and key back', async () => {
    const store = new PostgresSeedStore(dbs.pg);
    try {
      await withPostgres(dbs.pg, (c) => c.query('TRUNCATE orderdetails, orders, products, users, productcategories'));
      const options = { ...SEED_DEFAULTS, users: 300, products: 50, orders: 2000, reset: false };
      // The orders' spool fails when read: the lines are in by then, and must go with the rest.
      const failing = (): Spool => {
        const spool = new FileSpool();
        return {
          write: (bytes) => spool.write(bytes),
          read: () => {
            throw new Error('spool lost');
          },
          close: () => spool.close(),
        };
      };
      await expect(runSeed(store, options, { now: () => 0, spool: failing })).rejects.toThrow('spool lost');
      for (const table of ['users', 'products', 'orders', 'orderdetails']) expect(await count(table), table).toBe(0);
      expect(await count('productcategories')).toBe(58);
      expect(await catalog()).toEqual(before);
      const report = await runSeed(store, options, { now: () => 0, spool: () => new FileSpool() });
      expect(report.tables.map((t) => t.added)).toEqual([0, 300, 50, 2000, await count('orderdetails')]);
      expect(await catalog()).toEqual(before);
    } finally {
      await store.close();
    }
  });

  it('puts back a trigger that fires always (or on replicas only) in that mode', async () => {
    const store = new PostgresSeedStore(dbs.pg);
    try {
      await withPostgres(dbs.pg, (c) =>
        c.query(`TRUNCATE orderdetails, orders;
                 ALTER TABLE orders ENABLE ALWAYS TRIGGER orders_touch_updated_at;
                 ALTER TABLE orderdetails ENABLE REPLICA TRIGGER orderdetails_touch_updated_at`),
      );
      const modes = await catalog();
      expect(modes.filter((item) => / (A|R): CREATE TRIGGER/.test(item))).toHaveLength(2);
      const options = { ...SEED_DEFAULTS, users: 300, products: 50, orders: 500, reset: false };
      const report = await runSeed(store, options, { now: () => performance.now() });
      expect(report.tables.find((t) => t.table === 'orders')?.added).toBe(500);
      expect(await catalog()).toEqual(modes);
    } finally {
      await withPostgres(dbs.pg, (c) =>
        c.query(`ALTER TABLE orders ENABLE TRIGGER orders_touch_updated_at;
                 ALTER TABLE orderdetails ENABLE TRIGGER orderdetails_touch_updated_at`),
      );
      await store.close();
    }
  });
});
