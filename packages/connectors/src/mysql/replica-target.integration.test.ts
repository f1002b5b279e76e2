import { afterAll, describe, expect, it } from 'vitest';
import { exactPatterns, replicaSpec, runReplicate, runSeed, runVerify, SEED_DEFAULTS } from '@etl/core';
import { throwawayDatabases } from '../testing/index.js';
import { PostgresReplicaSource } from '../postgres/replica-source.js';
import { PostgresSeedStore } from '../postgres/seed-store.js';
import { withPostgres } from '../postgres/client.js';
import { withMysql } from './client.js';
import { MysqlReplicaTarget } from './replica-target.js';
import { migrateMysql } from './schema-target.js';
import type mysql from 'mysql2/promise';

const dbs = throwawayDatabases();
afterAll(() => dbs.drop());
const now = () => performance.now();

describe('replication without LOAD DATA LOCAL INFILE', () => {
  it('falls back to multi-row INSERTs, says so once, and the replica is equal', async () => {
    const store = new PostgresSeedStore(dbs.pg);
    await runSeed(store, { ...SEED_DEFAULTS, users: 200, products: 40, orders: 3000, reset: false }, { now });
    await store.close();
    const source = new PostgresReplicaSource(dbs.pg);
    const target = new MysqlReplicaTarget(dbs.mysql, { localInfile: false });
    const options = {
      tables: exactPatterns(['productcategories', 'users', 'products', 'orders', 'orderdetails']),
      mode: undefined,
      concurrency: 2,
      deletes: true,
    };
    const report = await runReplicate(source, target, options, { now });
    expect(report.notices).toEqual([expect.stringContaining('SET GLOBAL local_infile = 1')]);
    expect(report.tables.find((t) => t.table === 'orders')?.targetRows).toBe(3000);
    const verify = await runVerify(source, target, options.tables, { now });
    expect(verify.equal).toBe(true);
  });
});

describe('full copies load a stage with only its primary key, then build its indexes', () => {
  const tables = exactPatterns(['productcategories', 'users', 'products', 'orders', 'orderdetails']);
  const options = { tables, mode: 'full' as const, concurrency: 2, deletes: true };
  const source = new PostgresReplicaSource(dbs.pg);

  /** Every table of the replica database with its full definition, as MySQL prints it. */
  const catalog = () =>
    withMysql(dbs.mysql, async (c) => {
      const [names] = await c.query<mysql.RowDataPacket[]>(
        `SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() ORDER BY 1`,
      );
      const described: string[] = [];
      for (const { t } of names) {
        const [rows] = await c.query<mysql.RowDataPacket[]>(`SHOW CREATE TABLE \`${String(t)}\``);
        // Its lines sorted: the order MySQL lists indexes in is the order they were built in.
        const lines = String(rows[0]?.['Create Table'])
          .replace(/ AUTO_INCREMENT=\d+/, '')
          .split('\n');
        described.push(
          lines
            .map((l) => l.replace(/,$/, ''))
            .sort()
            .join('\n'),
        );
      }
      return described;
    });
  const count = (table: string) =>
    withMysql(dbs.mysql, async (c) =>
      Number((await c.query<mysql.RowDataPacket[]>(`SELECT COUNT(*) AS n FROM \`${table}\``))[0][0]?.['n']),
    );

  it('gives each replica an index per foreign key of its source, kept (with one of its own) by every run', async () => {
    await migrateMysql(dbs.mysql);
    const target = new MysqlReplicaTarget(dbs.mysql);
    await runReplicate(source, target, options, { now });
    const table = (name: string) => catalogued.find((t) => t.includes(`CREATE TABLE \`${name}\``)) ?? '';
    let catalogued = await catalog();
    expect(table('orderdetails')).toContain('KEY `orderdetails_order_id_idx` (`order_id`)');
    expect(table('orderdetails')).toContain('KEY `orderdetails_product_id_idx` (`product_id`)');
    expect(table('orders')).toContain('KEY `orders_user_id_idx` (`user_id`)');
    expect(table('products')).toContain('KEY `products_category_id_idx` (`category_id`)');
    // The source enforces uniqueness (users.email): a replica takes whatever a batch passes through.
    expect(catalogued.join('\n')).not.toContain('UNIQUE KEY');
    // An index someone added to a replica stays.
    await withMysql(dbs.mysql, (c) => c.query('ALTER TABLE orders ADD KEY `orders_by_status` (`status`)'));
    const defined = await catalog();
    await runReplicate(source, target, options, { now });
    expect(await catalog()).toEqual(defined);
    await withPostgres(dbs.pg, (c) => c.query(`UPDATE orders SET status = 'Cancelled' WHERE order_id % 10 = 3`));
    await runReplicate(source, target, { ...options, mode: 'incremental' }, { now });
    catalogued = await catalog();
    expect(catalogued).toEqual(defined);
    expect(table('orders')).toContain('KEY `orders_by_status` (`status`)');
    expect((await runVerify(source, target, tables, { now })).equal).toBe(true);
  });

  it('leaves the live replica intact when killed between loading the stage and building its indexes', async () => {
    const defined = await catalog();
    const before = await count('orderdetails');
    await withPostgres(dbs.pg, (c) =>
      c.query(`INSERT INTO orderdetails (order_detail_id, order_id, product_id, quantity, price_per_unit, total_price)
               SELECT order_detail_id + 1000000000, order_id, product_id, 1, price_per_unit, price_per_unit
                 FROM orderdetails ORDER BY order_detail_id LIMIT 100`),
    );
    let stageRows = 0;
    const killed = new MysqlReplicaTarget(dbs.mysql, {
      beforeIndexes: async (table) => {
        if (table !== 'orderdetails') return;
        stageRows = await count('orderdetails__etl_stage');
        throw new Error('killed before the indexes');
      },
    });
    await expect(runReplicate(source, killed, options, { now })).rejects.toThrow(/killed before the indexes/);
    expect(stageRows).toBe(before + 100);
    // Readers still see the old replica, whole and indexed; the stage is a leftover without its keys.
    expect(await count('orderdetails')).toBe(before);
    const after = await catalog();
    expect(after.filter((t) => !t.includes('__etl_stage'))).toEqual(defined);
    expect(after.find((t) => t.includes('orderdetails__etl_stage'))).not.toContain('orderdetails_product_id_idx');

    const target = new MysqlReplicaTarget(dbs.mysql);
    await runReplicate(source, target, options, { now });
    expect(await count('orderdetails')).toBe(before + 100);
    expect(await catalog()).toEqual(defined);
    expect((await runVerify(source, target, tables, { now })).equal).toBe(true);
  });
});

