import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProduceReport, StreamReport } from '@etl/core';
import { createKafka, withPostgres } from '@etl/connectors';
import { TEST_KAFKA_BROKERS, throwawayDatabases } from '@etl/connectors/testing';
import { ETL_BIN, etlEnv, runEtl } from '../../testing/run-etl.js';
import type { StreamStatus } from '@etl/core';

const dbs = throwawayDatabases();
afterAll(() => dbs.drop());
const env = etlEnv(dbs);
const etl = (args: string[]) => runEtl(args, { env, timeoutMs: 120_000 });
const scalar = (sql: string) =>
  withPostgres(dbs.pg, async (c) => Number((await c.query<{ n: string }>(sql)).rows[0]?.n));
const counts = async () => ({
  events: await scalar('SELECT count(*) AS n FROM kafka_events'),
  distinctIds: await scalar('SELECT count(DISTINCT event_id) AS n FROM kafka_events'),
  dead: await scalar('SELECT count(*) AS n FROM kafka_events_dlq'),
});
const start = (args: string[]): ChildProcess =>
  spawn(process.execPath, [ETL_BIN, ...args], { env: { ...process.env, ...env }, stdio: 'ignore' });
const exited = (child: ChildProcess) =>
  new Promise<number | null>((r) =>
    child.exitCode !== null ? r(child.exitCode) : child.once('close', (code) => r(code)),
  );
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const valid = (n: number) => ({
  event_id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
  event_type: 'page_view',
  user_id: 1,
  timestamp: '2025-06-01T10:00:00Z',
  page_url: 'https://shop.example/',
  ip_address: '198.51.100.7',
});
const BAD: [string, string | Buffer | null, RegExp][] = [
  ['not json', '{"event_id":', /not JSON/],
  ['array', '[1,2,3]', /not a JSON object/],
  ['missing', JSON.stringify({ event_type: 'login' }), /missing fields/],
  ['wrong type', JSON.stringify({ ...valid(1), user_id: 'one' }), /user_id/],
  ['unknown type', JSON.stringify({ ...valid(2), event_type: 'teleport' }), /unknown event_type/],
  ['bad uuid', JSON.stringify({ ...valid(3), event_id: 'xyz' }), /UUID/],
  ['bad time', JSON.stringify({ ...valid(4), timestamp: '2025-06-01 10:00' }), /timestamp/],
  ['bad ip', JSON.stringify({ ...valid(5), ip_address: '10.0.0.300' }), /ip_address/],
  ['empty', '', /empty value/],
  ['tombstone', null, /empty value/],
  ['cart without product', JSON.stringify({ ...valid(6), event_type: 'add_to_cart' }), /product_id is required/],
  ['NUL', JSON.stringify({ ...valid(7), page_url: 'a\u0000b' }), /NUL/],
  ['invalid UTF-8', Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), /not UTF-8 text/],
];

beforeAll(async () => {
  expect((await etl(['seed', '--users', '50', '--products', '20', '--orders', '10'])).code).toBe(0);
});

