/**
 * PostgreSQL for `etl stream` and `etl produce`: a batch of events, its dead letters and the
 * partition's next offset in one transaction; replays and re-sent events are absorbed by the
 * keys ((topic, partition, offset) and event_id).
 */
import {
  ByteBuilder,
  encodeCopyValue,
  storableReason,
  type CatalogSource,
  type DatabaseEndpoint,
  type DeadLetterRow,
  type EventRow,
  type EventStore,
} from '@etl/core';
import type pg from 'pg';
import { ClientPool, quoteIdent, withPostgres, type PgConnectOptions } from './client.js';

/** A dead letter as the web page shows it: bytes as stored, cut to a maximum length. */
export interface DeadLetterView {
  readonly partition: number;
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  /** The stored value's full length. */
  readonly valueBytes: number;
  readonly reason: string;
  readonly failedAt: string;
}
import { copyInto } from './copy.js';
import { sqlState } from './errors.js';
import { migratePostgres } from './schema-target.js';

const EVENT_COLUMNS = [
  'topic',
  'partition',
  'offset',
  'event_id',
  'event_type',
  'user_id',
  'occurred_at',
  'page_url',
  'ip_address',
  'product_id',
  'payload',
];

/**
 * A batch of events as COPY text, in bytes: each payload goes in as received (PostgreSQL parses
 * it once), copied byte for byte unless it holds a character COPY must escape. Validation already
 * pinned every other field but the page URL to characters that need no escape (a UUID, a known
 * type, integers, ISO text, an IP address); Kafka topic names are [a-zA-Z0-9._-] only.
 */
export function eventCopyBytes(rows: readonly EventRow[]): Buffer {
  const out = new ByteBuilder(64 * 1024);
  for (const { topic, partition, offset, event: e } of rows) {
    out.utf8(
      `${topic}\t${partition}\t${offset}\t${e.eventId}\t${e.eventType}\t${e.userId}\t${e.occurredAt}\t` +
        `${encodeCopyValue(e.pageUrl)}\t${e.ipAddress}\t${e.productId ?? '\\N'}\t`,
    );
    const value = Buffer.from(e.value.buffer, e.value.byteOffset, e.value.byteLength);
    if (needsCopyEscape(value)) out.utf8(encodeCopyValue(value.toString('utf8')));
    else out.bytes(value);
    out.utf8('\n');
  }
  return out.take();
}

const NEWLINE = 0x0a;
/** True when the bytes hold a backslash, tab, newline or carriage return. */
const needsCopyEscape = (bytes: Buffer): boolean =>
  bytes.includes(0x5c) || bytes.includes(0x09) || bytes.includes(NEWLINE) || bytes.includes(0x0d);

/** The event's payload as text (for the slow paths). */
const payloadText = (e: EventRow['event']): string => Buffer.from(e.value).toString('utf8');

/**
 * The slow path, for a batch COPY refused: the whole batch travels as one JSON document, each
 * payload embedded as received. PostgreSQL parses it in C, where serialising eleven parameter
 * arrays cost more than the insert itself.
 */
const INSERT_EVENTS = `INSERT INTO kafka_events (${EVENT_COLUMNS.map(quoteIdent).join(', ')})
  SELECT r.t, r.p, r.o, r.id, r.ty, r.u, r.at, r.url, r.ip, r.pr, r.pl
    FROM json_to_recordset($1::json) AS r(t text, p int, o bigint, id uuid, ty text, u int, at timestamptz,
      url text, ip inet, pr int, pl jsonb)
  ON CONFLICT DO NOTHING`;

const INSERT_DEAD = `INSERT INTO kafka_events_dlq (topic, partition, "offset", key, value, reason)
  SELECT * FROM unnest($1::text[], $2::int[], $3::bigint[], $4::bytea[], $5::bytea[], $6::text[])
  ON CONFLICT DO NOTHING`;

/** A read of a table no stream has created yet (etl stream creates them): no rows. */
async function orNoRows<R extends pg.QueryResultRow>(query: Promise<pg.QueryResult<R>>): Promise<{ rows: R[] }> {
  try {
    return await query;
  } catch (error) {
    if (sqlState(error) === '42P01') return { rows: [] };
    throw error;
  }
}

const SAVE_OFFSET = `INSERT INTO etl_state.stream_offsets AS o (group_id, topic, partition, next_offset)
  VALUES ($1, $2, $3, $4)
  ON CONFLICT (group_id, topic, partition) DO UPDATE
    SET next_offset = GREATEST(o.next_offset, EXCLUDED.next_offset), updated_at = now()`;

const eventColumns = (rows: readonly EventRow[]): unknown[] => {
  const q = JSON.stringify;
  const parts = rows.map(
    ({ topic, partition, offset, event: e }) =>
      `{"t":${q(topic)},"p":${partition},"o":${offset},"id":${q(e.eventId)},"ty":${q(e.eventType)},"u":${e.userId},` +
      `"at":${q(e.occurredAt)},"url":${q(e.pageUrl)},"ip":${q(e.ipAddress)},` +
      `"pr":${e.productId ?? 'null'},"pl":${payloadText(e)}}`,
  );
  return [`[${parts.join(',')}]`];
};

const deadColumns = (rows: readonly DeadLetterRow[]): unknown[] => [
  rows.map((r) => r.topic),
  rows.map((r) => r.partition),
  rows.map((r) => r.offset),
  rows.map((r) => r.key),
  rows.map((r) => r.value),
  rows.map((r) => r.reason),
];

