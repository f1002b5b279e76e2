import { spawn } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { seedColumns, type SeedReport, type SeedTable } from '@etl/core';
import { quoteIdent, withPostgres } from '@etl/connectors';
import { throwawayDatabases } from '@etl/connectors/testing';
import { ETL_BIN, runEtl } from '../testing/run-etl.js';

const TABLES: readonly SeedTable[] = ['productcategories', 'users', 'products', 'orders', 'orderdetails'];
const created: ReturnType<typeof throwawayDatabases>[] = [];
function database() {
  const dbs = throwawayDatabases();
  created.push(dbs);
  return dbs;
}
afterAll(async () => {
  for (const dbs of created) await dbs.drop();
});

type Db = ReturnType<typeof throwawayDatabases>;
const seed = (db: Db, args: string[]) => runEtl(['seed', '--json', ...args], { env: { ETL_PG_URL: db.pg.url } });

/** md5 of every seeded column of every row, in id order (updated_at is the database's). */
async function checksums(db: Db, where: Partial<Record<SeedTable, string>> = {}): Promise<Record<string, string>> {
  return withPostgres(db.pg, async (c) => {
    const out: Record<string, string> = {};
    for (const table of TABLES) {
      const cols = seedColumns(table).map(quoteIdent).join(', ');
      const r = await c.query<{ sum: string | null; n: string }>(
        `SELECT md5(string_agg(row(${cols})::text, E'\\n' ORDER BY 1)) AS sum, count(*) AS n
           FROM (SELECT ${cols} FROM ${quoteIdent(table)} ${where[table] ?? ''} ORDER BY 1) AS t`,
      );
      out[table] = `${r.rows[0]?.n}:${r.rows[0]?.sum}`;
    }
    return out;
  });
}

async function scalar(db: Db, sql: string): Promise<number> {
  return withPostgres(db.pg, async (c) => Number((await c.query<{ v: string }>(sql)).rows[0]?.v));
}

const SMALL = ['--users', '300', '--products', '60', '--orders', '2000', '--seed', '7'];