describe('a COPY cut short', () => {
  it('rejects with the reader’s error and leaves no error event unheard (a MySQL restart mid-copy)', async () => {
    const source = new PostgresReplicaSource(dbs.pg);
    const unheard: unknown[] = [];
    const listener = (error: unknown) => unheard.push(error);
    process.on('uncaughtException', listener);
    try {
      const spec = replicaSpec('orderdetails', []);
      const failing = source.read(spec, null, async (chunks) => {
        for await (const chunk of chunks) if (chunk.length > 0) throw new Error('the target went away');
      });
      await expect(failing).rejects.toThrow('the target went away');
      await new Promise((resolve) => setTimeout(resolve, 300)); // the closed connection reports late
      expect(unheard).toEqual([]);
    } finally {
      process.off('uncaughtException', listener);
    }
  });
});

describe('a table keyed by floats', () => {
  it('finds the rows deleted in PostgreSQL by their exact binary keys, and deletes them', async () => {
    await withPostgres(dbs.pg, (c) =>
      c.query(`CREATE TABLE float_keyed (k double precision PRIMARY KEY, v text,
                 updated_at timestamptz NOT NULL DEFAULT now());
               INSERT INTO float_keyed SELECT g / 7.0, 'v' FROM generate_series(1, 300) g;
               CREATE TABLE real_keyed (k real PRIMARY KEY, updated_at timestamptz NOT NULL DEFAULT now());
               INSERT INTO real_keyed SELECT g / 3.0 FROM generate_series(1, 100) g`),
    );
    const source = new PostgresReplicaSource(dbs.pg);
    const target = new MysqlReplicaTarget(dbs.mysql);
    const tables = exactPatterns(['float_keyed', 'real_keyed']);
    await runReplicate(source, target, { tables, mode: undefined, concurrency: 2, deletes: true }, { now });
    await withPostgres(dbs.pg, (c) =>
      c.query(`DELETE FROM float_keyed WHERE k > 20; DELETE FROM real_keyed WHERE (k * 3)::int % 2 = 0`),
    );
    const report = await runReplicate(
      source,
      target,
      { tables, mode: undefined, concurrency: 2, deletes: true },
      { now },
    );
    expect(report.tables.map((t) => [t.table, t.mode, t.deleted, t.targetRows])).toEqual([
      ['float_keyed', 'incremental', 160, 140],
      ['real_keyed', 'incremental', 50, 50],
    ]);
    expect((await runVerify(source, target, tables, { now })).equal).toBe(true);
  });
});
