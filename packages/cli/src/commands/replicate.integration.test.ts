import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReplicateReport, VerifyReport } from '@etl/core';
import { withMysql, withPostgres } from '@etl/connectors';
import { throwawayDatabases } from '@etl/connectors/testing';
import { ETL_BIN, runEtl, runJson } from '../testing/run-etl.js';

const dbs = throwawayDatabases();
afterAll(() => dbs.drop());
const env = { ETL_PG_URL: dbs.pg.url, ETL_MYSQL_URL: dbs.mysql.url };
const etl = (args: string[]) => runEtl(args, { env });
const json = <T>(args: string[]) => runJson<T>(etl, args);
const pg = (sql: string) => withPostgres(dbs.pg, (c) => c.query(sql));
type Row = Record<string, unknown>;
async function my(sql: string): Promise<Row[]> {
  const [rows] = await withMysql(dbs.mysql, (c) => c.query(sql));
  return rows as Row[];
}
const myCount = async (table: string) => Number((await my(`SELECT COUNT(*) AS n FROM ${table}`))[0]?.['n']);
const byTable = (r: ReplicateReport) => Object.fromEntries(r.tables.map((t) => [t.table, t]));

beforeAll(async () => {
  expect((await etl(['init'])).code).toBe(0);
  expect((await etl(['seed', '--users', '400', '--products', '80', '--orders', '30000'])).code).toBe(0);
});

