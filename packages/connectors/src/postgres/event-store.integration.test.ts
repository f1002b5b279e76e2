import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classifyBatch, type KafkaRecord } from '@etl/core';
import { throwawayDatabases } from '../testing/index.js';
import { withPostgres } from './client.js';
import { PostgresEventStore } from './event-store.js';

const dbs = throwawayDatabases();
const store = new PostgresEventStore(dbs.pg);
beforeAll(() => store.prepare());
afterAll(async () => {
  await store.close();
  await dbs.drop();
});

const TOPIC = 'events';
const event = (n: number, extra: Record<string, unknown> = {}) => ({
  event_id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
  event_type: 'page_view',
  user_id: 1 + (n % 7),
  timestamp: '2025-06-01T10:00:00+02:00',
  page_url: `https://shop.example/p/${n}?q=a\tb\\c`,
  ip_address: n % 2 === 0 ? '198.51.100.7' : '2001:db8::1',
  ...extra,
});
const records = (from: number, values: readonly object[]): KafkaRecord[] =>
  values.map((v, i) => ({ offset: String(from + i), key: null, value: Buffer.from(JSON.stringify(v)) }));
const write = (partition: number, batch: KafkaRecord[]) => {
  const { events, deadLetters, nextOffset } = classifyBatch({ topic: TOPIC, partition, records: batch });
  return store.write('g', TOPIC, partition, events, deadLetters, nextOffset);
};
const query = <T extends pg.QueryResultRow>(sql: string) =>
  withPostgres(dbs.pg, async (c) => (await c.query<T>(sql)).rows);

describe('PostgresEventStore.write', () => {
  it('stores a batch of new events with every column, the payload as received, and the next offset', async () => {
    const batch = records(
      0,
      Array.from({ length: 500 }, (_, i) => event(i, i === 3 ? { session: { tabs: ['a\nb'] } } : {})),
    );
    expect(await write(0, batch)).toEqual({ inserted: 500, deadLettered: 0 });
    const [row] = await query<{ page_url: string; occurred_at: Date; ip: string; payload: unknown; product_id: null }>(
      `SELECT page_url, occurred_at, host(ip_address) AS ip, payload, product_id FROM kafka_events WHERE "offset" = 3`,
    );
    expect(row).toMatchObject({ page_url: 'https://shop.example/p/3?q=a\tb\\c', ip: '2001:db8::1', product_id: null });
    expect(row?.occurred_at.toISOString()).toBe('2025-06-01T08:00:00.000Z');
    expect(row?.payload).toEqual(event(3, { session: { tabs: ['a\nb'] } }));
    expect(await store.offsets('g', TOPIC)).toEqual(new Map([[0, '500']]));
  });

  it('absorbs a replayed batch and re-sent event_ids (same id, new offset) without storing them twice', async () => {
    const replay = records(
      0,
      Array.from({ length: 500 }, (_, i) => event(i)),
    );
    expect(await write(0, replay)).toEqual({ inserted: 0, deadLettered: 0 });
    // Offsets 500–509: five new events and five re-sends of stored ones.
    const mixed = records(500, [
      ...[1000, 1001, 1002, 1003, 1004].map((n) => event(n)),
      ...[0, 1, 2, 3, 4].map((n) => event(n)),
    ]);
    expect(await write(0, mixed)).toEqual({ inserted: 5, deadLettered: 0 });
    const [n] = await query<{ rows: number; ids: number }>(
      'SELECT count(*)::int AS rows, count(DISTINCT event_id)::int AS ids FROM kafka_events',
    );
    expect(n).toEqual({ rows: 505, ids: 505 });
    expect(await store.offsets('g', TOPIC)).toEqual(new Map([[0, '510']]));
  });

  it('sends a value PostgreSQL refuses to the DLQ and keeps the rest of the batch', async () => {
    // Valid for JavaScript, out of range for PostgreSQL: year 0.
    const batch = records(0, [event(2000), event(2001, { timestamp: '0000-01-01T00:00:00Z' }), event(2002)]);
    expect(await write(1, batch)).toEqual({ inserted: 2, deadLettered: 1 });
    const dead = await query<{ offset: string; reason: string }>(
      `SELECT "offset", reason FROM kafka_events_dlq WHERE partition = 1`,
    );
    expect(dead).toEqual([
      { offset: '1', reason: expect.stringMatching(/^refused by PostgreSQL: .*out of range/) as unknown },
    ]);
    expect(await store.offsets('g', TOPIC)).toEqual(
      new Map([
        [0, '510'],
        [1, '3'],
      ]),
    );
  });

  it('never moves a stored offset back when a stale batch is written late', async () => {
    expect(await write(0, records(100, [event(100)]))).toEqual({ inserted: 0, deadLettered: 0 });
    expect((await store.offsets('g', TOPIC)).get(0)).toBe('510');
  });
});
