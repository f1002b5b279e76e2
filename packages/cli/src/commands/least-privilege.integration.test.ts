/**
 * etl as a database administrator would let it run: a PostgreSQL role that is no superuser and
 * a MySQL user with no global privilege, created by exactly the statements
 * `etl init --print-grants` prints. The main commands work as those users; a user lacking a
 * grant is told which one and how to grant it (doctor, replicate), exit 2.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DoctorReport, VerifyReport } from '@etl/core';
import { withMysql, withPostgres } from '@etl/connectors';
import { throwawayDatabases } from '@etl/connectors/testing';
import type { GrantsReport } from './init.js';
import { etlEnv, runEtl } from '../testing/run-etl.js';

const dbs = throwawayDatabases(undefined, 'etl_lp');
const user = `${dbs.pg.database}_app`;
const password = `Lp-${randomBytes(6).toString('hex')}`;
const as = (base: string) => {
  const url = new URL(base);
  url.username = user;
  url.password = password;
  return url.toString();
};
const env = { ...etlEnv(dbs), ETL_PG_URL: as(dbs.pg.url), ETL_MYSQL_URL: as(dbs.mysql.url) };
const etl = (args: string[]) => runEtl(args, { env, timeoutMs: 120_000 });
const ok = async (args: string[]) => {
  const run = await etl(args);
  expect(run.code, `etl ${args.join(' ')}: ${run.stderr}`).toBe(0);
  return run;
};
/** Runs an administrator's statements (comments left out), the password put in its place. */
const statements = (lines: readonly string[]) =>
  lines.filter((l) => !l.startsWith('--')).map((l) => l.replace(`'<password>'`, `'${password}'`));
const asPostgresAdmin = (sql: string) => withPostgres(dbs.pg, (c) => c.query(sql), { database: 'postgres' });
const asMysqlAdmin = (sql: string) => withMysql(dbs.mysql, (c) => c.query(sql), { noDatabase: true });

beforeAll(async () => {
  // Printed without connecting anywhere: the URLs could point at nothing at all.
  const printed = await runEtl(['init', '--print-grants', '--json'], {
    env: { ...env, ETL_PG_URL: `postgres://${user}:${password}@127.0.0.1:1/${dbs.pg.database}` },
  });
  expect(printed.code).toBe(0);
  expect(printed.stdout).not.toContain(password);
  const { grants } = JSON.parse(printed.stdout) as GrantsReport;
  for (const sql of statements(grants.postgres)) await asPostgresAdmin(sql);
  for (const sql of statements(grants.mysql)) await asMysqlAdmin(sql);
});
afterAll(async () => {
  await dbs.drop();
  await asPostgresAdmin(`DROP ROLE IF EXISTS "${user}"`);
  await asMysqlAdmin(`DROP USER IF EXISTS '${user}'@'%'`);
});

describe('least privilege', () => {
  it('grants no superuser and no global MySQL privilege', async () => {
    const role = await asPostgresAdmin(
      `SELECT rolsuper, rolcreatedb, rolcreaterole FROM pg_roles WHERE rolname = '${user}'`,
    );
    expect(role.rows).toEqual([{ rolsuper: false, rolcreatedb: false, rolcreaterole: false }]);
    const [global] = (await asMysqlAdmin(
      `SELECT PRIVILEGE_TYPE AS p FROM information_schema.USER_PRIVILEGES WHERE GRANTEE = '''${user}''@''%'''`,
    )) as unknown as [{ p: string }[]];
    expect(global.map((r) => r.p)).toEqual(['USAGE']);
  });

  it('runs every main command as those users', async () => {
    const doctor = JSON.parse((await ok(['doctor', '--json'])).stdout) as DoctorReport;
    expect(doctor.services.flatMap((s) => s.missing)).toEqual([]);
    await ok(['init']);
    await ok(['seed', '--users', '300', '--products', '40', '--orders', '2000']);
    await ok(['replicate']);
    await withPostgres(dbs.pg, (c) => c.query(`UPDATE orders SET status = 'Shipped' WHERE order_id <= 100`));
    await ok(['replicate', '--mode', 'incremental']);
    await ok(['marts']);
    await ok(['produce', '--count', '500']);
    await ok(['stream']);
    await ok(['cdc', 'capture']);
    await withPostgres(dbs.pg, (c) => c.query(`UPDATE orders SET status = 'Completed' WHERE order_id <= 50`));
    await ok(['cdc', 'capture']);
    await ok(['cdc', 'apply']);
    await ok(['cdc', 'reset', '--yes']);
    await ok(['pipeline', '--users', '300', '--products', '40', '--orders', '2000', '--events', '200']);
    const verify = JSON.parse((await ok(['verify', '--json'])).stdout) as VerifyReport;
    expect(verify.tables.filter((t) => !t.equal)).toEqual([]);
  });

  it('names each missing privilege with its grant (doctor, replicate: exit 2)', async () => {
    await asPostgresAdmin(`REVOKE pg_read_all_stats FROM "${user}"`);
    await asMysqlAdmin(`REVOKE DELETE ON \`${dbs.mysql.database.replace(/_/g, '\\_')}\`.* FROM '${user}'@'%'`);
    try {
      const doctor = await etl(['doctor']);
      expect(doctor.code, doctor.stdout + doctor.stderr).toBe(2);
      expect(doctor.stdout).toMatch(/PostgreSQL pg_read_all_stats .*GRANT pg_read_all_stats TO "/);
      expect(doctor.stdout).toMatch(/MySQL DELETE on .*GRANT DELETE ON `/);
      expect(doctor.stderr).toMatch(/^Error: 2 privileges are missing: PostgreSQL pg_read_all_stats, MySQL DELETE/m);
      const replicate = await etl(['replicate', '--mode', 'incremental']);
      expect(replicate.code).toBe(2);
      expect(replicate.stderr).toMatch(/^Error: replicate needs to see when every session's transaction began/m);
      expect(replicate.stderr).toMatch(/GRANT pg_read_all_stats TO/);
      for (const run of [doctor, replicate]) expect(run.stdout + run.stderr).not.toContain(password);
    } finally {
      await asPostgresAdmin(`GRANT pg_read_all_stats TO "${user}"`);
    }
  });
});
