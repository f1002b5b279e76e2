/**
 * `etl replicate` and `etl verify` on a database etl did not create: odd names, every type
 * family, text / composite / uuid keys with case and trailing-space variants, a table keyed by
 * a unique index, a keyless table, a partitioned table, a second schema; values compared side
 * by side with PostgreSQL's, not only through etl verify; and the refusals with their exit codes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReplicateReport, VerifyReport } from '@etl/core';
import { withMysql, withPostgres } from '@etl/connectors';
import { throwawayDatabases } from '@etl/connectors/testing';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LONG, OWN_SCHEMA } from '../testing/own-schema.js';
import { runEtl, scratchDir, runJson } from '../testing/run-etl.js';

const dbs = throwawayDatabases(undefined, 'etl_own');
const env = { ETL_PG_URL: dbs.pg.url, ETL_MYSQL_URL: dbs.mysql.url };
const etl = (args: string[]) => runEtl(args, { env });
const json = <T>(args: string[]) => runJson<T>(etl, args);
const pg = async (sql: string) => (await withPostgres(dbs.pg, (c) => c.query(sql))).rows as Record<string, unknown>[];
async function my(sql: string, params: unknown[] = []): Promise<Record<string, unknown>[]> {
  const [rows] = await withMysql(dbs.mysql, (c) => c.query(sql, params));
  return rows as Record<string, unknown>[];
}
const byTable = (r: ReplicateReport) => Object.fromEntries(r.tables.map((t) => [t.table, t]));

let sourceTables: string[];
const sourceTableList = async () =>
  (
    await pg(`SELECT schemaname || '.' || tablename AS t FROM pg_tables WHERE schemaname NOT IN ('pg_catalog',
    'information_schema') ORDER BY 1`)
  ).map((r) => String(r['t']));

beforeAll(async () => {
  await withPostgres(dbs.pg, (c) => c.query(`CREATE DATABASE ${dbs.pg.database}`), { database: 'postgres' });
  await withMysql(dbs.mysql, (c) => c.query(`CREATE DATABASE ${dbs.mysql.database}`), { noDatabase: true });
  await pg(OWN_SCHEMA);
  sourceTables = await sourceTableList();
});
afterAll(() => dbs.drop());

describe('etl replicate on a database etl did not create', () => {
  it('copies every public table, a partitioned one as one table, and creates nothing in PostgreSQL', async () => {
    const { code, body, stderr } = await json<ReplicateReport>(['replicate', '--tables', 'public.*,!refused_dates']);
    expect(stderr).not.toMatch(/Error/);
    expect(code).toBe(0);
    expect(body.tables.map((t) => t.table).sort()).toEqual(
      ['Odd Names', 'composite_keyed', 'customers', 'events', 'keyless', 'text_keyed', 'unique_keyed', 'users'].sort(),
    );
    expect(byTable(body)['events']?.targetRows).toBe(200);
    expect(byTable(body)['keyless']?.targetRows).toBe(3);
    expect(await sourceTableList()).toEqual(sourceTables);
  });

  it('keeps every value exactly: long text, every byte, 4-byte UTF-8, microseconds from New York', async () => {
    const [row] = await my('SELECT LENGTH(note) AS bytes, note, HEX(photo) AS photo, name FROM customers WHERE id = 1');
    expect(Number(row?.['bytes'])).toBe(Buffer.byteLength(LONG));
    expect(row?.['note']).toBe(LONG);
    const [pgPhoto] = await pg(`SELECT upper(encode(photo, 'hex')) AS h FROM customers WHERE id = 1`);
    expect(row?.['photo']).toBe(pgPhoto?.['h']);
    const [second] = await my(
      `SELECT name, note, DATE_FORMAT(seen, '%Y-%m-%d %H:%i:%s.%f') AS seen FROM customers WHERE id = 2`,
    );
    expect(second).toMatchObject({
      name: 'Бо 🚀',
      note: 'form\ffeed\vtab\\back\nline',
      seen: '1970-01-01 00:00:00.000000',
    });
    const [first] = await my(
      `SELECT DATE_FORMAT(seen, '%Y-%m-%d %H:%i:%s.%f') AS seen, email FROM customers WHERE id = 1`,
    );
    // 05:06:07.123456 in New York is 10:06:07.123456 UTC; the email arrives untrimmed (not the shop's).
    expect(first).toMatchObject({ seen: '2026-03-04 10:06:07.123456', email: 'Ann@Example.COM ' });
    const [raw] = await my(`SELECT raw FROM customers WHERE id = 1`);
    expect(raw?.['raw']).toBe('{"a":1, "a":2,  "z" : 0}');
  });

  it("keeps keys PostgreSQL tells apart apart: 'a', 'A', 'a ' and 'é', 'e' are five rows", async () => {
    const rows = await my('SELECT code, v FROM text_keyed ORDER BY v');
    expect(rows.map((r) => r['code'])).toEqual(['a', 'A', 'a ', 'é', 'e', 'tab\tkey', 'back\\slash']);
    expect(await my('SELECT v FROM text_keyed WHERE code = ?', ['a '])).toEqual([{ v: 3 }]);
    expect((await my('SELECT region FROM composite_keyed ORDER BY v')).map((r) => r['region'])).toEqual([
      'EU',
      'eu',
      'EU ',
    ]);
    const keys = await my(
      `SELECT COLUMN_NAME AS c FROM information_schema.KEY_COLUMN_USAGE WHERE TABLE_SCHEMA = DATABASE()
        AND TABLE_NAME = 'unique_keyed' AND CONSTRAINT_NAME = 'PRIMARY' ORDER BY ORDINAL_POSITION`,
    );
    expect(keys.map((k) => k['c'])).toEqual(['a', 'b']);
  });

  it('verify calls equal replicas equal, and finds a changed value under any key type', async () => {
    const tables = 'public.*,!refused_dates';
    const equal = await json<VerifyReport>(['verify', '--tables', tables]);
    expect(equal.body.tables.filter((t) => !t.equal)).toEqual([]);
    expect(equal.code).toBe(0);
    await my(`UPDATE text_keyed SET v = 30 WHERE code = 'a '`);
    await my('UPDATE customers SET note = CONCAT(note, ?) WHERE id = 1', ['!']);
    await my(`UPDATE keyless SET b = 'changed' WHERE b IS NULL`);
    await my('UPDATE `Odd Names` SET `we``ird; col` = ? WHERE `ID` = 1', ['x']);
    const differs = await json<VerifyReport>(['verify', '--tables', tables]);
    expect(differs.code).toBe(4);
    const report = Object.fromEntries(differs.body.tables.map((t) => [t.table, t]));
    expect(report['text_keyed']?.differences).toEqual([{ key: 'a ', problem: 'values differ' }]);
    expect(report['customers']?.differences).toEqual([{ key: '1', problem: 'values differ' }]);
    expect(report['Odd Names']?.differences).toEqual([{ key: '1', problem: 'values differ' }]);
    expect(report['keyless']?.equal).toBe(false);
    expect(report['events']?.equal).toBe(true);
  });

  it('copies incrementally where it can, in full without a key or cursor, and deletes what is gone', async () => {
    await pg(
      `UPDATE customers SET name = 'Ann B.', updated_at = now() WHERE id = 1; DELETE FROM customers WHERE id = 3`,
    );
    await pg(`DELETE FROM text_keyed WHERE code = 'A'`);
    const { code, body } = await json<ReplicateReport>(['replicate', '--tables', 'customers,text_keyed,keyless']);
    expect(code).toBe(0);
    const t = byTable(body);
    expect(t['customers']).toMatchObject({ mode: 'incremental', rows: 1, deleted: 1, targetRows: 2 });
    expect(t['text_keyed']).toMatchObject({ mode: 'full', note: 'no updated_at column: full copy', targetRows: 6 });
    expect(t['keyless']).toMatchObject({ mode: 'full', note: 'no key: full copy' });
    expect((await my('SELECT name FROM customers WHERE id = 1'))[0]?.['name']).toBe('Ann B.');
    const verify = await json<VerifyReport>(['verify', '--tables', 'customers,text_keyed,keyless']);
    expect(verify.body.tables.filter((r) => !r.equal)).toEqual([]);
  });

  it('names other schemas schema__table, only when asked for', async () => {
    const { code, body } = await json<ReplicateReport>(['replicate', '--tables', 'sales.*']);
    expect(code).toBe(0);
    expect(body.tables.map((t) => t.table)).toEqual(['sales__orders']);
    expect(await my('SELECT id, CAST(total AS CHAR) AS total FROM sales__orders ORDER BY id')).toEqual([
      { id: 1, total: '10.00' },
      { id: 2, total: '20.50' },
    ]);
  });
});

describe('etl replicate refuses what it cannot carry exactly', () => {
  it('never creates or seeds the demo shop in a database that has a users table of its own (exit 2)', async () => {
    // init adds etl's own state, apart in schema etl_state, and nothing of the shop's.
    const init = await etl(['init']);
    expect(init.code, init.stderr).toBe(0);
    const state = ['etl_state.run_tasks', 'etl_state.runs', 'etl_state.schema_migrations', 'etl_state.stream_offsets'];
    expect((await sourceTableList()).sort()).toEqual([...sourceTables, ...state].sort());
    const seed = await etl(['seed', '--users', '10', '--products', '5', '--orders', '10']);
    expect(seed.code, seed.stderr).toBe(2);
    expect(seed.stderr).toMatch(
      /already holds public\.users, which etl did not create: etl seed and etl stream never write/,
    );
    expect((await sourceTableList()).sort()).toEqual([...sourceTables, ...state].sort());
    expect(await pg('SELECT handle FROM users')).toEqual([{ handle: 'Ann@Example.COM ' }]);
    expect((await my('SELECT handle FROM users'))[0]?.['handle']).toBe('Ann@Example.COM ');
  });

  it('stops on a date MySQL cannot hold (exit 4), naming table, column, key and value; swaps nothing in', async () => {
    const run = await etl(['replicate', '--tables', 'refused_dates']);
    expect(run.code).toBe(4);
    expect(run.stderr).toMatch(/refused_dates\.d, key id=2: the value "0999-12-31" cannot be stored in MySQL date/);
    expect(run.stderr).toMatch(/as_text/);
    expect(await my(`SHOW TABLES LIKE 'refused_dates'`)).toEqual([]);
  });

  it('refuses names MySQL would merge or cannot hold (exit 2), naming them', async () => {
    const clash = await etl(['replicate', '--tables', 'clash.*']);
    expect(clash.code).toBe(2);
    expect(clash.stderr).toMatch(/columns "ID" and "id" would both be MySQL column "id"/);
    const long = await etl(['replicate', '--tables', 'far_away_schema.*']);
    expect(long.code).toBe(2);
    expect(long.stderr).toMatch(/its MySQL name "far_away_schema__t+" is 77 characters long \(MySQL allows 64\)/);
  });

  it('refuses incremental copies of a table without a key (exit 2) and a pattern that matches nothing', async () => {
    await json(['replicate', '--tables', 'keyless']);
    const incremental = await etl(['replicate', '--tables', 'keyless', '--mode', 'incremental']);
    expect(incremental.code).toBe(2);
    expect(incremental.stderr).toMatch(/keyless: no primary key or unique index over NOT NULL columns/);
    const none = await etl(['replicate', '--tables', 'custmers']);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/"custmers" \(did you mean customers\?\) matches no table/);
  });
});

describe('the settings file', () => {
  it('stores a refused column as text, keys a keyless table, renames a table: read from ./etl.yaml', async () => {
    const cwd = scratchDir();
    writeFileSync(
      join(cwd, 'etl.yaml'),
      `tables:
  refused_dates:
    as_text: [d]
  keyless:
    key: [a, b]
    target: keyless_keyed
`,
    );
    // keyless holds (1, 'dup') twice: with a key of its own it is refused as a duplicate, never merged.
    await pg(
      `DELETE FROM keyless WHERE ctid = (SELECT max(ctid) FROM keyless WHERE a = 1);
       UPDATE keyless SET b = 'x' WHERE b IS NULL`,
    );
    const run = await runEtl(['replicate', '--tables', 'refused_dates,keyless', '--json'], { env, cwd });
    expect(run.code, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout) as ReplicateReport;
    expect(report.tables.map((t) => t.table).sort()).toEqual(['keyless_keyed', 'refused_dates']);
    expect(await my('SELECT id, d FROM refused_dates ORDER BY id')).toEqual([
      { id: 1, d: '2026-01-01' },
      { id: 2, d: '0999-12-31' },
      { id: 3, d: 'infinity' },
    ]);
    const verify = await runEtl(['verify', '--tables', 'refused_dates,keyless', '--json'], { env, cwd });
    expect(verify.code, verify.stdout).toBe(0);
    expect(report.tables.find((t) => t.table === 'refused_dates')?.stored).toEqual([
      { column: 'd', pgType: 'date', mysqlType: 'longtext', storage: 'text', note: expect.any(String) },
    ]);
  });

  it('reports every problem of a bad file at once, with its line, before anything runs (exit 2)', async () => {
    const cwd = scratchDir();
    writeFileSync(join(cwd, 'bad.yaml'), 'tables:\n  customers:\n    mode: sometimes\n    as_txt: [note]\n');
    const run = await runEtl(['replicate', '--config', 'bad.yaml'], { env, cwd });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('bad.yaml:3: mode must be full or incremental, not "sometimes"');
    expect(run.stderr).toContain('bad.yaml:4: unknown setting "as_txt" (did you mean as_text?)');
    const missing = await runEtl(['verify', '--config', 'nope.yaml'], { env, cwd });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--config: nope.yaml does not exist');
  });
});