describe('etl seed', () => {
  const one = database();
  const steps = database();

  it('seeds a fresh database, creating its schema, and reports per table', async () => {
    const run = await seed(one, SMALL);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as SeedReport;
    expect(report.changed).toBe(true);
    const byTable = Object.fromEntries(report.tables.map((t) => [t.table, t]));
    expect(byTable['users']).toMatchObject({ added: 300, present: 300 });
    expect(byTable['products']).toMatchObject({ added: 60, present: 60 });
    expect(byTable['orders']).toMatchObject({ added: 2000, present: 2000 });
    expect(byTable['orderdetails']?.added).toBe(await scalar(one, 'SELECT count(*) AS v FROM orderdetails'));
    expect(byTable['orderdetails']?.added).toBeGreaterThan(2000 * 2.5);
  });

  it('holds every invariant of the data model', async () => {
    const violations = await withPostgres(one.pg, async (c) => {
      const checks: Record<string, string> = {
        'order total ≠ sum of lines': `SELECT count(*) AS v FROM orders o
          WHERE total_amount <> (SELECT sum(total_price) FROM orderdetails d WHERE d.order_id = o.order_id)`,
        'order without lines': `SELECT count(*) AS v FROM orders o WHERE NOT EXISTS (SELECT 1
          FROM orderdetails d WHERE d.order_id = o.order_id)`,
        'line total ≠ quantity × price': `SELECT count(*) AS v FROM orderdetails
          WHERE total_price <> quantity * price_per_unit`,
        'line price ≠ product price': `SELECT count(*) AS v FROM orderdetails d
          JOIN products p USING (product_id) WHERE d.price_per_unit <> p.price`,
        'quantity outside 1–5': `SELECT count(*) AS v FROM orderdetails WHERE quantity NOT BETWEEN 1 AND 5`,
        'order before registration': `SELECT count(*) AS v FROM orders o JOIN users u USING (user_id)
          WHERE o.order_date < u.registration_date`,
        'delivery on an unshipped order': `SELECT count(*) AS v FROM orders WHERE delivery_date IS NOT NULL
          AND status NOT IN ('Shipped', 'Completed')`,
        'shipped without delivery date': `SELECT count(*) AS v FROM orders WHERE delivery_date IS NULL
          AND status IN ('Shipped', 'Completed')`,
        'delivery before order': `SELECT count(*) AS v FROM orders WHERE delivery_date < order_date`,
        'product in a department, not a subcategory': `SELECT count(*) AS v FROM products p
          JOIN productcategories c USING (category_id) WHERE c.parent_category_id IS NULL`,
        'duplicate email ignoring case': `SELECT count(*) - count(DISTINCT lower(email)) AS v FROM users`,
        'negative price or stock': `SELECT count(*) AS v FROM products WHERE price < 0 OR stock_quantity < 0`,
      };
      const found: Record<string, number> = {};
      for (const [name, sql] of Object.entries(checks))
        found[name] = Number((await c.query<{ v: string }>(sql)).rows[0]?.v);
      return found;
    });
    expect(Object.entries(violations).filter(([, n]) => n !== 0)).toEqual([]);
    const statuses = await scalar(one, 'SELECT count(DISTINCT status) AS v FROM orders');
    expect(statuses).toBe(4);
    const loyalty = await scalar(one, 'SELECT count(DISTINCT loyalty_status) AS v FROM users');
    expect(loyalty).toBe(4);
  });

  it('adds nothing when rerun with the same arguments, and says so', async () => {
    const before = await checksums(one);
    const run = await seed(one, SMALL);
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as SeedReport;
    expect(report.changed).toBe(false);
    expect(report.tables.every((t) => t.added === 0)).toBe(true);
    expect(await checksums(one)).toEqual(before);
    const text = await runEtl(['seed', ...SMALL], { env: { ETL_PG_URL: one.pg.url } });
    expect(text.stdout).toContain('Nothing to add');
  });

  it('gives byte-identical rows whatever the batch size, concurrency or number of runs', async () => {
    const small = ['--users', '300', '--products', '60', '--seed', '7'];
    expect((await seed(steps, [...small, '--orders', '700', '--batch-size', '97', '--concurrency', '3'])).code).toBe(0);
    const firstPart = await checksums(steps);
    const stamps = await scalar(steps, `SELECT extract(epoch FROM max(updated_at)) * 1e6 AS v FROM orders`);
    const grown = await seed(steps, [...small, '--orders', '2000', '--batch-size', '333', '--concurrency', '1']);
    expect(grown.code).toBe(0);
    const growth = JSON.parse(grown.stdout) as SeedReport;
    expect(growth.tables.find((t) => t.table === 'orders')?.added).toBe(1300);
    expect(growth.tables.find((t) => t.table === 'users')?.added).toBe(0);
    // Earlier rows untouched: same content, same updated_at.
    expect(await checksums(steps, { orders: 'WHERE order_id <= 700', orderdetails: 'WHERE order_id <= 700' })).toEqual(
      firstPart,
    );
    expect(
      await scalar(steps, `SELECT extract(epoch FROM max(updated_at)) * 1e6 AS v FROM orders WHERE order_id <= 700`),
    ).toBe(stamps);
    // And the whole equals the single run into the other database.
    expect(await checksums(steps)).toEqual(await checksums(one));
  });

  it('fills gaps left by rows deleted by hand', async () => {
    await withPostgres(steps.pg, async (c) => {
      await c.query('DELETE FROM orderdetails WHERE order_id BETWEEN 100 AND 150');
      await c.query('DELETE FROM orders WHERE order_id BETWEEN 100 AND 150');
    });
    const run = await seed(steps, SMALL);
    expect((JSON.parse(run.stdout) as SeedReport).tables.find((t) => t.table === 'orders')?.added).toBe(51);
    expect(await checksums(steps)).toEqual(await checksums(one));
  });

  it('leaves empty tables empty when killed during their bulk load, and a rerun completes them', async () => {
    const killed = database();
    const args = ['seed', '--users', '2000', '--products', '300', '--orders', '60000', '--seed', '3'];
    const child = spawn(process.execPath, [ETL_BIN, ...args], {
      env: { ...process.env, ETL_PG_URL: killed.pg.url },
      stdio: 'ignore',
    });
    // Kill it while it copies orders into the empty table, before it builds their indexes.
    const deadline = Date.now() + 60_000;
    let copying = 0;
    while (Date.now() < deadline && copying === 0) {
      await new Promise((r) => setTimeout(r, 50));
      copying = await scalar(
        killed,
        `SELECT count(*) AS v FROM pg_stat_activity WHERE datname = current_database()
          AND query LIKE 'COPY "orderdetails"%'`,
      ).catch(() => 0);
    }
    child.kill('SIGKILL');
    await new Promise((r) => child.once('close', r));
    expect(copying).toBeGreaterThan(0);
    // The server rolls the transaction back once it notices its client is gone.
    let orders = -1;
    for (let i = 0; i < 50 && orders !== 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      orders = await scalar(killed, 'SELECT count(*) AS v FROM orders');
    }
    expect(orders).toBe(0);
    // Users, products, orders and lines were filled in one transaction: all of them are empty.
    expect(await scalar(killed, 'SELECT count(*) AS v FROM orderdetails')).toBe(0);
    expect(await scalar(killed, 'SELECT count(*) AS v FROM users')).toBe(0);
    expect(await scalar(killed, 'SELECT count(*) AS v FROM products')).toBe(0);
    expect(await scalar(killed, 'SELECT count(*) AS v FROM productcategories')).toBe(58);
    expect(
      await scalar(
        killed,
        `SELECT count(*) AS v FROM pg_indexes WHERE tablename IN ('users', 'products', 'orders', 'orderdetails')
          AND indexname LIKE '%updated_at%'`,
      ),
    ).toBe(4);
    const rerun = await runEtl([...args, '--json'], { env: { ETL_PG_URL: killed.pg.url } });
    expect(rerun.code).toBe(0);
    expect(await scalar(killed, 'SELECT count(*) AS v FROM orders')).toBe(60_000);
  });

  it('completes a run killed with SIGKILL midway, with no duplicates and no order without lines', async () => {
    const killed = database();
    const dataset = ['seed', '--users', '2000', '--products', '300', '--orders', '60000', '--seed', '3'];
    const args = [...dataset, '--batch-size', '1500'];
    // The tables hold rows already, so the missing orders go in batches, a transaction each.
    expect(
      (
        await runEtl(['seed', '--users', '2000', '--products', '300', '--orders', '1000', '--seed', '3'], {
          env: { ETL_PG_URL: killed.pg.url },
        })
      ).code,
    ).toBe(0);
    const child = spawn(process.execPath, [ETL_BIN, ...args], {
      env: { ...process.env, ETL_PG_URL: killed.pg.url },
      stdio: 'ignore',
    });
    // Kill it once some more orders are committed and before it is done.
    const deadline = Date.now() + 60_000;
    let seen = 0;
    while (Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      seen = await scalar(killed, 'SELECT count(*) AS v FROM orders').catch(() => 0);
      if (seen > 1000) break;
    }
    child.kill('SIGKILL');
    await new Promise((r) => child.once('close', r));
    expect(seen).toBeGreaterThan(1000);
    const partial = await scalar(killed, 'SELECT count(*) AS v FROM orders');
    expect(partial).toBeLessThan(60_000);
    expect(
      await scalar(
        killed,
        `SELECT count(*) AS v FROM orders o WHERE NOT EXISTS (SELECT 1 FROM orderdetails d
          WHERE d.order_id = o.order_id)`,
      ),
    ).toBe(0);

    const rerun = await runEtl([...args, '--json'], { env: { ETL_PG_URL: killed.pg.url } });
    expect(rerun.code).toBe(0);
    expect((JSON.parse(rerun.stdout) as SeedReport).tables.find((t) => t.table === 'orders')?.added).toBe(
      60_000 - partial,
    );
    expect(await scalar(killed, 'SELECT count(*) AS v FROM orders')).toBe(60_000);
    expect(
      await scalar(
        killed,
        `SELECT count(*) AS v FROM orders o WHERE total_amount <> (SELECT sum(total_price) FROM orderdetails d
          WHERE d.order_id = o.order_id)`,
      ),
    ).toBe(0);

    const reference = database();
    expect((await runEtl(dataset, { env: { ETL_PG_URL: reference.pg.url } })).code).toBe(0);
    expect(await checksums(killed)).toEqual(await checksums(reference));
  });

  it('empties the tables with --reset --yes, and refuses --reset without confirmation in a script', async () => {
    const refused = await seed(one, [...SMALL, '--reset']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('--yes');
    expect(await scalar(one, 'SELECT count(*) AS v FROM orders')).toBe(2000);

    const reset = await seed(one, ['--users', '10', '--products', '5', '--orders', '20', '--reset', '--yes']);
    expect(reset.code).toBe(0);
    expect(await scalar(one, 'SELECT count(*) AS v FROM orders')).toBe(20);
    expect(await scalar(one, 'SELECT count(*) AS v FROM users')).toBe(10);
  });

  it('rejects bad counts and seeds with exit 2, naming the flag, and storing nothing', async () => {
    const fresh = database();
    for (const [args, flag] of [
      [['--users', '-1'], '--users'],
      [['--orders', '2.5'], '--orders'],
      [['--orders', '10', '--products', '0'], '--products'],
      [['--seed', 'abc'], '--seed'],
      [['--orders', '1000000000000'], '--orders'],
    ] as const) {
      const run = await seed(fresh, [...args]);
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stderr).toMatch(new RegExp(`^Error: ${flag}: `, 'm'));
    }
    expect(await scalar(one, 'SELECT count(*) AS v FROM users')).toBe(10);
  });

  it('exits 3 when PostgreSQL cannot be reached', async () => {
    const run = await runEtl(['seed'], { env: { ETL_PG_URL: 'postgres://etl:pw-not-shown@127.0.0.1:1/x' } });
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('PostgreSQL at postgres://etl:****@127.0.0.1:1/x could not be reached');
    expect(run.stderr).not.toContain('pw-not-shown');
  });
});
