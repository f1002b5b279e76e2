import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MartsReport } from '@etl/core';
import { connectMysql, withMysql, withPostgres } from '@etl/connectors';
import { throwawayDatabases } from '@etl/connectors/testing';
import { runEtl } from '../../testing/run-etl.js';
import type { ShowResult } from './show.js';

const dbs = throwawayDatabases();
afterAll(() => dbs.drop());
const env = { ETL_PG_URL: dbs.pg.url, ETL_MYSQL_URL: dbs.mysql.url };
const etl = (args: string[]) => runEtl(args, { env });
type Row = Record<string, unknown>;
async function my(sql: string): Promise<Row[]> {
  const [rows] = await withMysql(dbs.mysql, (c) => c.query({ sql, dateStrings: true } as never));
  return rows as Row[];
}
const T = '2024-01-01 00:00:00';

/** A small shop with known answers, written into PostgreSQL and replicated. */
beforeAll(async () => {
  expect((await etl(['init'])).code).toBe(0);
  expect((await etl(['marts'])).stderr).toContain('run `etl replicate` first'.replace('run', 'Run'));
  // seed makes the shop's tables; they are emptied for the known rows.
  expect((await etl(['seed', '--users', '1', '--products', '1', '--orders', '1'])).code).toBe(0);
  const statements = [
    `SET TimeZone = 'UTC'`,
    `TRUNCATE productcategories, users, products, orders, orderdetails CASCADE`,
    `INSERT INTO productcategories VALUES (1, 'Electronics', NULL, '${T}'), (2, 'Phones', 1, '${T}'), (3, ` +
      `'Books', NULL, '${T}')`,
    `INSERT INTO users VALUES
       (1, 'Ann', 'Lee', 'ann@example.com', NULL, '2023-01-01', 'Gold', '${T}'),
       (2, 'Bob', 'Ray', 'bob@example.com', NULL, '2023-01-01', 'None', '${T}'),
       (3, 'Cy', 'Fox', 'cy@example.com', NULL, '2023-01-01', 'Silver', '${T}'),
       (4, 'Di', 'Orr', 'di@example.com', NULL, '2023-01-01', 'Bronze', '${T}')`,
    `INSERT INTO products VALUES
       (10, 'Widget', NULL, 2, 5.00, 10, '2022-01-01', '${T}'),
       (11, 'Gizmo', NULL, 2, 20.00, 10, '2022-01-01', '${T}'),
       (12, 'Novel', NULL, 3, 7.50, 10, '2022-01-01', '${T}'),
       (13, 'Unsold', NULL, 3, 1.00, 10, '2022-01-01', '${T}')`,
    `INSERT INTO orders VALUES
       (100, 1, '2024-01-01 10:00:00', 35.00, 'Completed', '2024-01-02', '${T}'),
       (101, 1, '2024-01-03 08:00:00', 60.00, 'Shipped', '2024-01-04', '${T}'),
       (102, 2, '2024-01-02 12:00:00', 5.00, 'Cancelled', NULL, '${T}'),
       (103, 4, '2024-01-05 23:30:00', 7.50, 'Pending', NULL, '${T}')`,
    // Order 100 has two lines of the same product.
    `INSERT INTO orderdetails VALUES
       (1, 100, 10, 2, 5.00, 10.00, '${T}'),
       (2, 100, 10, 1, 5.00, 5.00, '${T}'),
       (3, 100, 11, 1, 20.00, 20.00, '${T}'),
       (4, 101, 11, 3, 20.00, 60.00, '${T}'),
       (5, 102, 10, 1, 5.00, 5.00, '${T}'),
       (6, 103, 12, 1, 7.50, 7.50, '${T}')`,
  ];
  await withPostgres(dbs.pg, async (c) => {
    for (const sql of statements) await c.query(sql);
  });
  const replicated = await etl(['replicate', '--tables', 'productcategories,users,products,orders,orderdetails']);
  expect(replicated.code, replicated.stderr).toBe(0);
});

const dump = async (mart: string, key: string) => my(`SELECT * FROM ${mart} ORDER BY ${key}`);

