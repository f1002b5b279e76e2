/**
 * A cdc snapshot killed halfway through a large table (real PostgreSQL, Kafka and MariaDB):
 * the next capture resumes from the chunks done, brings them level with the rows the
 * application changed in the meantime (read from the slot without consuming it), and the
 * replica ends equal to the source, with every later change applied exactly once.
 */
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApplyReport, CaptureReport, VerifyReport } from '@etl/core';
import { withMysql, withPostgres } from '@etl/connectors';
import { throwawayDatabases } from '@etl/connectors/testing';
import { ETL_BIN, etlEnv, runEtl, scratchDir, okJson } from '../../testing/run-etl.js';

const dbs = throwawayDatabases(undefined, 'etl_cdcresume');
const env = etlEnv(dbs);
const cwd = scratchDir();
const etl = (args: string[]) => runEtl(args, { env, cwd, timeoutMs: 120_000 });
const json = <T>(args: string[]) => okJson<T>(etl, args);
const pg = async (sql: string) => (await withPostgres(dbs.pg, (c) => c.query(sql))).rows as Record<string, unknown>[];
async function my(sql: string): Promise<Record<string, unknown>[]> {
  const [rows] = await withMysql(dbs.mysql, (c) => c.query(sql));
  return rows as Record<string, unknown>[];
}

const TABLES = 'ledger,notes';
// Small chunks, one at a time: the kill lands between chunks of the ledger.
const CAPTURE = ['cdc', 'capture', '--tables', TABLES, '--chunk-rows', '1500', '--concurrency', '1'];

beforeAll(async () => {
  await withPostgres(dbs.pg, (c) => c.query(`CREATE DATABASE ${dbs.pg.database}`), { database: 'postgres' });
  await withMysql(dbs.mysql, (c) => c.query(`CREATE DATABASE ${dbs.mysql.database}`), { noDatabase: true });
  // Keyed by text and date, with keys PostgreSQL and MySQL order differently.
  await pg(`CREATE TABLE ledger (code text, day date, note text, amount numeric(14,2), PRIMARY KEY (code, day));
    INSERT INTO ledger
      SELECT (ARRAY['a', 'A', 'a ', 'é', 'Z'])[g % 5 + 1] || (g / 5)::text, date '2000-01-01' + g % 9000,
             repeat('n', g % 400), g / 7.0
        FROM generate_series(1, 40000) g;
    CREATE TABLE notes (id int PRIMARY KEY, v text);
    INSERT INTO notes SELECT g, 'v' || g FROM generate_series(1, 10) g;`);
});
afterAll(async () => {
  await etl(['cdc', 'reset', '--yes']);
  await dbs.drop();
});

describe('a cdc snapshot killed halfway', () => {
  it('resumes from its chunks done, carries what changed meanwhile, and ends equal', async () => {
    const child = spawn(process.execPath, [ETL_BIN, ...CAPTURE], {
      cwd,
      env: { ...process.env, ...env },
      stdio: 'ignore',
    });
    const closed = new Promise((resolve) => child.once('close', resolve));
    let chunks = 0;
    for (let i = 0; i < 3000 && chunks < 3; i++) {
      await new Promise((r) => setTimeout(r, 20));
      chunks = Number(
        (await my(`SELECT COUNT(*) AS n FROM etl_replication_chunks WHERE table_name = 'ledger'`).catch(() => []))[0]?.[
          'n'
        ] ?? 0,
      );
    }
    child.kill('SIGKILL');
    await closed;
    expect(chunks).toBeGreaterThanOrEqual(3);
    const done = await my(`SELECT chunk FROM etl_replication_chunks WHERE table_name = 'ledger' ORDER BY chunk`);
    expect(done.length).toBeLessThan(27);

    // The application goes on while no capture runs: rows of chunks done and of chunks to come
    // change, go, arrive, and one changes its key.
    await pg(`BEGIN;
      UPDATE ledger SET note = 'changed while down' WHERE amount::int % 11 = 0;
      DELETE FROM ledger WHERE amount::int % 13 = 1;
      INSERT INTO ledger (code, day, note) VALUES ('a0', '1999-12-31', 'arrived'), ('zz', '2030-01-01', 'late');
      UPDATE ledger SET code = 'moved' WHERE code = 'A2' AND day = '2000-01-12';
      UPDATE notes SET v = 'while down' WHERE id = 3;
      COMMIT`);

    const capture = await json<CaptureReport>(CAPTURE);
    const ledger = capture.snapshots.find((s) => s.table === 'ledger');
    expect(ledger?.resumedChunks).toBe(done.length);
    expect(ledger?.chunks).toBeGreaterThan(done.length);
    expect(ledger?.caughtUp).toBeGreaterThan(0);
    await json<ApplyReport>(['cdc', 'apply']);
    let verify = await json<VerifyReport>(['verify', '--tables', TABLES]);
    expect(verify.tables.filter((t) => !t.equal)).toEqual([]);
    expect(await my(`SELECT note FROM ledger WHERE code = 'moved'`)).toHaveLength(1);

    // Streaming from where the first attempt's slot stood: every change after the snapshot once.
    await pg(`UPDATE ledger SET amount = amount + 1 WHERE amount::int % 17 = 2;
      DELETE FROM ledger WHERE code = 'a0'; INSERT INTO notes VALUES (11, 'after')`);
    const next = await json<CaptureReport>(['cdc', 'capture']);
    expect(next.snapshots).toEqual([]);
    await json<ApplyReport>(['cdc', 'apply']);
    verify = await json<VerifyReport>(['verify', '--tables', TABLES]);
    expect(verify.tables.filter((t) => !t.equal)).toEqual([]);
    expect(
      await my(`SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_NAME LIKE '%\\_\\_etl\\_%'
      AND TABLE_SCHEMA = DATABASE()`),
    ).toEqual([]);
  });
});
