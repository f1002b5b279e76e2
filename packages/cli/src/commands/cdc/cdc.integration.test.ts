/**
 * `etl cdc` against the real PostgreSQL (logical decoding), Kafka and MariaDB: the snapshot,
 * every kind of change, kills at the dangerous moments, two appliers, a second capture, a
 * schema change, a reset with old records still in the topics. After each: verify equal.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ApplyReport, CaptureReport, CdcStatus, VerifyReport } from '@etl/core';
import { connectPostgres, copyInto, createKafka, withMysql, withPostgres } from '@etl/connectors';
import { TEST_KAFKA_BROKERS, throwawayDatabases } from '@etl/connectors/testing';
import { ETL_BIN, etlEnv, runEtl, okJson } from '../../testing/run-etl.js';

const dbs = throwawayDatabases(undefined, 'etl_cdc');
afterAll(() => dbs.drop());
const env = etlEnv(dbs);
const etl = (args: string[], extra: Record<string, string> = {}) =>
  runEtl(args, { env: { ...env, ...extra }, timeoutMs: 120_000 });
const json = <T>(args: string[]) => okJson<T>(etl, args);
const sql = (text: string, params: unknown[] = []) => withPostgres(dbs.pg, (c) => c.query(text, params));
const mysqlRow = (text: string, params: unknown[] = []) =>
  withMysql(dbs.mysql, async (c) => ((await c.query(text, params))[0] as Record<string, unknown>[])[0]);
const mysqlCount = async (text: string) => Number(Object.values((await mysqlRow(text)) ?? {})[0]);
const children: ChildProcess[] = [];
const start = (args: string[], extra: Record<string, string> = {}): ChildProcess => {
  const child = spawn(process.execPath, [ETL_BIN, ...args], {
    env: { ...process.env, ...env, ...extra },
    stdio: 'ignore',
  });
  children.push(child);
  return child;
};
// A test that failed halfway must not leave a capture or an applier running into the next.
afterEach(() => {
  for (const child of children.splice(0))
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});
const exited = (child: ChildProcess) =>
  new Promise<number | null>((r) =>
    child.exitCode !== null || child.signalCode !== null ? r(child.exitCode) : child.once('close', (code) => r(code)),
  );
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const slot = `etl_cdc_${dbs.pg.database}`;
const confirmed = async () =>
  String(
    (await sql('SELECT confirmed_flush_lsn::text AS l FROM pg_replication_slots WHERE slot_name = $1', [slot])).rows[0]
      ?.l,
  );
const walInsertLsn = async () => String((await sql('SELECT pg_current_wal_insert_lsn()::text AS l')).rows[0]?.l);
/**
 * The slot is not acknowledged at or past `change` (where a change begins in the WAL). It may be
 * past its old place: the WAL before the change holds other databases' work (other test files
 * write it meanwhile), which a capture acknowledges as it reads past it.
 */
async function expectNotAcknowledged(change: string): Promise<void> {
  const at = await confirmed();
  const { rows } = await sql('SELECT $1::pg_lsn <= $2::pg_lsn AS ok', [at, change]);
  expect(rows[0]?.ok, `the slot is confirmed at ${at}, the change begins at ${change}`).toBe(true);
}

const slotPid = async () =>
  ((await sql('SELECT active_pid FROM pg_replication_slots WHERE slot_name = $1', [slot])).rows[0]?.active_pid ??
    null) as number | null;

/** capture (drain), apply (drain), verify: the replicas equal the source. */
async function settle(captureArgs: string[] = []): Promise<{ capture: CaptureReport; apply: ApplyReport }> {
  const capture = await json<CaptureReport>(['cdc', 'capture', ...captureArgs]);
  const apply = await json<ApplyReport>(['cdc', 'apply']);
  const verify = await json<VerifyReport>(['verify']);
  expect(verify.tables.filter((t) => !t.equal)).toEqual([]);
  return { capture, apply };
}

