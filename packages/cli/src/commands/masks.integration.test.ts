/**
 * Masks stay in force through every path that writes MySQL: a full copy, incremental runs
 * after updates and new rows, the pipeline, a forced full copy and the marts. After each, no
 * value of a masked PostgreSQL column appears anywhere in the MySQL database.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withPostgres } from '@etl/connectors';
import { throwawayDatabases } from '@etl/connectors/testing';
import { etlEnv, runEtl } from '../testing/run-etl.js';
import { mysqlRows } from '../testing/stored.js';

const dbs = throwawayDatabases();
afterAll(() => dbs.drop());
const env = etlEnv(dbs);
const etl = async (args: string[]) => {
  const run = await runEtl(args, { env });
  expect(run.code, `etl ${args.join(' ')}: ${run.stderr}`).toBe(0);
};

/** Every masked value PostgreSQL holds now (emails and phones of all users). */
const secrets = () =>
  withPostgres(dbs.pg, async (c) => {
    const r = await c.query<{ v: string }>(
      `SELECT email AS v FROM users UNION SELECT phone FROM users WHERE phone IS NOT NULL`,
    );
    return new Set(r.rows.map((row) => row.v));
  });

/** Every value of every table in the MySQL database that is one of `values`. */
const leaks = async (values: Set<string>) =>
  (await mysqlRows(dbs.mysql)).flatMap(({ table, cells }) =>
    cells.filter((cell) => typeof cell === 'string' && values.has(cell)).map((cell) => `${table}: ${String(cell)}`),
  );

const pg = (sql: string) => withPostgres(dbs.pg, (c) => c.query(sql));

beforeAll(async () => {
  await etl(['init']);
  await etl(['seed', '--users', '300', '--products', '40', '--orders', '3000']);
});

describe('masked columns never reach MySQL', () => {
  it('holds through full, incremental, pipeline, forced full and marts runs', async () => {
    await etl(['replicate', '--mask', 'users.email,users.phone']);
    expect(await leaks(await secrets())).toEqual([]);

    await pg(`UPDATE users SET email = 'changed.' || user_id || '@example.org', phone = '+1 555 0100'
               WHERE user_id % 7 = 0`);
    await etl(['replicate']);
    expect(await leaks(await secrets())).toEqual([]);

    await etl(['seed', '--users', '350', '--products', '40', '--orders', '3500']);
    await etl(['pipeline', '--users', '400', '--products', '40', '--orders', '4000', '--events', '200']);
    expect(await leaks(await secrets())).toEqual([]);

    await etl(['replicate', '--mode', 'full', '--tables', 'users']);
    await etl(['marts']);
    const all = await secrets();
    expect(all.size).toBeGreaterThan(400);
    expect(await leaks(all)).toEqual([]);
  });
});