export class PostgresEventStore implements EventStore, CatalogSource {
  readonly endpoint: string;
  /** One connection per batch in flight (partitions are consumed concurrently). */
  private readonly pool: ClientPool;

  /** `session`: how its reads connect (read-only with a statement timeout for the web page). */
  constructor(
    private readonly db: DatabaseEndpoint,
    private readonly session: PgConnectOptions = {},
  ) {
    this.endpoint = db.display;
    this.pool = new ClientPool(db);
  }

  async prepare(): Promise<void> {
    await migratePostgres(this.db, ['events']);
  }

  async offsets(group: string, topic: string): Promise<Map<number, string>> {
    return withPostgres(
      this.db,
      async (c) => {
        const r = await orNoRows(
          c.query<{ partition: number; next_offset: string }>(
            'SELECT partition, next_offset FROM etl_state.stream_offsets WHERE group_id = $1 AND topic = $2',
            [group, topic],
          ),
        );
        return new Map(r.rows.map((row) => [row.partition, row.next_offset]));
      },
      this.session,
    );
  }

  /** The newest dead letters of a topic, their values cut to `maxBytes`. */
  async deadLetters(topic: string, limit: number, maxBytes: number): Promise<DeadLetterView[]> {
    return withPostgres(
      this.db,
      async (c) => {
        const r = await orNoRows(
          c.query<Record<string, unknown>>(
            `SELECT partition, "offset"::text AS "offset", substring(key FROM 1 FOR $3) AS key,
                  substring(value FROM 1 FOR $3) AS value, octet_length(value) AS bytes, reason, failed_at
             FROM kafka_events_dlq WHERE topic = $1 ORDER BY failed_at DESC, partition, "offset" DESC LIMIT $2`,
            [topic, limit, maxBytes],
          ),
        );
        return r.rows.map((row) => ({
          partition: Number(row['partition']),
          offset: String(row['offset']),
          key: (row['key'] as Buffer | null) ?? null,
          value: (row['value'] as Buffer | null) ?? null,
          valueBytes: row['bytes'] === null ? 0 : Number(row['bytes']),
          reason: String(row['reason']),
          failedAt: (row['failed_at'] as Date).toISOString(),
        }));
      },
      this.session,
    );
  }

  async write(
    group: string,
    topic: string,
    partition: number,
    events: readonly EventRow[],
    deadLetters: readonly DeadLetterRow[],
    nextOffset: string,
  ): Promise<{ inserted: number; deadLettered: number }> {
    // A failure closes the connection, and with it the transaction: the batch is read again.
    return this.pool.use(async (c) => {
      await c.query('BEGIN');
      let inserted = 0;
      const dead = [...deadLetters];
      if (events.length > 0) {
        await c.query('SAVEPOINT batch');
        try {
          // New events, the usual case: one COPY, no conflict checks.
          inserted = await copyInto(c, 'kafka_events', EVENT_COLUMNS, [eventCopyBytes(events)]);
        } catch (error) {
          const state = sqlState(error);
          // A replay or a re-sent event_id: the batch again, skipping what is stored.
          if (state !== '23505' && !state?.startsWith('22')) throw error;
          await c.query('ROLLBACK TO SAVEPOINT batch');
          inserted = await this.insertSlowly(c, events, dead);
        }
      }
      const deadLettered = dead.length > 0 ? ((await c.query(INSERT_DEAD, deadColumns(dead))).rowCount ?? 0) : 0;
      await c.query(SAVE_OFFSET, [group, topic, partition, nextOffset]);
      await c.query('COMMIT');
      return { inserted, deadLettered };
    });
  }

  /** INSERT … ON CONFLICT DO NOTHING; rows PostgreSQL refuses go to `dead`. */
  private async insertSlowly(c: pg.Client, events: readonly EventRow[], dead: DeadLetterRow[]): Promise<number> {
    await c.query('SAVEPOINT slow');
    try {
      return (await c.query(INSERT_EVENTS, eventColumns(events))).rowCount ?? 0;
    } catch (error) {
      // A value PostgreSQL refuses (class 22: data exception) must not stop the stream:
      // retry row by row and send the refused rows to the dead-letter table.
      if (!sqlState(error)?.startsWith('22')) throw error;
      await c.query('ROLLBACK TO SAVEPOINT slow');
    }
    let inserted = 0;
    for (const row of events) {
      await c.query('SAVEPOINT one');
      try {
        inserted += (await c.query(INSERT_EVENTS, eventColumns([row]))).rowCount ?? 0;
      } catch (rowError) {
        if (!sqlState(rowError)?.startsWith('22')) throw rowError;
        await c.query('ROLLBACK TO SAVEPOINT one');
        dead.push({
          topic: row.topic,
          partition: row.partition,
          offset: row.offset,
          key: null,
          value: Buffer.from(row.event.value),
          reason: storableReason(`refused by PostgreSQL: ${(rowError as Error).message}`),
        });
      }
    }
    return inserted;
  }

  async ids(): Promise<{ userIds: number[]; productIds: number[] }> {
    return withPostgres(this.db, async (c) => {
      const users = await c.query<{ user_id: number }>('SELECT user_id FROM users ORDER BY user_id');
      const products = await c.query<{ product_id: number }>('SELECT product_id FROM products ORDER BY product_id');
      return { userIds: users.rows.map((r) => r.user_id), productIds: products.rows.map((r) => r.product_id) };
    });
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}
