/**
 * `etl cdc` on a database etl did not create (real PostgreSQL, Kafka and MariaDB): odd table and
 * column names, a second schema, text / uuid / bytea keys with case and trailing-space variants,
 * a partitioned table, values of every family, a column renamed by the settings file; the tables
 * cdc cannot follow refused before anything is published. After each step: verify equal, and
 * values compared side by side with PostgreSQL's.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApplyReport, CaptureReport, CdcStatus, VerifyReport } from '@etl/core';
import { createKafka, withMysql, withPostgres } from '@etl/connectors';
import { TEST_KAFKA_BROKERS, throwawayDatabases } from '@etl/connectors/testing';
import { etlEnv, runEtl, scratchDir, okJson } from '../../testing/run-etl.js';

const dbs = throwawayDatabases(undefined, 'etl_owncdc');
const env = etlEnv(dbs);
const cwd = scratchDir();
const etl = (args: string[]) => runEtl(args, { env, cwd, timeoutMs: 120_000 });
const json = <T>(args: string[]) => okJson<T>(etl, args);
const pg = async (sql: string, params: unknown[] = []) =>
  (await withPostgres(dbs.pg, (c) => c.query(sql, params))).rows as Record<string, unknown>[];
async function my(sql: string, params: unknown[] = []): Promise<Record<string, unknown>[]> {
  const [rows] = await withMysql(dbs.mysql, (c) => c.query(sql, params));
  return rows as Record<string, unknown>[];
}

const TABLES = `public.*,sales.*,!keyless,!unique_keyed`;
const LONG = 'ü'.repeat(50_000) + ' end';

const SCHEMA = `
CREATE SCHEMA sales;
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy 😀');
CREATE TABLE "Order Lines" (
  "Code" text, id uuid, photo bytea, note text, qty numeric(12,3), seen timestamptz, tags text[], payload jsonb,
  mood mood, "ID" int, PRIMARY KEY ("Code", id));
CREATE TABLE bytes_keyed (k bytea PRIMARY KEY, v text);
CREATE TABLE events (id int, day date, v text, PRIMARY KEY (id, day)) PARTITION BY RANGE (day);
CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE TABLE events_2026 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
CREATE TABLE sales.orders (id int PRIMARY KEY, total numeric(12,2), updated_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE unique_keyed (a int NOT NULL, b text NOT NULL, v text, UNIQUE (a, b));
CREATE TABLE keyless (a int, b text);
INSERT INTO "Order Lines" VALUES
  ('a', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '\\x00ff', '${LONG}', 1.500, '2026-01-02 03:04:05.123456+00',
   ARRAY['x', NULL], '{"b": 1, "a": [1.50]}', 'happy 😀', 1),
  ('A', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', NULL, 'second', 0, NULL, '{}', NULL, 'sad', 2),
  ('a ', 'b0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '\\x', '', -0.001, '1970-01-01 00:00:00+00', NULL, '[]', NULL, 3);
INSERT INTO bytes_keyed VALUES ('\\x00', 'zero'), ('\\x0000', 'two zeros'), ('\\xff', 'ff');
INSERT INTO events SELECT i, DATE '2025-06-01' + (i * 2), 'e' || i FROM generate_series(1, 100) AS i;
INSERT INTO sales.orders VALUES (1, 10.00), (2, 20.50);
INSERT INTO unique_keyed VALUES (1, 'k', 'v');
INSERT INTO keyless VALUES (1, 'dup'), (1, 'dup');
`;

const publications = async () => (await pg('SELECT pubname FROM pg_publication')).map((r) => r['pubname']);
const slots = async () =>
  (await pg('SELECT slot_name FROM pg_replication_slots WHERE database = $1', [dbs.pg.database])).length;

/** capture (drain), apply (drain), verify of the captured tables: equal. */
async function settle(): Promise<{ capture: CaptureReport; apply: ApplyReport }> {
  const capture = await json<CaptureReport>(['cdc', 'capture', '--tables', TABLES]);
  const apply = await json<ApplyReport>(['cdc', 'apply']);
  const verify = await json<VerifyReport>(['verify', '--tables', TABLES]);
  expect(verify.tables.filter((t) => !t.equal)).toEqual([]);
  expect(verify.tables.map((t) => t.table).sort()).toEqual(
    ['Order Lines', 'bytes_keyed', 'events', 'sales__orders'].sort(),
  );
  return { capture, apply };
}