describe('etl replicate and etl verify', () => {
  it('copies every table in full the first time, and verify finds them equal', async () => {
    const { code, body } = await json<ReplicateReport>(['replicate']);
    expect(code).toBe(0);
    const t = byTable(body);
    expect(Object.keys(t)).toEqual([
      'productcategories',
      'users',
      'products',
      'orders',
      'orderdetails',
      'kafka_events',
    ]);
    expect(body.tables.every((r) => r.mode === 'full')).toBe(true);
    expect(t['orders']?.targetRows).toBe(30_000);
    expect(await myCount('orderdetails')).toBe(t['orderdetails']?.rows);
    const verify = await json<VerifyReport>(['verify']);
    expect(verify.code).toBe(0);
    expect(verify.body.equal).toBe(true);
  });

  it('keeps keys, indexes, UTC timestamps and exact decimals', async () => {
    const indexes = await my(
      `SELECT DISTINCT INDEX_NAME AS i FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE()
        AND TABLE_NAME = 'orderdetails' ORDER BY 1`,
    );
    expect(indexes.map((r) => r['i'])).toEqual(['orderdetails_order_id_idx', 'orderdetails_product_id_idx', 'PRIMARY']);
    const [source] = (
      await pg(
        `SELECT to_char(order_date AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') AS d, total_amount::text AS t
          FROM orders WHERE order_id = 777`,
      )
    ).rows as { d: string; t: string }[];
    const [target] = await my(
      `SELECT DATE_FORMAT(order_date, '%Y-%m-%d %H:%i:%s.%f') AS d, CAST(total_amount AS CHAR) AS t FROM orders
        WHERE order_id = 777`,
    );
    expect(target).toMatchObject({ d: source?.d, t: source?.t });
  });

  it('changes nothing when rerun: incremental, nothing copied', async () => {
    const before = await my(`SELECT COUNT(*) AS n, SUM(total_amount) AS s, MAX(updated_at) AS u FROM orders`);
    const { code, body } = await json<ReplicateReport>(['replicate']);
    expect(code).toBe(0);
    expect(body.tables.every((t) => t.mode === 'incremental' && t.deleted === 0)).toBe(true);
    expect(byTable(body)['orderdetails']?.rows).toBe(0);
    expect(await my(`SELECT COUNT(*) AS n, SUM(total_amount) AS s, MAX(updated_at) AS u FROM orders`)).toEqual(before);
  });

  it('brings over inserts, updates and deletes made with plain SQL', async () => {
    await pg(`UPDATE orders SET status = 'Cancelled', delivery_date = NULL WHERE order_id % 500 = 0`);
    await pg(`INSERT INTO users VALUES (100001, 'Zoë', 'Quinn', '  Zoe.Quinn@EXAMPLE.org ', NULL, now(), 'Gold')`);
    await pg(`DELETE FROM orderdetails WHERE order_id BETWEEN 10 AND 12`);
    await pg(`UPDATE orders SET total_amount = 0 WHERE order_id BETWEEN 10 AND 12`);
    const { code, body } = await json<ReplicateReport>(['replicate']);
    expect(code).toBe(0);
    const t = byTable(body);
    expect(t['orders']).toMatchObject({ mode: 'incremental', rows: 63 });
    expect(t['users']?.rows).toBe(1);
    expect(t['orderdetails']?.deleted).toBeGreaterThanOrEqual(3);
    expect((await my(`SELECT email FROM users WHERE user_id = 100001`))[0]?.['email']).toBe('zoe.quinn@example.org');
    expect((await my(`SELECT status FROM orders WHERE order_id = 1000`))[0]?.['status']).toBe('Cancelled');
    expect((await json<VerifyReport>(['verify'])).code).toBe(0);
  });

  it('leaves deleted rows with --no-deletes, and verify names them', async () => {
    await pg(`DELETE FROM orderdetails WHERE order_id = 20`);
    expect((await etl(['replicate', '--tables', 'orderdetails', '--no-deletes'])).code).toBe(0);
    const verify = await etl(['verify', '--tables', 'orderdetails']);
    expect(verify.code).toBe(4);
    expect(verify.stderr).toMatch(/orderdetails differs: .*\(extra in MySQL\)/);
    expect((await etl(['replicate', '--tables', 'orderdetails'])).code).toBe(0);
    expect((await etl(['verify', '--tables', 'orderdetails'])).code).toBe(0);
  });

  it('catches a deliberately altered target row and names its key', async () => {
    await my(`UPDATE orders SET total_amount = total_amount + 1 WHERE order_id = 12345`);
    const verify = await etl(['verify']);
    expect(verify.code).toBe(4);
    expect(verify.stderr).toContain('orders differs');
    expect(verify.stderr).toContain('12345 (values differ)');
    const body = JSON.parse((await etl(['verify', '--json'])).stdout) as VerifyReport;
    const orders = body.tables.find((t) => t.table === 'orders');
    expect(orders?.differences).toEqual([{ key: '12345', problem: 'values differ' }]);
    expect(orders?.differingRanges).toBe(1);
    expect(body.tables.filter((t) => !t.equal).map((t) => t.table)).toEqual(['orders']);
    expect((await etl(['replicate', '--mode', 'full', '--tables', 'orders'])).code).toBe(0);
    expect((await etl(['verify'])).code).toBe(0);
  });

  it(
    'swaps atomically: readers always see the old or the new table, and a run killed during the stage load ' +
      'leaves the target intact',
    async () => {
      const rows = await myCount('orderdetails');
      // A reader that counts all the time during a full copy.
      let reading = true;
      const seen = new Set<number>();
      const errors: string[] = [];
      const reader = (async () => {
        while (reading) {
          try {
            seen.add(await myCount('orderdetails'));
          } catch (error) {
            errors.push(String(error));
          }
        }
      })();
      const full = await etl(['replicate', '--mode', 'full', '--tables', 'orderdetails']);
      reading = false;
      await reader;
      expect(full.code).toBe(0);
      expect(errors).toEqual([]);
      expect([...seen]).toEqual([rows]);

      // Now kill one in the middle of loading its stage table.
      const child = spawn(process.execPath, [ETL_BIN, 'replicate', '--mode', 'full', '--tables', 'orderdetails'], {
        env: { ...process.env, ...env },
        stdio: 'ignore',
      });
      let staged = false;
      for (let i = 0; i < 400 && !staged; i++) {
        await new Promise((r) => setTimeout(r, 10));
        staged =
          (
            await my(
              `SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()
              AND TABLE_NAME = 'orderdetails__etl_stage'`,
            )
          ).length > 0;
      }
      child.kill('SIGKILL');
      await new Promise((r) => child.once('close', r));
      expect(staged).toBe(true);
      expect(await myCount('orderdetails')).toBe(rows);
      const rerun = await json<ReplicateReport>(['replicate', '--mode', 'full', '--tables', 'orderdetails']);
      expect(rerun.code).toBe(0);
      expect(
        await my(
          `SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()
          AND TABLE_NAME LIKE '%\\_\\_etl\\_%'`,
        ),
      ).toEqual([]);
      expect((await etl(['verify'])).code).toBe(0);
    },
  );

  it('masks columns deterministically, keeps joins working, and verify still proves equality', async () => {
    await pg(`INSERT INTO users VALUES (100002, 'Ann', 'Other', 'zoe.quinn@example.org', NULL, now(), 'None')`).catch(
      () => undefined,
    );
    const masked = await json<ReplicateReport>(['replicate', '--tables', 'users', '--mask', 'users.email,users.phone']);
    expect(masked.code).toBe(0);
    expect(byTable(masked.body)['users']).toMatchObject({ mode: 'full', note: 'masked columns changed: full copy' });
    const rows = await my(`SELECT email, phone FROM users WHERE user_id IN (1, 2, 100001)`);
    for (const r of rows) {
      expect(r['email']).toMatch(/^masked_[0-9a-f]{24}$/);
      if (r['phone'] !== null) expect(r['phone']).toMatch(/^masked_/);
    }
    expect(await myCount(`users u JOIN orders o ON o.user_id = u.user_id`)).toBe(30_000);
    expect((await etl(['verify', '--tables', 'users'])).code).toBe(0);
    const again = await json<ReplicateReport>(['replicate', '--tables', 'users', '--mask', 'users.email,users.phone']);
    expect(byTable(again.body)['users']?.mode).toBe('incremental');
  });

  it('keeps masks on later runs, shows them, and unmasks only when confirmed', async () => {
    const emails = async () =>
      (await my(`SELECT email, phone FROM users WHERE user_id IN (1, 2, 3)`)) as {
        email: string;
        phone: string | null;
      }[];
    const plain = await json<ReplicateReport>(['replicate', '--tables', 'users']);
    expect(plain.code).toBe(0);
    expect(byTable(plain.body)['users']).toMatchObject({ mode: 'incremental', masked: ['users.email', 'users.phone'] });
    expect((await emails()).every((r) => r.email.startsWith('masked_'))).toBe(true);
    const verify = await json<VerifyReport>(['verify', '--tables', 'users']);
    expect(verify.body.tables[0]?.masked).toEqual(['users.email', 'users.phone']);
    expect((await etl(['verify', '--tables', 'users'])).stdout).toMatch(/email, phone/);

    const refused = await etl(['replicate', '--tables', 'users', '--unmask', 'users.phone']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('users.phone to MySQL in clear');
    expect(refused.stderr).toContain('--yes');
    const narrower = await etl(['replicate', '--tables', 'users', '--mask', 'users.email']);
    expect(narrower.code).toBe(2);
    expect((await emails()).every((r) => r.phone === null || r.phone.startsWith('masked_'))).toBe(true);

    const unmasked = await json<ReplicateReport>([
      'replicate',
      '--tables',
      'users',
      '--unmask',
      'users.phone',
      '--yes',
    ]);
    expect(unmasked.code).toBe(0);
    expect(byTable(unmasked.body)['users']).toMatchObject({ mode: 'full', masked: ['users.email'] });
    const rows = await emails();
    expect(
      rows.every((r) => r.email.startsWith('masked_') && (r.phone === null || !r.phone.startsWith('masked_'))),
    ).toBe(true);
    expect((await etl(['verify', '--tables', 'users'])).code).toBe(0);
  });

  it('replicates an email with a tab around it as trimmed, and verify agrees the replica is equal', async () => {
    await pg(`INSERT INTO users VALUES (100003, 'Tab', 'Case', E'\tTab.Case@Example.org \n', NULL, now(), 'None')`);
    expect((await etl(['replicate', '--tables', 'users', '--unmask', 'users.email', '--yes'])).code).toBe(0);
    expect(await my(`SELECT email FROM users WHERE user_id = 100003`)).toEqual([{ email: 'tab.case@example.org' }]);
    const verify = await etl(['verify', '--tables', 'users']);
    expect(verify.stderr).toBe('');
    expect(verify.code).toBe(0);
  });

  it('rejects unknown tables and masks with exit 2, listing the valid names', async () => {
    const run = await etl(['replicate', '--tables', 'users,ordrs']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--tables: "ordrs" (did you mean orders?) matches no table');
    expect(run.stderr).toContain('here: productcategories, users, products, orders, orderdetails, kafka_events.');
    expect((await etl(['verify', '--tables', 'nope'])).code).toBe(2);
    expect((await etl(['replicate', '--mask', 'users.emial'])).stderr).toContain('did you mean users.email');
  });

  it('exits 3 when MySQL or PostgreSQL cannot be reached', async () => {
    const mysqlDown = await runEtl(['replicate'], {
      env: { ...env, ETL_MYSQL_URL: 'mysql://etl:secret-pw-x@127.0.0.1:1/x' },
    });
    expect(mysqlDown.code).toBe(3);
    expect(mysqlDown.stderr).not.toContain('secret-pw-x');
    const pgDown = await runEtl(['verify'], { env: { ...env, ETL_PG_URL: 'postgres://etl:etl@127.0.0.1:1/x' } });
    expect(pgDown.code).toBe(3);
  });
});