describe('etl produce and etl stream', () => {
  it('produces believable events of existing users, creating the topic', async () => {
    const run = await etl(['produce', '--count', '2000', '--partitions', '3', '--json']);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({
      topic: dbs.topic,
      topicCreated: true,
      events: 2000,
    } satisfies Partial<ProduceReport>);
    const admin = createKafka({ brokers: TEST_KAFKA_BROKERS }).admin();
    await admin.connect();
    const meta = await admin.fetchTopicMetadata({ topics: [dbs.topic] });
    await admin.disconnect();
    expect(meta.topics[0]?.partitions.length).toBe(3);
  });

  it(
    'stores every valid event once and every bad record in the DLQ with its reason, then drains to zero ' + 'lag',
    async () => {
      const producer = createKafka({ brokers: TEST_KAFKA_BROKERS }).producer({ idempotent: true });
      await producer.connect();
      await producer.send({ topic: dbs.topic, acks: -1, messages: BAD.map(([name, value]) => ({ key: name, value })) });
      // Five good events, each sent twice (a producer retry from the application's point of view).
      const resent = [100, 101, 102, 103, 104].map((n) => ({
        key: '1',
        value: JSON.stringify({ ...valid(n), extra_field: 'kept' }),
      }));
      await producer.send({ topic: dbs.topic, acks: -1, messages: resent });
      await producer.send({ topic: dbs.topic, acks: -1, messages: resent });
      await producer.disconnect();

      const run = await etl(['stream', '--json']);
      expect(run.code).toBe(0);
      const report = JSON.parse(run.stdout) as StreamReport;
      expect(report).toMatchObject({ mode: 'drain', inserted: 2005, deadLettered: BAD.length });
      expect(report.partitions.every((p) => p.lag === '0')).toBe(true);
      expect(await counts()).toEqual({ events: 2005, distinctIds: 2005, dead: BAD.length });

      const dead = await withPostgres(dbs.pg, (c) =>
        c.query<{ key: string; reason: string }>(
          `SELECT convert_from(key, 'UTF8') AS key, reason FROM kafka_events_dlq`,
        ),
      );
      for (const [name, , reason] of BAD) expect(dead.rows.find((r) => r.key === name)?.reason, name).toMatch(reason);
      expect(await scalar(`SELECT count(*) AS n FROM kafka_events WHERE payload->>'extra_field' = 'kept'`)).toBe(5);
      expect(
        await scalar(
          `SELECT count(*) AS n FROM kafka_events e LEFT JOIN users u USING (user_id) WHERE u.user_id IS NULL`,
        ),
      ).toBe(0);
    },
  );

  it('changes nothing when drained again, and status shows no lag', async () => {
    const again = JSON.parse((await etl(['stream', '--json'])).stdout) as StreamReport;
    expect(again.inserted).toBe(0);
    expect(await counts()).toEqual({ events: 2005, distinctIds: 2005, dead: BAD.length });
    const status = await etl(['stream', 'status', '--json']);
    expect(status.code).toBe(0);
    const body = JSON.parse(status.stdout) as StreamStatus;
    expect(body.lag).toBe('0');
    expect(body.partitions.map((p) => p.partition)).toEqual([0, 1, 2]);
  });

  it("goes back to the offset PostgreSQL holds when Kafka's committed offset ran ahead of it", async () => {
    // As if the last batches had reached Kafka's commit but not PostgreSQL: roll PostgreSQL back.
    const removed = await withPostgres(dbs.pg, async (c) => {
      const r = await c.query(`DELETE FROM kafka_events WHERE partition = 0 AND "offset" >= 100`);
      await c.query(`DELETE FROM kafka_events_dlq WHERE partition = 0 AND "offset" >= 100`);
      await c.query(`UPDATE etl_state.stream_offsets SET next_offset = 100 WHERE partition = 0`);
      return r.rowCount ?? 0;
    });
    expect(removed).toBeGreaterThan(100);
    const run = JSON.parse((await etl(['stream', '--json'])).stdout) as StreamReport;
    expect(run.inserted).toBe(removed);
    expect(await counts()).toEqual({ events: 2005, distinctIds: 2005, dead: BAD.length });
  });

  it('loses and duplicates nothing when --follow is killed with SIGKILL at random moments', async () => {
    const producing = start(['produce', '--count', '30000', '--rate', '15000']);
    for (let i = 0; i < 3; i++) {
      const follower = start(['stream', '--follow']);
      await sleep(700 + Math.floor(Math.random() * 900));
      follower.kill('SIGKILL');
      await exited(follower);
    }
    expect(await exited(producing)).toBe(0);
    expect((await etl(['stream'])).code).toBe(0);
    expect(await counts()).toEqual({ events: 32_005, distinctIds: 32_005, dead: BAD.length });
  });

  it('shares the partitions between two consumers of one group, storing each event once', async () => {
    expect((await etl(['produce', '--count', '20000'])).code).toBe(0);
    const a = start(['stream']);
    const b = start(['stream']);
    expect(await exited(a)).toBe(0);
    expect(await exited(b)).toBe(0);
    expect(await counts()).toEqual({ events: 52_005, distinctIds: 52_005, dead: BAD.length });
  });

  it('keeps going when PostgreSQL drops its connections mid-stream, losing and doubling nothing', async () => {
    const producing = start(['produce', '--count', '20000', '--rate', '10000']);
    const follower = start(['stream', '--follow']);
    const before = (await counts()).events;
    for (let waited = 0; (await counts()).events === before; waited += 100) {
      expect(waited, 'the follower stored nothing').toBeLessThan(30_000);
      await sleep(100);
    }
    const terminated = await withPostgres(dbs.pg, async (c) => {
      const r = await c.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database()
          AND pid <> pg_backend_pid() AND application_name = 'etl'`,
      );
      return r.rowCount ?? 0;
    });
    expect(terminated).toBeGreaterThan(0);
    expect(await exited(producing)).toBe(0);
    // The follower reconnects and catches up with the producer.
    for (let waited = 0; (await counts()).events < 72_005; waited += 200) {
      expect(waited, 'the follower did not catch up').toBeLessThan(60_000);
      await sleep(200);
    }
    follower.kill('SIGTERM');
    expect(await exited(follower)).toBe(0);
    expect(await counts()).toEqual({ events: 72_005, distinctIds: 72_005, dead: BAD.length });
  });

  it('stops --follow on SIGTERM after the batch in hand, exit 0', async () => {
    const follower = start(['stream', '--follow']);
    // Consuming (a member of its group), however long a busy machine takes to start it.
    const admin = createKafka({ brokers: TEST_KAFKA_BROKERS }).admin();
    await admin.connect();
    try {
      for (let i = 0; i < 300; i++) {
        const group = (await admin.describeGroups([env.ETL_STREAM_GROUP])).groups[0];
        if (group?.state === 'Stable') break;
        await sleep(200);
      }
    } finally {
      await admin.disconnect();
    }
    await sleep(500);
    follower.kill('SIGTERM');
    expect(await exited(follower)).toBe(0);
  });

  it('exits 3 within seconds when the broker cannot be reached, and 2 on bad flags or a missing topic', async () => {
    const down = await runEtl(['stream'], { env: { ...env, ETL_KAFKA_BROKERS: '127.0.0.1:1' } });
    expect(down.code).toBe(3);
    expect(down.stderr).toContain('Kafka at 127.0.0.1:1 could not be reached');
    expect(down.ms).toBeLessThan(20_000);
    expect(
      (await runEtl(['produce', '--count', '5'], { env: { ...env, ETL_KAFKA_BROKERS: '127.0.0.1:1' } })).code,
    ).toBe(3);
    for (const command of [['stream'], ['stream', 'status']]) {
      const missing = await etl([...command, '--topic', `${dbs.topic}_missing`]);
      expect(missing.code, command.join(' ')).toBe(2);
      expect(missing.stderr).toContain(`has no topic "${dbs.topic}_missing"`);
    }
    expect((await etl(['produce', '--count', '0'])).code).toBe(2);
    expect((await etl(['produce', '--count', '5', '--follow'])).code).toBe(2);
  });

  it('stores 1 MB events and a 10,000-level nesting, dead-letters one PostgreSQL cannot hold, goes on', async () => {
    const before = await counts();
    const big = (n: number) => JSON.stringify({ ...valid(n), note: 'x'.repeat(1_000_000) });
    const nested = (n: number, inner: string) =>
      JSON.stringify({ ...valid(n), deep: 0 }).replace(
        '"deep":0',
        `"deep":${'['.repeat(10_000)}${inner}${']'.repeat(10_000)}`,
      );
    const producer = createKafka({ brokers: TEST_KAFKA_BROKERS }).producer({ idempotent: true });
    await producer.connect();
    for (const value of [
      big(200),
      big(201),
      nested(202, '1'),
      nested(203, '"a\\u0000b"'),
      JSON.stringify(valid(204)),
    ]) {
      await producer.send({ topic: dbs.topic, acks: -1, messages: [{ key: 'edge', value }] });
    }
    await producer.disconnect();
    const run = await etl(['stream', '--json']);
    expect(run.code, run.stderr).toBe(0);
    const after = await counts();
    // Each of the five is stored once, as an event or a dead letter with its reason.
    expect(after.events + after.dead - before.events - before.dead).toBe(5);
    expect(after.distinctIds).toBe(after.events);
    const ids = (
      await withPostgres(dbs.pg, (c) =>
        c.query<{ id: string; n: number }>(
          `SELECT event_id::text AS id, length(payload->>'note') AS n FROM kafka_events
        WHERE event_id::text LIKE '00000000-0000-4000-8000-0000000002%'`,
        ),
      )
    ).rows;
    expect(
      ids
        .filter((r) => r.n === 1_000_000)
        .map((r) => r.id)
        .sort(),
    ).toEqual(['00000000-0000-4000-8000-000000000200', '00000000-0000-4000-8000-000000000201']);
    expect(ids.some((r) => r.id.endsWith('204'))).toBe(true);
    const reasons = (
      await withPostgres(dbs.pg, (c) =>
        c.query<{ reason: string }>(`SELECT reason FROM kafka_events_dlq WHERE key = 'edge'::bytea`),
      )
    ).rows.map((r) => r.reason);
    expect(reasons).toContainEqual(expect.stringMatching(/NUL/));
    expect(await counts()).toEqual(after);
    // The drain reached the end: what came after the odd records is stored too.
    const status = JSON.parse((await etl(['stream', 'status', '--json'])).stdout) as StreamStatus;
    expect(status.lag).toBe('0');
  });
});