beforeAll(async () => {
  await withPostgres(dbs.pg, (c) => c.query(`CREATE DATABASE ${dbs.pg.database}`), { database: 'postgres' });
  await withMysql(dbs.mysql, (c) => c.query(`CREATE DATABASE ${dbs.mysql.database}`), { noDatabase: true });
  await pg(SCHEMA);
  // MySQL column names ignore case: "ID" and id would be one column, so the settings file renames one.
  writeFileSync(join(cwd, 'etl.yaml'), `tables:\n  '"Order Lines"':\n    columns: {ID: id_upper}\n`);
});
afterAll(async () => {
  await etl(['cdc', 'reset', '--yes']);
  await dbs.drop();
});

describe('etl cdc on a database etl did not create', () => {
  it('refuses the tables it cannot follow, all at once (2), and publishes nothing', async () => {
    const run = await etl(['cdc', 'capture']);
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toMatch(/keyless has no primary key/);
    expect(run.stderr).toMatch(/unique_keyed has no replica identity.*REPLICA IDENTITY USING INDEX/);
    expect(await publications()).toEqual([]);
    expect(await slots()).toBe(0);
    // A table that is not there at all is named with the closest one.
    const typo = await etl(['cdc', 'capture', '--tables', 'sales.ordrs']);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toMatch(/did you mean/);
  });

  it('loads a snapshot of every selected table, under its MySQL name and a topic Kafka accepts', async () => {
    const { capture } = await settle();
    expect(capture.snapshots.map((s) => s.table).sort()).toEqual(
      ['Order Lines', 'bytes_keyed', 'events', 'sales__orders'].sort(),
    );
    const status = await json<CdcStatus>(['cdc', 'status']);
    const lines = status.tables.find((t) => t.table === 'Order Lines');
    expect(lines).toMatchObject({ source: '"Order Lines"', snapshot: 'done' });
    expect(lines?.topic).toMatch(new RegExp(`^${dbs.topic}\\.Order_Lines-[0-9a-f]{8}$`));
    expect(status.tables.find((t) => t.table === 'sales__orders')?.topic).toBe(`${dbs.topic}.sales__orders`);
    // One publication of the tables themselves; a partitioned table publishes as its parent.
    const published = await pg(
      `SELECT schemaname || '.' || tablename AS t FROM pg_publication_tables WHERE pubname = 'etl_cdc' ORDER BY 1`,
    );
    expect(published.map((r) => r['t'])).toEqual([
      'public.Order Lines',
      'public.bytes_keyed',
      'public.events',
      'sales.orders',
    ]);
    expect((await pg(`SELECT pubviaroot FROM pg_publication WHERE pubname = 'etl_cdc'`))[0]?.['pubviaroot']).toBe(true);
  });

  it('carries inserts, updates, key changes and deletes of every kind of key and value exactly', async () => {
    await pg(`
      INSERT INTO "Order Lines" VALUES
        ('é', 'c0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '\\x0a5c09', E'tab\\there\\nnew line \\\\ 🚀', 12345.678,
         '0999-12-31 23:59:59-01', ARRAY['with "quote"', 'tab	in'], '{"n": 12345678901234567890123}', 'ok', 4);
      UPDATE "Order Lines" SET qty = 2, "ID" = 20 WHERE "Code" = 'a';
      UPDATE "Order Lines" SET "Code" = 'a  ' WHERE "Code" = 'a ';
      DELETE FROM "Order Lines" WHERE "Code" = 'A';
      INSERT INTO bytes_keyed VALUES ('\\x000000', 'three'), ('\\x0a', 'newline byte');
      UPDATE bytes_keyed SET k = '\\xfe' WHERE k = '\\xff';
      DELETE FROM bytes_keyed WHERE k = '\\x00';
      UPDATE events SET day = DATE '2026-02-01', v = 'moved' WHERE id = 1;
      UPDATE events SET v = NULL WHERE id BETWEEN 10 AND 20;
      DELETE FROM events WHERE id > 90;
      INSERT INTO sales.orders VALUES (3, 99999999.99);
      UPDATE sales.orders SET total = total + 0.01;
    `);
    const { capture, apply } = await settle();
    expect(capture.changes).toBeGreaterThan(20);
    expect(apply.applied).toBe(capture.changes);
    // Side by side with PostgreSQL, not only through verify.
    const rows = await my(
      'SELECT `Code` AS code, HEX(photo) AS photo, note, qty, id_upper FROM `Order Lines` ORDER BY `Code`, id',
    );
    const want = await pg(
      `SELECT "Code" AS code, upper(encode(photo, 'hex')) AS photo, note, qty::text AS qty, "ID" AS id_upper
         FROM "Order Lines" ORDER BY convert_to("Code", 'UTF8'), id`,
    );
    expect(rows.map((r) => ({ ...r, qty: String(r['qty']) }))).toEqual(want.map((r) => ({ ...r })));
    expect(rows.find((r) => r['code'] === 'a')?.['note']).toBe(LONG);
    expect((await my('SELECT HEX(k) AS k FROM bytes_keyed ORDER BY k')).map((r) => r['k'])).toEqual([
      '0000',
      '000000',
      '0A',
      'FE',
    ]);
    expect(await my('SELECT DATE_FORMAT(day, "%Y-%m-%d") AS day, v FROM events WHERE id = 1')).toEqual([
      { day: '2026-02-01', v: 'moved' },
    ]);
  });

  it('keeps an unchanged TOASTed value when another column of its row changes', async () => {
    await pg(`UPDATE "Order Lines" SET qty = 3 WHERE "Code" = 'a'`);
    await settle();
    expect((await my("SELECT note FROM `Order Lines` WHERE `Code` = 'a'"))[0]?.['note']).toBe(LONG);
  });

  it('sends records to the safe topic names, named by their MySQL table', async () => {
    const kafka = createKafka({ brokers: TEST_KAFKA_BROKERS });
    const admin = kafka.admin();
    await admin.connect();
    try {
      const topics = (await admin.listTopics()).filter((t) => t.startsWith(`${dbs.topic}.`)).sort();
      expect(topics).toHaveLength(4);
      for (const t of topics) expect(t).toMatch(/^[A-Za-z0-9._-]{1,249}$/);
    } finally {
      await admin.disconnect();
    }
  });

  it('adds a column added in PostgreSQL without a default to the replica, and carries it', async () => {
    await pg(`INSERT INTO sales.orders VALUES (4, 4.00)`);
    await pg(`ALTER TABLE sales.orders ADD COLUMN "Note" text, ADD COLUMN seen_at timestamptz`);
    await pg(`INSERT INTO sales.orders VALUES (5, 5.00, now(), 'fünf', '2026-03-04 05:06:07.000008+02')`);
    await pg(`UPDATE sales.orders SET "Note" = 'one' WHERE id = 1`);
    const capture = await etl(['cdc', 'capture']);
    expect(capture.code, capture.stderr).toBe(0);
    expect(capture.stderr).toMatch(/sales__orders gained Note, seen_at in PostgreSQL: added to the replica/);
    await settle();
    const rows = await my(
      "SELECT id, `Note` AS note, DATE_FORMAT(seen_at, '%Y-%m-%d %H:%i:%s.%f') AS seen FROM sales__orders ORDER BY id",
    );
    expect(rows).toEqual([
      { id: 1, note: 'one', seen: null },
      { id: 2, note: null, seen: null },
      { id: 3, note: null, seen: null },
      { id: 4, note: null, seen: null },
      { id: 5, note: 'fünf', seen: '2026-03-04 03:06:07.000008' },
    ]);
    // The recorded description has them: status, and a later capture resuming from the slot.
    await pg(`UPDATE sales.orders SET seen_at = '2000-01-01 00:00:00+00' WHERE id = 2`);
    await settle();
    expect((await my('SELECT seen_at FROM sales__orders WHERE id = 2')).length).toBe(1);
  });

  it('stops at a column added with a default (4), naming etl cdc resnapshot, then loads that table again', async () => {
    await pg(`ALTER TABLE sales.orders ADD COLUMN region text NOT NULL DEFAULT 'eu'`);
    // Where the first change with the new column begins in the WAL.
    const [{ l: change } = { l: '' }] = await pg('SELECT pg_current_wal_insert_lsn()::text AS l');
    await pg(`INSERT INTO sales.orders (id, total, region) VALUES (6, 6, 'us')`);
    const run = await etl(['cdc', 'capture']);
    expect(run.code, run.stderr).toBe(4);
    expect(run.stderr).toMatch(/sales__orders gained region in PostgreSQL .*region has a default/);
    expect(run.stderr).toMatch(/etl cdc resnapshot --tables 'sales\.orders'/);
    // Not acknowledged at or past the change; the WAL before it (other test files' work) may be.
    const [{ ok } = { ok: false }] = await pg(
      `SELECT confirmed_flush_lsn <= $2::pg_lsn AS ok FROM pg_replication_slots WHERE database = $1`,
      [dbs.pg.database, change],
    );
    expect(ok).toBe(true);
    const stranger = await etl(['cdc', 'resnapshot', '--tables', 'keyless']);
    expect(stranger.code).toBe(2);
    expect(stranger.stderr).toMatch(/keyless is not captured/);
    const again = await json<{ snapshots: { table: string; rows: number }[] }>([
      'cdc',
      'resnapshot',
      '--tables',
      'sales.orders',
    ]);
    expect(again.snapshots).toEqual([expect.objectContaining({ table: 'sales__orders', rows: 6 })]);
    await pg(`UPDATE sales.orders SET region = 'apac' WHERE id = 1`);
    await settle();
    expect((await my('SELECT id, region FROM sales__orders ORDER BY id')).map((r) => r['region'])).toEqual([
      'apac',
      'eu',
      'eu',
      'eu',
      'eu',
      'us',
    ]);
  });

  it('after a column is dropped (4), resnapshots that table while Kafka still holds its old records', async () => {
    // Changes of the old shape captured but not applied yet: apply must drop them after the resnapshot.
    await pg(`UPDATE events SET v = 'old shape' WHERE id <= 5`);
    const sent = await json<CaptureReport>(['cdc', 'capture']);
    expect(sent.changes).toBe(5);
    await pg(`ALTER TABLE events DROP COLUMN v; UPDATE events SET day = day + 1 WHERE id = 50`);
    await pg(`INSERT INTO bytes_keyed VALUES ('\\x01', 'beside the drop')`);
    const run = await etl(['cdc', 'capture']);
    expect(run.code, run.stderr).toBe(4);
    expect(run.stderr).toMatch(/events changed in PostgreSQL while it was captured \(column v was dropped\)/);
    const again = await json<{ snapshots: { table: string }[] }>(['cdc', 'resnapshot', '--tables', 'events']);
    expect(again.snapshots.map((s) => s.table)).toEqual(['events']);
    expect((await json<CdcStatus>(['cdc', 'status'])).tables.find((t) => t.table === 'events')?.snapshot).toBe('done');
    await pg(`INSERT INTO events VALUES (500, DATE '2026-05-05')`);
    const { apply } = await settle();
    expect(apply.skipped).toBeGreaterThanOrEqual(5);
    expect((await my("SELECT v FROM bytes_keyed WHERE k = x'01'"))[0]?.['v']).toBe('beside the drop');
    expect(Number((await my('SELECT COUNT(*) AS n FROM events WHERE id = 500'))[0]?.['n'])).toBe(1);
    const columns = await my(
      'SELECT COLUMN_NAME AS c FROM information_schema.COLUMNS' +
        " WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'events' ORDER BY ORDINAL_POSITION",
    );
    expect(columns.map((r) => r['c'])).toEqual(['id', 'day']);
  });
});