describe('etl marts on a dataset with known answers', () => {
  it('builds all four marts, each tested, and reports them', async () => {
    const run = await etl(['marts', '--json']);
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as MartsReport;
    expect(report.marts.map((m) => [m.mart, m.rows, m.testsPassed === m.tests.length])).toEqual([
      ['user_sales_analytics', 4, true],
      ['product_sales_analytics', 4, true],
      ['sales_daily', 5, true],
      ['category_sales', 3, true],
    ]);
  });

  it('user_sales_analytics: every user, Cancelled excluded, orders counted once', async () => {
    expect(
      await my(
        `SELECT user_id, orders_count, total_spent, avg_order_value, first_order_date, last_order_date, ` +
          `loyalty_status FROM user_sales_analytics ORDER BY user_id`,
      ),
    ).toEqual([
      {
        user_id: 1,
        orders_count: '2',
        total_spent: '95.00',
        avg_order_value: '47.50',
        first_order_date: '2024-01-01 10:00:00.000000',
        last_order_date: '2024-01-03 08:00:00.000000',
        loyalty_status: 'Gold',
      },
      {
        user_id: 2,
        orders_count: '0',
        total_spent: '0.00',
        avg_order_value: '0.00',
        first_order_date: null,
        last_order_date: null,
        loyalty_status: 'None',
      },
      {
        user_id: 3,
        orders_count: '0',
        total_spent: '0.00',
        avg_order_value: '0.00',
        first_order_date: null,
        last_order_date: null,
        loyalty_status: 'Silver',
      },
      {
        user_id: 4,
        orders_count: '1',
        total_spent: '7.50',
        avg_order_value: '7.50',
        first_order_date: '2024-01-05 23:30:00.000000',
        last_order_date: '2024-01-05 23:30:00.000000',
        loyalty_status: 'Bronze',
      },
    ]);
  });

  it('product_sales_analytics: every product, zeros for the unsold one', async () => {
    expect(await dump('product_sales_analytics', 'product_id')).toEqual([
      {
        product_id: 10,
        product_name: 'Widget',
        category_name: 'Phones',
        orders_count: '1',
        units_sold: '3',
        revenue: '15.00',
      },
      {
        product_id: 11,
        product_name: 'Gizmo',
        category_name: 'Phones',
        orders_count: '2',
        units_sold: '4',
        revenue: '80.00',
      },
      {
        product_id: 12,
        product_name: 'Novel',
        category_name: 'Books',
        orders_count: '1',
        units_sold: '1',
        revenue: '7.50',
      },
      {
        product_id: 13,
        product_name: 'Unsold',
        category_name: 'Books',
        orders_count: '0',
        units_sold: '0',
        revenue: '0.00',
      },
    ]);
  });

  it('sales_daily: one row per day, zeros on days with only cancelled or no orders', async () => {
    expect(await dump('sales_daily', 'day')).toEqual([
      { day: '2024-01-01', orders_count: '1', units_sold: '4', revenue: '35.00', customers: '1' },
      { day: '2024-01-02', orders_count: '0', units_sold: '0', revenue: '0.00', customers: '0' },
      { day: '2024-01-03', orders_count: '1', units_sold: '3', revenue: '60.00', customers: '1' },
      { day: '2024-01-04', orders_count: '0', units_sold: '0', revenue: '0.00', customers: '0' },
      { day: '2024-01-05', orders_count: '1', units_sold: '1', revenue: '7.50', customers: '1' },
    ]);
  });

  it('category_sales: every category with its parent', async () => {
    expect(await dump('category_sales', 'category_id')).toEqual([
      {
        category_id: 1,
        category_name: 'Electronics',
        parent_category_name: null,
        orders_count: '0',
        units_sold: '0',
        revenue: '0.00',
      },
      {
        category_id: 2,
        category_name: 'Phones',
        parent_category_name: 'Electronics',
        orders_count: '2',
        units_sold: '7',
        revenue: '95.00',
      },
      {
        category_id: 3,
        category_name: 'Books',
        parent_category_name: null,
        orders_count: '1',
        units_sold: '1',
        revenue: '7.50',
      },
    ]);
  });

  it('gives the same marts when rerun', async () => {
    const before = await Promise.all([
      dump('user_sales_analytics', 'user_id'),
      dump('sales_daily', 'day'),
      dump('category_sales', 'category_id'),
    ]);
    expect((await etl(['marts'])).code).toBe(0);
    expect(
      await Promise.all([
        dump('user_sales_analytics', 'user_id'),
        dump('sales_daily', 'day'),
        dump('category_sales', 'category_id'),
      ]),
    ).toEqual(before);
  });

  it('never builds beside another build of the same database: exit 75 at once, nothing changed', async () => {
    const before = await dump('user_sales_analytics', 'user_id');
    const built = await my(`SELECT model, attempted_at FROM etl_mart_builds ORDER BY model`);
    // Another build holds the lock (a session of its own, as an `etl marts` in progress does).
    const holder = await connectMysql(dbs.mysql);
    try {
      const [got] = await holder.query(`SELECT GET_LOCK(CONCAT('etl:marts:', DATABASE()), 0) AS got`);
      expect((got as Row[])[0]?.['got']).toBe(1);
      const busy = await etl(['marts']);
      expect(busy.code).toBe(75);
      expect(busy.stderr).toContain('another etl marts is building models in this MySQL database');
      expect(busy.ms).toBeLessThan(30_000);
      expect(await dump('user_sales_analytics', 'user_id')).toEqual(before);
      expect(await my(`SELECT model, attempted_at FROM etl_mart_builds ORDER BY model`)).toEqual(built);
    } finally {
      await holder.end();
    }
    // Its session ended, the lock with it: the next build runs.
    expect((await etl(['marts'])).code).toBe(0);
  });

  it('keeps the previous mart and exits 4 naming the mart and the test when a data test fails', async () => {
    const before = await dump('product_sales_analytics', 'product_id');
    // A line for a product the replica does not have: revenue no longer reconciles.
    await my(`INSERT INTO orderdetails VALUES (7, 100, 999, 1, 1.00, 1.00, '${T}')`);
    try {
      const run = await etl(['marts', '--only', 'product_sales_analytics']);
      expect(run.code).toBe(4);
      expect(run.stderr).toContain(
        'mart product_sales_analytics failed its data test "revenue reconciles with order lines"',
      );
      expect(await dump('product_sales_analytics', 'product_id')).toEqual(before);
      expect(
        await my(
          `SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()
            AND TABLE_NAME LIKE '%etl\\_stage'`,
        ),
      ).toEqual([]);
    } finally {
      await my(`DELETE FROM orderdetails WHERE order_detail_id = 7`);
    }
  });

  it('shows a mart as a table and a bar chart, plain outside a terminal', async () => {
    const run = await etl(['marts', 'show', 'product_sales_analytics', '--limit', '3']);
    expect(run.code).toBe(0);
    const lines = run.stdout.split('\n');
    expect(lines[0]).toMatch(/^product_id\s+product_name\s+category_name\s+orders_count\s+units_sold\s+revenue$/);
    expect(lines[1]).toMatch(/^11\s+Gizmo\s+Phones\s+2\s+4\s+80\.00$/);
    expect(run.stdout).toMatch(/^Gizmo\s+#{40}\s+80\.00$/m);
    expect(run.stdout).toMatch(/^Widget\s+#{8}\s+15\.00$/m);
    expect(run.stdout).not.toMatch(/[│┌█]/);
    const json = JSON.parse(
      (await etl(['marts', 'show', 'sales_daily', '--order-by', 'day', '--asc', '--limit', '2', '--json'])).stdout,
    ) as ShowResult;
    expect(json.rows).toEqual([
      { day: '2024-01-01', orders_count: 1, units_sold: 4, revenue: '35.00', customers: 1 },
      { day: '2024-01-02', orders_count: 0, units_sold: 0, revenue: '0.00', customers: 0 },
    ]);
  });

  it('rejects unknown marts and columns with exit 2', async () => {
    const unknown = await etl(['marts', '--only', 'sales_dayly']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('did you mean sales_daily?');
    expect(unknown.stderr).toContain(
      'marts are user_sales_analytics, product_sales_analytics, sales_daily, category_sales',
    );
    expect((await etl(['marts', 'show', 'nope'])).code).toBe(2);
    const column = await etl(['marts', 'show', 'sales_daily', '--order-by', 'revenu']);
    expect(column.code).toBe(2);
    expect(column.stderr).toContain('did you mean revenue?');
  });

  it('exits 3 when MySQL cannot be reached', async () => {
    expect((await runEtl(['marts'], { env: { ...env, ETL_MYSQL_URL: 'mysql://etl:etl@127.0.0.1:1/x' } })).code).toBe(3);
  });
});
