/**
 * A marts project of a user's own over the demo shop, in a folder etl did not write: nine
 * models (refs four deep, a view, an incremental model), every generic test kind seen passing
 * and failing, a singular test, a warn test that does not stop the build, an error test that
 * keeps the old table and skips what reads it, selectors, freshness, and the project-wide
 * checks (cycle, missing ref, SQL error with its line, a test on a missing column).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MartsReport, ShowResult } from '@etl/core';
import { withMysql, withPostgres } from '@etl/connectors';
import { throwawayDatabases } from '@etl/connectors/testing';
import { ETL_BIN, runEtl } from '../../testing/run-etl.js';

const dbs = throwawayDatabases();
const scratch = mkdtempSync(join(tmpdir(), 'etl-own-marts-'));
afterAll(async () => {
  rmSync(scratch, { recursive: true, force: true });
  await dbs.drop();
});
const env = { ETL_PG_URL: dbs.pg.url, ETL_MYSQL_URL: dbs.mysql.url };
const etl = (args: string[], cwd?: string) => runEtl(args, { env, ...(cwd === undefined ? {} : { cwd }) });
type Row = Record<string, unknown>;
async function my(sql: string): Promise<Row[]> {
  const [rows] = await withMysql(dbs.mysql, (c) => c.query({ sql, dateStrings: true } as never));
  return rows as Row[];
}

/** Writes a project folder from { path: text } and returns its path. */
function project(name: string, files: Record<string, string>): string {
  const root = join(scratch, name);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

const SHOP = {
  'models/stg_orders.sql': `{{ config(materialized='view') }}
-- Orders that count: not cancelled.
SELECT order_id, user_id, order_date, total_amount, status, updated_at
  FROM {{ source('orders') }}
 WHERE status <> 'Cancelled'
`,
  'models/stg_lines.sql': `SELECT order_detail_id, order_id, product_id, quantity, total_price, updated_at
  FROM {{ source('public', 'orderdetails') }}
`,
  'models/order_totals.sql': `SELECT o.order_id, o.user_id, o.status,
       COUNT(*) AS line_count, SUM(l.total_price) AS lines_total
  FROM {{ ref('stg_orders') }} o
  JOIN {{ ref('stg_lines') }} l ON l.order_id = o.order_id
 GROUP BY o.order_id, o.user_id, o.status
`,
  'models/user_totals.sql': `SELECT user_id, COUNT(*) AS orders_count, SUM(lines_total) AS spent
  FROM {{ ref('order_totals') }}
 GROUP BY user_id
`,
  'models/user_tiers.sql': `SELECT user_id, spent,
       CASE WHEN spent >= 1000 THEN 'gold' WHEN spent >= 200 THEN 'silver' ELSE 'bronze' END AS tier
  FROM {{ ref('user_totals') }}
`,
  'models/products_sold.sql': `SELECT l.product_id, CAST(SUM(l.quantity) AS SIGNED) AS units
  FROM {{ ref('stg_lines') }} l
 GROUP BY l.product_id
`,
  'models/product_flags.sql': `SELECT product_id, units >= 10 AS popular FROM {{ ref('products_sold') }}
`,
  'models/lines_current.sql': `{{ config(materialized='incremental', unique_key='order_detail_id') }}
SELECT l.order_detail_id, l.order_id, l.quantity, l.total_price, o.status,
       GREATEST(l.updated_at, o.updated_at) AS changed_at
  FROM {{ ref('stg_lines') }} l
  JOIN {{ source('orders') }} o ON o.order_id = l.order_id
{% if is_incremental() %}
 WHERE GREATEST(l.updated_at, o.updated_at) > (SELECT MAX(changed_at) FROM {{ this }})
{% endif %}
`,
  // Every generic test kind failing on purpose, each at severity warn.
  'models/known_bad.sql': `SELECT 1 AS id, NULL AS maybe, 'x' AS letter, 999999 AS user_id
UNION ALL SELECT 1, 2, 'a', 1
`,
  'tests/products_sold_positive.sql': `SELECT product_id, units FROM {{ ref('products_sold') }} WHERE units <= 0
`,
  'models/schema.yml': `version: 2
sources:
  - name: public
    tables:
      - name: orders
      - name: users
      - name: products
models:
  - name: order_totals
    description: One row per counted order with its lines' total.
    columns:
      - name: order_id
        data_tests: [unique, not_null]
      - name: status
        data_tests:
          - accepted_values: { values: [Pending, Shipped, Completed] }
      - name: user_id
        data_tests:
          - relationships: { to: "source('users')", field: user_id }
  - name: user_totals
    columns:
      - name: user_id
        data_tests:
          - unique
          - relationships: { to: "ref('order_totals')", field: user_id }
  - name: user_tiers
    meta: { measure: spent, label: user_id }
    columns:
      - name: tier
        data_tests:
          # silver is missing on purpose: a warn test that finds rows and stops nothing
          - accepted_values: { values: [gold, bronze], severity: warn }
  - name: products_sold
    columns:
      - name: product_id
        data_tests:
          - unique
          - relationships: { to: "source('products')", field: product_id }
  - name: known_bad
    columns:
      - name: id
        data_tests: [{ unique: { config: { severity: warn } } }]
      - name: maybe
        data_tests: [{ not_null: { severity: warn } }]
      - name: letter
        data_tests: [{ accepted_values: { values: [a, b], severity: warn } }]
      - name: user_id
        data_tests: [{ relationships: { to: "source('users')", field: user_id, severity: warn } }]
data_tests:
  - name: products_sold_positive
    description: every product sold has units
`,
};

let shop = '';
beforeAll(async () => {
  expect((await etl(['init'])).code).toBe(0);
  expect((await etl(['seed', '--users', '30', '--products', '12', '--orders', '120'])).code).toBe(0);
  const replicated = await etl(['replicate', '--tables', 'users,products,productcategories,orders,orderdetails']);
  expect(replicated.code, replicated.stderr).toBe(0);
  shop = project('shop', SHOP);
});

const report = (stdout: string) => JSON.parse(stdout) as MartsReport;
const testOf = (r: MartsReport, model: string, name: string) =>
  r.marts.find((m) => m.mart === model)?.tests.find((t) => t.name === name);

describe('a marts project of a user’s own', () => {
  it('builds every model in dependency order, a view as a view, and runs every test kind', async () => {
    const run = await etl(['marts', '--project', shop, '--json']);
    expect(run.code, run.stderr).toBe(0);
    const r = report(run.stdout);
    const names = r.marts.map((m) => m.mart);
    expect(names).toHaveLength(9);
    for (const [before, after] of [
      ['stg_orders', 'order_totals'],
      ['order_totals', 'user_totals'],
      ['user_totals', 'user_tiers'],
      ['products_sold', 'product_flags'],
    ])
      expect(names.indexOf(before ?? '')).toBeLessThan(names.indexOf(after ?? ''));
    expect(r.marts.every((m) => m.status === 'built')).toBe(true);
    expect(
      await my(`SELECT TABLE_NAME AS t, TABLE_TYPE AS k FROM information_schema.TABLES
      WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN ('stg_orders', 'order_totals') ORDER BY 1`),
    ).toEqual([
      { t: 'order_totals', k: 'BASE TABLE' },
      { t: 'stg_orders', k: 'VIEW' },
    ]);
    // Passing: each kind on the shop's models.
    for (const [model, test] of [
      ['order_totals', 'unique(order_id)'],
      ['order_totals', 'not_null(order_id)'],
      ['order_totals', 'accepted_values(status)'],
      ['order_totals', 'relationships(user_id → users.user_id)'],
      ['products_sold', 'every product sold has units'],
    ])
      expect(testOf(r, model ?? '', test ?? '')?.failures, `${model} ${test}`).toBe(0);
    // Failing, at severity warn: reported with their rows, and nothing stops.
    for (const [test, failures] of [
      ['unique(id)', 1],
      ['not_null(maybe)', 1],
      ['accepted_values(letter)', 1],
      ['relationships(user_id → users.user_id)', 1],
    ] as const)
      expect(testOf(r, 'known_bad', test), test).toMatchObject({ severity: 'warn', failures });
    expect(testOf(r, 'known_bad', 'relationships(user_id → users.user_id)')?.sample).toEqual([{ value: 999999 }]);
    const tiers = r.marts.find((m) => m.mart === 'user_tiers');
    expect(tiers?.status).toBe('built');
    expect(tiers?.warnings.join(' ')).toMatch(/test "accepted_values\(tier\)" found \d+ rows?: value=silver/);
    expect(run.stdout).not.toContain('Warning:');
    // The view's rows equal what its SELECT gives; the totals agree with the replicas.
    expect(await my('SELECT COUNT(*) AS n FROM stg_orders')).toEqual(
      await my(`SELECT COUNT(*) AS n FROM orders WHERE status <> 'Cancelled'`),
    );
    expect(await my('SELECT SUM(spent) AS s FROM user_totals')).toEqual(
      await my(`SELECT SUM(d.total_price) AS s FROM orderdetails d JOIN orders o ON o.order_id = d.order_id
        WHERE o.status <> 'Cancelled'`),
    );
  });

  it('shows any model, sorted and limited, exactly as the page’s API will', async () => {
    const run = await etl(['marts', 'show', 'user_tiers', '--project', shop, '--limit', '3', '--json']);
    expect(run.code, run.stderr).toBe(0);
    const shown = JSON.parse(run.stdout) as ShowResult;
    expect(shown.orderBy).toBe('spent');
    expect(shown.rows).toHaveLength(3);
    const spent = shown.rows.map((row) => Number(row['spent']));
    expect([...spent].sort((a, b) => b - a)).toEqual(spent);
    const plain = await etl(['marts', 'show', 'order_totals', '--project', shop, '--order-by', 'order_id', '--asc']);
    expect(plain.code).toBe(0);
    expect(plain.stdout.split('\n')[0]).toMatch(/^order_id\s+user_id\s+status\s+line_count\s+lines_total$/);
  });

  it('serves the same rows on the page’s API, and lists every model with its last build', async () => {
    const child = spawn(process.execPath, [ETL_BIN, 'ui', '--port', '0', '--json', '--project', shop], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          const line = out.split('\n').find((l) => l.startsWith('{'));
          if (line !== undefined) resolve((JSON.parse(line) as { url: string }).url);
        });
        child.once('exit', (code) => reject(new Error(`etl ui exited ${code}`)));
      });
      for (const [query, args] of [
        ['', []],
        ['?order_by=user_id&asc=1&limit=4', ['--order-by', 'user_id', '--asc', '--limit', '4']],
      ] as const) {
        const api = (await (await fetch(new URL(`/api/marts/user_tiers${query}`, url))).json()) as ShowResult;
        const cli = await etl(['marts', 'show', 'user_tiers', '--project', shop, '--json', ...args]);
        expect(api).toEqual(JSON.parse(cli.stdout));
      }
      expect((await fetch(new URL('/api/marts/nope', url))).status).toBe(404);
      const list = (await (await fetch(new URL('/api/marts', url))).json()) as {
        models: { name: string; materialized: string; build: { status: string } | null }[];
      };
      expect(list.models.map((m) => m.name).sort()).toEqual(
        Object.keys(SHOP)
          .filter((f) => f.startsWith('models/') && f.endsWith('.sql'))
          .map((f) => f.slice(7, -4))
          .sort(),
      );
      expect(list.models.find((m) => m.name === 'stg_orders')).toMatchObject({
        materialized: 'view',
        build: { status: 'built' },
      });
      const page = await (await fetch(new URL('/marts', url))).text();
      expect(page).toContain('<svg');
      expect(page).toMatch(/class="lineage"/);
      expect(page).toMatch(/data-from="order_totals"\s+data-to="user_totals"/);
      expect(page).toMatch(/data-from="source:public.orders"\s+data-to="stg_orders"/);
    } finally {
      child.kill('SIGTERM');
    }
  });

  it('describes its models from schema.yml', async () => {
    const run = await etl(['marts', 'docs', '--project', shop]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('order_totals (table) — models/order_totals.sql');
    expect(run.stdout).toContain('One row per counted order with its lines’ total.'.replace('’', "'"));
    expect(run.stdout).toContain('reads: stg_orders, stg_lines');
    expect(run.stdout).toContain('- order_id [unique(order_id), not_null(order_id)]');
  });

  it('merges only the changed rows of an incremental model, the same rows a full build gives', async () => {
    const before = await my('SELECT COUNT(*) AS n FROM lines_current');
    // 5 orders change in PostgreSQL and are replicated incrementally.
    const changed = await withPostgres(dbs.pg, async (c) => {
      const ids = await c.query<{ order_id: number }>(`UPDATE orders SET status = 'Shipped', updated_at = now()
        WHERE order_id IN (SELECT order_id FROM orders WHERE status = 'Pending' ORDER BY order_id LIMIT 5)
        RETURNING order_id`);
      expect(ids.rows).toHaveLength(5);
      const lines = await c.query<{ n: string }>('SELECT COUNT(*) AS n FROM orderdetails WHERE order_id = ANY($1)', [
        ids.rows.map((r) => r.order_id),
      ]);
      return Number(lines.rows[0]?.n);
    });
    expect((await etl(['replicate', '--tables', 'orders,orderdetails'])).code).toBe(0);
    const run = await etl(['marts', '--project', shop, '--select', 'lines_current', '--json']);
    expect(run.code, run.stderr).toBe(0);
    const built = report(run.stdout).marts[0];
    expect(built).toMatchObject({ mart: 'lines_current', mode: 'incremental', status: 'built' });
    const changedLines = changed;
    expect(built?.mergedRows).toBe(changedLines);
    expect(await my('SELECT COUNT(*) AS n FROM lines_current')).toEqual(before);
    const merged = await my('SELECT * FROM lines_current ORDER BY order_detail_id');
    const full = await etl(['marts', '--project', shop, '--select', 'lines_current', '--full-refresh', '--json']);
    expect(report(full.stdout).marts[0]?.mode).toBe('full');
    expect(await my('SELECT * FROM lines_current ORDER BY order_detail_id')).toEqual(merged);
    // Its key is UNIQUE as the table is built (the merge updates by it); each column tested unique is indexed.
    const keys = await my(`SHOW KEYS FROM lines_current WHERE Column_name = 'order_detail_id'`);
    expect(keys.map((k) => Number(k['Non_unique']))).toEqual([0]);
    expect(await my(`SHOW KEYS FROM order_totals WHERE Column_name = 'order_id'`)).toHaveLength(1);
  });

  it('names the rows of an incremental model whose key is not unique, and builds nothing of it', async () => {
    const dupes = project('dupes', {
      'models/lines_by_order.sql': `{{ config(materialized='incremental', unique_key='order_id') }}
SELECT order_id, product_id FROM {{ source('orderdetails') }}`,
    });
    const run = await etl(['marts', '--project', dupes, '--json']);
    expect(run.code).toBe(4);
    expect(run.stderr).toContain('lines_by_order');
    expect(run.stderr).toContain('unique(order_id)');
    const failed = report(run.stdout).marts[0];
    expect(failed?.status).toBe('failed');
    expect(failed?.tests.find((t) => t.name === 'unique(order_id)')?.failures).toBeGreaterThan(0);
    expect(
      await my(`SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()
        AND TABLE_NAME LIKE 'lines\\_by\\_order%'`),
    ).toEqual([]);
  });

  it('selects with dbt’s forms', async () => {
    const names = async (...args: string[]) => {
      const run = await etl(['marts', '--project', shop, '--json', ...args]);
      expect(run.code, run.stderr).toBe(0);
      return report(run.stdout).marts.map((m) => m.mart);
    };
    expect(await names('--select', '+user_totals')).toEqual(['stg_lines', 'stg_orders', 'order_totals', 'user_totals']);
    expect(await names('--select', 'order_totals+')).toEqual(['order_totals', 'user_totals', 'user_tiers']);
    expect(await names('--select', 'products_sold+ known_bad', '--exclude', 'product_flags')).toEqual([
      'known_bad',
      'products_sold',
    ]);
    const unknown = await etl(['marts', '--project', shop, '--select', 'user_total']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('--select: unknown model "user_total" (did you mean user_totals?)');
  });

  it('keeps the old table when an error test fails, skips what reads it, builds the rest, and exits 4', async () => {
    const before = await my('SELECT * FROM products_sold ORDER BY product_id');
    const flagsBefore = await my('SELECT * FROM product_flags ORDER BY product_id');
    // A line for a product the shop does not have.
    await my(`INSERT INTO orderdetails (order_detail_id, order_id, product_id, quantity, price_per_unit, total_price,
      updated_at) SELECT MAX(order_detail_id) + 1, MIN(order_id), 999999, 1, 1.00, 1.00, NOW(6) FROM orderdetails`);
    try {
      const run = await etl(['marts', '--project', shop, '--json']);
      expect(run.code).toBe(4);
      expect(run.stderr).toContain(
        'mart products_sold failed its data test "relationships(product_id → products.product_id)" (1: value=999999)',
      );
      expect(run.stderr).toContain('skipped downstream: product_flags');
      const r = report(run.stdout);
      expect(r.marts.find((m) => m.mart === 'products_sold')?.status).toBe('failed');
      expect(r.marts.find((m) => m.mart === 'product_flags')?.status).toBe('skipped');
      expect(r.marts.find((m) => m.mart === 'user_tiers')?.status).toBe('built');
      expect(await my('SELECT * FROM products_sold ORDER BY product_id')).toEqual(before);
      expect(await my('SELECT * FROM product_flags ORDER BY product_id')).toEqual(flagsBefore);
      expect(
        await my(`SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()
          AND (TABLE_NAME LIKE '%etl\\_stage' OR TABLE_NAME LIKE '%etl\\_check')`),
      ).toEqual([]);
      expect(await my(`SELECT status, tests_failed FROM etl_mart_builds WHERE model = 'products_sold'`)).toEqual([
        { status: 'failed', tests_failed: 1 },
      ]);
    } finally {
      await my('DELETE FROM orderdetails WHERE product_id = 999999');
    }
  });

  it('warns on a stale source and refuses to build from one past its error_after', async () => {
    const root = project('fresh', {
      'models/fresh.sql': `SELECT COUNT(*) AS n FROM {{ source('orders') }}\n`,
      'models/stale.sql': `SELECT COUNT(*) AS n FROM {{ source('users') }}\n`,
      'models/never.sql': `SELECT COUNT(*) AS n FROM {{ source('productcategories') }}\n`,
      'models/sources.yml': `sources:
  - name: public
    tables:
      - name: orders
        freshness: { warn_after: 1s }
      - name: users
        freshness: { warn_after: 1s, error_after: 2s }
      - name: productcategories
        freshness: { warn_after: { count: 1, period: day } }
`,
    });
    // orders was replicated a moment ago (above), users before that.
    await my(`UPDATE etl_replication_state SET replicated_at = NOW(6) - INTERVAL 5 SECOND WHERE table_name = 'orders'`);
    await my(`UPDATE etl_replication_state SET replicated_at = NOW(6) - INTERVAL 1 HOUR WHERE table_name = 'users'`);
    const run = await etl(['marts', '--project', root, '--json']);
    expect(run.code).toBe(4);
    const r = report(run.stdout);
    expect(r.marts.find((m) => m.mart === 'fresh')).toMatchObject({ status: 'built' });
    expect(r.marts.find((m) => m.mart === 'fresh')?.warnings[0]).toMatch(
      /^source public\.orders was last loaded \d+ s ago \(warn_after 1 s\)$/,
    );
    expect(r.marts.find((m) => m.mart === 'never')).toMatchObject({ status: 'built', warnings: [] });
    expect(r.marts.find((m) => m.mart === 'stale')).toMatchObject({ status: 'failed' });
    expect(run.stderr).toContain('not built: source public.users was last loaded 60 min ago (error_after 2 s)');
    expect(
      await my(`SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()
      AND TABLE_NAME = 'stale'`),
    ).toEqual([{ n: '0' }]);
  });

  it('checks the whole project before anything runs', async () => {
    const broken = project('broken', {
      'models/a.sql': `SELECT * FROM {{ ref('b') }}\n`,
      'models/b.sql': `SELECT * FROM {{ ref('a') }}\n`,
      'models/c.sql': `SELECT * FROM {{ ref('order_total') }}\n`,
      'models/order_totals.sql': 'SELECT 1 AS x\n',
    });
    const run = await etl(['marts', '--project', broken]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('has 2 problems');
    expect(run.stderr).toContain('models ref each other in a cycle: a → b → a');
    expect(run.stderr).toContain('model c refs "order_total", which is not a model (did you mean order_totals?)');

    const sql = project('sql-errors', {
      'models/typo.sql': `SELECT order_id,\n       totl_amount\n  FROM {{ source('orders') }}\n`,
      'models/syntax.sql': `SELECT order_id\n  FROM {{ source('orders') }}\n WHERE status = = 'Pending'\n`,
      'models/downstream.sql': `SELECT * FROM {{ ref('typo') }}\n`,
    });
    const failed = await etl(['marts', '--project', sql]);
    expect(failed.code).toBe(4);
    expect(failed.stderr).toMatch(/model typo \(models\/typo\.sql:2\): MySQL says: Unknown column 'totl_amount'/);
    expect(failed.stderr).toMatch(/model syntax \(models\/syntax\.sql:3\): MySQL says: You have an error in your SQL/);
    expect(failed.stderr).not.toContain('downstream');

    const columns = project('columns', {
      'models/m.sql': `SELECT order_id, status FROM {{ source('orders') }}\n`,
      'models/n.sql': `SELECT order_id, status, total_amount FROM {{ source('orders') }}\n`,
      'models/schema.yml': `models:
  - name: m
    columns:
      - name: order_id
        data_tests: [unique]
      - name: staus
        data_tests: [not_null]
  - name: n
    config: { contract: { enforced: true } }
    columns:
      - name: order_id
      - name: status
`,
    });
    const missing = await etl(['marts', '--project', columns]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(
      'names column staus, which it does not have (did you mean status?); its columns are order_id, status',
    );
    expect(missing.stderr).toContain(
      'model n has columns its contract (contract: {enforced: true}) does not list: total_amount',
    );
    expect(
      await my(`SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()
      AND (TABLE_NAME IN ('m', 'n', 'typo', 'syntax', 'a', 'b', 'c') OR TABLE_NAME LIKE '%etl\\_check')`),
    ).toEqual([{ n: '0' }]);
  });

  it('refuses a model that would take a replica’s name, and a project folder that is not one', async () => {
    const clash = project('clash', { 'models/orders.sql': 'SELECT 1 AS x\n' });
    const run = await etl(['marts', '--project', clash]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('model orders (models/orders.sql) would replace the replica of the same name');
    const none = await etl(['marts', '--project', join(scratch, 'nope')]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('does not exist');
  });

  it('uses ./marts when the working directory has one', async () => {
    const cwd = join(scratch, 'cwd');
    project('cwd', { 'marts/models/here.sql': 'SELECT 42 AS answer\n' });
    const run = await etl(['marts', '--json'], cwd);
    expect(run.code, run.stderr).toBe(0);
    expect(report(run.stdout).marts.map((m) => m.mart)).toEqual(['here']);
    expect(await my('SELECT answer FROM here')).toEqual([{ answer: 42 }]);
  });
});