/** Every value of one topic, as text. */
async function topicValues(topic: string): Promise<string[]> {
  const kafka = createKafka({ brokers: TEST_KAFKA_BROKERS });
  const admin = kafka.admin();
  await admin.connect();
  const offsets = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  const total = offsets.reduce((n, o) => n + Number(o.high) - Number(o.low), 0);
  const values: string[] = [];
  if (total === 0) return values;
  const consumer = kafka.consumer({ groupId: `${topic}_reader_${Date.now()}` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await new Promise<void>((resolve) => {
    void consumer.run({
      eachMessage: async ({ message }) => {
        values.push(message.value?.toString('utf8') ?? '');
        if (values.length >= total) resolve();
      },
    });
  });
  await consumer.disconnect();
  return values;
}

beforeAll(async () => {
  expect((await etl(['seed', '--users', '300', '--products', '60', '--orders', '1500'])).code).toBe(0);
});

describe('etl cdc', () => {
  it('loads a snapshot first, masks included, and the replicas equal the source', async () => {
    // orders (1,500) and orderdetails go by chunks of 400 keys, two at once, all in the slot's snapshot.
    const { capture } = await settle(['--mask', 'products.description', '--chunk-rows', '400', '--concurrency', '2']);
    expect(capture.snapshots.map((s) => s.table)).toContain('orders');
    expect(capture.snapshots.find((s) => s.table === 'orders')?.rows).toBe(1500);
    const status = await json<CdcStatus>(['cdc', 'status']);
    expect(status.capturing).toBe(true);
    expect(status.tables.every((t) => t.snapshot === 'done')).toBe(true);
    expect(status.slot?.active).toBe(false);
    const doctor = await etl(['doctor']);
    expect(doctor.stdout).toMatch(new RegExp(`slot ${slot} inactive, retains \\d+ (bytes|kB|MB) of WAL`));
  });

  it('carries every kind of change and value exactly', async () => {
    const big = JSON.stringify({ blob: 'x'.repeat(200_000), n: 1 });
    await sql(`INSERT INTO users (user_id, first_name, last_name, email, phone, registration_date, loyalty_status)
               VALUES (9001, 'Ünïcødé 😀', 'Null', 'A@B.example ', NULL, now(), 'Gold'),
                      (9002, 'Empty', 'String', 'e@b.example', '', now(), 'None')`);
    await sql(
      `INSERT INTO kafka_events (topic, partition, "offset", event_id, event_type, user_id, occurred_at,
                 page_url, ip_address, product_id, payload, ingested_at)
               VALUES ('t', 0, 1, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 'page_view', 9001,
                 '2026-01-02 03:04:05.123456+00', 'https://x/😀', '2001:db8::1', NULL, $1::jsonb, now())`,
      [big],
    );
    const client = await connectPostgres(dbs.pg);
    try {
      // A multi-row insert and a COPY in one transaction.
      await client.query('BEGIN');
      await client.query(`INSERT INTO productcategories (category_id, name) VALUES (901, 'a'), (902, 'b')`);
      await copyInto(client, 'productcategories', ['category_id', 'name'], [Buffer.from('903\tc\n904\td\n')]);
      await client.query('COMMIT');
      // Microseconds from a session that is not in UTC.
      await client.query(`SET TimeZone = 'Asia/Kolkata'`);
      await client.query(`UPDATE orders SET delivery_date = '2026-03-04 10:11:12.654321', total_amount = 12345678.91
                           WHERE order_id = 1`);
    } finally {
      await client.end();
    }
    await sql(`UPDATE users SET phone = '' WHERE user_id = 9001`);
    await sql(`UPDATE users SET phone = NULL WHERE user_id = 9002`);
    // Another column changes; the TOASTed payload is not sent and must be kept.
    await sql(`UPDATE kafka_events SET event_type = 'login' WHERE topic = 't'`);
    // A new primary key; a delete and a re-insert of the same key.
    await sql(`UPDATE productcategories SET category_id = 905 WHERE category_id = 904`);
    await sql(`DELETE FROM productcategories WHERE category_id = 903`);
    await sql(`INSERT INTO productcategories (category_id, name) VALUES (903, 'c again')`);
    await sql(`DELETE FROM orderdetails WHERE order_id = 2`);
    // Two transactions that commit in the other order than they started.
    const a = await connectPostgres(dbs.pg);
    const b = await connectPostgres(dbs.pg);
    try {
      await a.query('BEGIN');
      await a.query(`UPDATE users SET last_name = 'first-started' WHERE user_id = 1`);
      await b.query('BEGIN');
      await b.query(`UPDATE users SET last_name = 'second-started' WHERE user_id = 2`);
      await b.query(`UPDATE users SET loyalty_status = 'Silver' WHERE user_id = 1 - 0 + 2`);
      await b.query('COMMIT');
      await a.query(`UPDATE users SET last_name = 'first-started, committed last' WHERE user_id = 1`);
      await a.query('COMMIT');
    } finally {
      await a.end();
      await b.end();
    }
    const { capture, apply } = await settle();
    expect(capture.snapshots).toEqual([]);
    expect(capture.changes).toBeGreaterThan(10);
    expect(apply.applied).toBe(capture.changes);

    expect(await mysqlRow('SELECT event_type, ip_address FROM kafka_events')).toEqual({
      event_type: 'login',
      ip_address: '2001:db8::1',
    });
    expect(
      await mysqlCount(`SELECT CHAR_LENGTH(JSON_UNQUOTE(JSON_EXTRACT(payload, '$.blob'))) FROM kafka_events`),
    ).toBe(200_000);
    expect(await mysqlRow('SELECT phone, first_name, email FROM users WHERE user_id = 9001')).toEqual({
      phone: '',
      first_name: 'Ünïcødé 😀',
      email: 'a@b.example',
    });
    expect(await mysqlRow('SELECT phone FROM users WHERE user_id = 9002')).toEqual({ phone: null });
    expect(
      await mysqlRow(
        `SELECT DATE_FORMAT(delivery_date, '%Y-%m-%d %H:%i:%s.%f') AS d, CAST(total_amount AS CHAR) AS t
           FROM orders WHERE order_id = 1`,
      ),
    ).toEqual({ d: '2026-03-04 04:41:12.654321', t: '12345678.91' });
    expect(await mysqlRow('SELECT last_name FROM users WHERE user_id = 1')).toEqual({
      last_name: 'first-started, committed last',
    });
    expect(await mysqlCount('SELECT COUNT(*) FROM productcategories WHERE category_id IN (904, 905)')).toBe(1);
    expect(await mysqlRow(`SELECT name FROM productcategories WHERE category_id = 903`)).toEqual({ name: 'c again' });

    // The envelope: position, epoch, key, the row as the replica stores it.
    const values = (await topicValues(`${dbs.topic}.orders`)).map((v) => JSON.parse(v) as Record<string, unknown>);
    expect(values.at(-1)).toMatchObject({
      op: 'update',
      table: 'orders',
      key: { order_id: '1' },
      after: { delivery_date: '2026-03-04 04:41:12.654321', total_amount: '12345678.91' },
    });
    expect(values.at(-1)?.['lsn']).toMatch(/^[0-9A-F]+\/[0-9A-F]+$/);
  });

  it('loses nothing when capture is killed after Kafka acknowledged and before the slot was', async () => {
    const change = await walInsertLsn();
    await sql(`UPDATE products SET stock_quantity = stock_quantity + 1 WHERE product_id <= 20`);
    const killed = await etl(['cdc', 'capture'], { ETL_TEST_CDC_KILL_AFTER_KAFKA_ACK: '1' });
    expect(killed.code).toBeNull(); // SIGKILL
    await expectNotAcknowledged(change);
    const { apply } = await settle();
    // The changes Kafka already had are there twice; each took effect once.
    expect(apply.skipped).toBeGreaterThanOrEqual(20);
    // The mask holds in Kafka: no product description reached the topic in clear.
    const descriptions = (await sql(`SELECT description FROM products WHERE description <> ''`)).rows.map(
      (r) => (r as { description: string }).description,
    );
    const sent = (await topicValues(`${dbs.topic}.products`)).join('\n');
    expect(sent).toMatch(/masked_[0-9a-f]{24}/);
    expect(descriptions.filter((d) => sent.includes(JSON.stringify(d).slice(1, -1)))).toEqual([]);
  });

  it('loses nothing when capture is killed in the middle of a large transaction', async () => {
    const capture = start(['cdc', 'capture', '--follow']);
    await sleep(2500);
    await sql(`UPDATE orderdetails SET quantity = quantity + 1, total_price = (quantity + 1) * price_per_unit`);
    await sleep(300);
    capture.kill('SIGKILL');
    await exited(capture);
    await settle();
  });

  it('loses nothing when apply is killed mid-batch', async () => {
    await sql(`UPDATE orderdetails SET quantity = quantity + 1, total_price = (quantity + 1) * price_per_unit`);
    await json<CaptureReport>(['cdc', 'capture']);
    const apply = start(['cdc', 'apply']);
    await sleep(1800);
    apply.kill('SIGKILL');
    await exited(apply);
    await settle();
  });

  it('shares the partitions between two apply processes in one group', async () => {
    const appliers = [start(['cdc', 'apply', '--follow']), start(['cdc', 'apply', '--follow'])];
    await sleep(3000);
    await sql(`UPDATE orders SET status = 'Shipped' WHERE order_id % 3 = 0`);
    await sql(`DELETE FROM orderdetails WHERE order_id BETWEEN 10 AND 20`);
    await json<CaptureReport>(['cdc', 'capture']);
    for (let i = 0; i < 60; i++) {
      const status = await json<CdcStatus>(['cdc', 'status']);
      if (status.partitions.every((p) => p.lag === '0')) break;
      await sleep(500);
    }
    for (const a of appliers) a.kill('SIGTERM');
    expect(await Promise.all(appliers.map(exited))).toEqual([0, 0]);
    const verify = await json<VerifyReport>(['verify']);
    expect(verify.tables.filter((t) => !t.equal)).toEqual([]);
  });

  it('reads the slot again when its connection is dropped (pg_terminate_backend), losing nothing', async () => {
    const capture = start(['cdc', 'capture', '--follow']);
    for (let i = 0; i < 50 && (await slotPid()) === null; i++) await sleep(200);
    await sql(`UPDATE orders SET status = 'Pending' WHERE order_id <= 30`);
    const first = await slotPid();
    expect(first).not.toBeNull();
    await sql('SELECT pg_terminate_backend($1)', [first]);
    await sql(`UPDATE orders SET status = 'Shipped' WHERE order_id BETWEEN 20 AND 40`);
    const back = async () => {
      const pid = await slotPid();
      return pid !== null && pid !== first;
    };
    for (let i = 0; i < 60 && !(await back()); i++) await sleep(250);
    expect(await back()).toBe(true); // capture came back by itself, on a new connection
    await sleep(1000);
    capture.kill('SIGTERM');
    expect(await exited(capture)).toBe(0);
    await settle();
    expect(
      await mysqlCount(`SELECT COUNT(*) FROM orders WHERE order_id BETWEEN 20 AND 40 AND status = 'Shipped'`),
    ).toBe(21);
  });

  it('refuses a second capture on the same slot (busy, 75)', async () => {
    const first = start(['cdc', 'capture', '--follow']);
    await sleep(3000);
    const second = await etl(['cdc', 'capture']);
    first.kill('SIGTERM');
    expect(await exited(first)).toBe(0);
    expect(second.code).toBe(75);
    expect(second.stderr).toMatch(/in use by another capture/);
  });

  it('stops at a schema change (4) without acknowledging past it, and reset starts over', async () => {
    // With a default, the rows already there hold a value no change carries: not added on the way.
    await sql(`ALTER TABLE products ADD COLUMN color text DEFAULT 'blue'`);
    // Where the first change with the new column begins in the WAL.
    const change = await walInsertLsn();
    await sql(`UPDATE products SET color = 'red' WHERE product_id = 1`);
    const run = await etl(['cdc', 'capture']);
    expect(run.code).toBe(4);
    expect(run.stderr).toMatch(/products gained color in PostgreSQL .*color has a default/);
    await expectNotAcknowledged(change);
    expect((await etl(['cdc', 'capture'])).code).toBe(4); // it meets the change again
    await sql(`ALTER TABLE products DROP COLUMN color`);
    expect((await etl(['cdc', 'reset'])).code).toBe(2); // not on a terminal, no --yes
    const reset = await etl(['cdc', 'reset', '--yes']);
    expect(reset.code).toBe(0);
    expect((await sql('SELECT 1 FROM pg_replication_slots WHERE slot_name = $1', [slot])).rowCount).toBe(0);
    await settle();
  });

  it('drops the records of the old epoch still in the topics after a reset', async () => {
    await sql(`UPDATE users SET first_name = 'old epoch' WHERE user_id <= 10`);
    await json<CaptureReport>(['cdc', 'capture']); // sent, not applied
    expect((await etl(['cdc', 'reset', '--yes'])).code).toBe(0);
    await sql(`UPDATE users SET first_name = 'new epoch' WHERE user_id <= 5`);
    const { capture, apply } = await settle();
    expect(capture.snapshots.length).toBeGreaterThan(0);
    expect(apply.skipped).toBeGreaterThanOrEqual(10);
    expect(await mysqlCount(`SELECT COUNT(*) FROM users WHERE first_name = 'new epoch'`)).toBe(5);
  });

  it('runs as pipeline tasks when asked for, and only then', async () => {
    await sql(`UPDATE orders SET status = 'Completed' WHERE order_id <= 50`);
    const run = await etl(['pipeline', '--only', 'cdc-capture,cdc-apply']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/cdc-apply/);
    const verify = await json<VerifyReport>(['verify']);
    expect(verify.tables.filter((t) => !t.equal)).toEqual([]);
    expect(await mysqlCount(`SELECT COUNT(*) FROM orders WHERE order_id <= 50 AND status = 'Completed'`)).toBe(50);
  });

  it('refuses etl replicate on the replicas cdc keeps current (2), changing nothing', async () => {
    await sql(`UPDATE orders SET status = 'Pending' WHERE order_id <= 5`);
    const run = await etl(['replicate', '--tables', 'orders']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/orders is kept current by etl cdc \(slot etl_cdc_/);
    expect(run.stderr).toMatch(/etl cdc reset --yes/);
    expect(await mysqlCount(`SELECT COUNT(*) FROM orders WHERE order_id <= 5 AND status = 'Pending'`)).toBe(0);
    await settle();
    expect(await mysqlCount(`SELECT COUNT(*) FROM orders WHERE order_id <= 5 AND status = 'Pending'`)).toBe(5);
  });

  it('explains a role without the REPLICATION attribute (2) and a bad topic prefix (2)', async () => {
    const role = `${dbs.pg.database}_norepl`;
    await sql(`CREATE ROLE ${role} LOGIN PASSWORD 'x'`);
    try {
      const url = new URL(dbs.pg.url);
      url.username = role;
      url.password = 'x';
      const run = await etl(['cdc', 'capture', '--pg-url', url.toString()]);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/may not read the WAL/);
      expect(run.stderr).toMatch(/WITH REPLICATION/);
    } finally {
      await sql(`DROP ROLE ${role}`);
    }
    const bad = await etl(['cdc', 'capture', '--topic-prefix', 'a;b']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--topic-prefix/);
  });
});
