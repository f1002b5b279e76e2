import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SOURCE_TABLES, TABLES, pgType } from '@etl/core';
import { throwawayDatabases } from '../testing/index.js';
import { withPostgres } from './client.js';
import { POSTGRES_MIGRATIONS } from './migrations.js';
import { migratePostgres } from './schema-target.js';

const dbs = throwawayDatabases();
afterAll(() => dbs.drop());

describe('PostgreSQL migrations', () => {
  let first: Awaited<ReturnType<typeof migratePostgres>>;
  beforeAll(async () => {
    first = await migratePostgres(dbs.pg);
  });

  it('creates the missing database and applies every migration', () => {
    expect(first.databaseCreated).toBe(true);
    expect(first.applied.map((m) => m.version)).toEqual(POSTGRES_MIGRATIONS.map((m) => m.version));
    expect(first.version).toBe(POSTGRES_MIGRATIONS.length);
  });

  it('changes nothing the second time, even when two run at once', async () => {
    const [a, b] = await Promise.all([migratePostgres(dbs.pg), migratePostgres(dbs.pg)]);
    for (const again of [a, b]) expect(again).toEqual({ databaseCreated: false, applied: [], version: first.version });
    const rows = await withPostgres(dbs.pg, (c) => c.query('SELECT count(*)::int AS n FROM etl_schema_migrations'));
    expect(rows.rows[0]?.n).toBe(POSTGRES_MIGRATIONS.length);
  });

  it('creates every source table exactly as core defines it', async () => {
    const columns = await withPostgres(dbs.pg, (c) =>
      c.query<{ table_name: string; column_name: string; type: string; not_null: boolean }>(
        `SELECT c.relname AS table_name, a.attname AS column_name,
                format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS not_null
           FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
          WHERE c.relname = ANY($1) AND a.attnum > 0 AND NOT a.attisdropped
          ORDER BY c.relname, a.attnum`,
        [SOURCE_TABLES],
      ),
    );
    for (const name of SOURCE_TABLES) {
      const actual = columns.rows.filter((r) => r.table_name === name).map((r) => [r.column_name, r.type, !r.not_null]);
      const expected = TABLES[name].columns.map((c) => [c.name, pgType(c.type), c.nullable]);
      expect(actual, name).toEqual(expected);
    }
    const keys = await withPostgres(dbs.pg, (c) =>
      c.query<{ table_name: string; columns: string[] }>(
        `SELECT t.relname AS table_name, array_agg(a.attname::text ORDER BY k.ord) AS columns
           FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid
           CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
           JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
          WHERE i.indisprimary AND t.relname = ANY($1)
          GROUP BY t.relname`,
        [SOURCE_TABLES],
      ),
    );
    for (const name of SOURCE_TABLES) {
      expect(keys.rows.find((r) => r.table_name === name)?.columns, name).toEqual([...TABLES[name].primaryKey]);
    }
  });

  it('maintains updated_at itself, for inserts and plain-SQL updates, with ids chosen by the writer', async () => {
    await withPostgres(dbs.pg, async (c) => {
      await c.query(`INSERT INTO productcategories (category_id, name, updated_at) VALUES (42, 'Books', '2000-01-01')`);
      const inserted = await c.query<{ updated_at: Date }>(
        'SELECT updated_at FROM productcategories WHERE category_id = 42',
      );
      expect(inserted.rows[0]?.updated_at.getUTCFullYear()).toBeGreaterThan(2000);
      const before = inserted.rows[0]?.updated_at.getTime() ?? 0;
      await new Promise((r) => setTimeout(r, 20));
      await c.query(`UPDATE productcategories SET name = 'Old books' WHERE category_id = 42`);
      const updated = await c.query<{ updated_at: Date }>(
        'SELECT updated_at FROM productcategories WHERE category_id = 42',
      );
      expect(updated.rows[0]?.updated_at.getTime()).toBeGreaterThan(before);
    });
  });

  it('keeps the event tables append-only: no trigger per insert, a BRIN index, topics compared bytewise', async () => {
    await withPostgres(dbs.pg, async (c) => {
      const catalog = await c.query<{ item: string }>(
        `SELECT 'trigger ' || tgname || ' ' || pg_get_triggerdef(oid) AS item FROM pg_trigger
          WHERE tgrelid = 'kafka_events'::regclass AND NOT tgisinternal
         UNION ALL
         SELECT 'index ' || pg_get_indexdef(indexrelid) FROM pg_index WHERE indrelid = 'kafka_events'::regclass
         UNION ALL
         SELECT 'collation ' || attrelid::regclass::text || ' ' || collname FROM pg_attribute
           JOIN pg_collation ON pg_collation.oid = attcollation
          WHERE attname = 'topic'
            AND attrelid IN ('kafka_events'::regclass, 'kafka_events_dlq'::regclass, 'etl_stream_offsets'::regclass)
         ORDER BY 1`,
      );
      expect(catalog.rows.map((r) => r.item.replace(/ ON public\./g, ' ON '))).toEqual([
        'collation etl_stream_offsets C',
        'collation kafka_events C',
        'collation kafka_events_dlq C',
        'index CREATE INDEX kafka_events_updated_at_brin ON kafka_events USING brin (updated_at)',
        'index CREATE UNIQUE INDEX kafka_events_event_id_key ON kafka_events USING btree (event_id)',
        'index CREATE UNIQUE INDEX kafka_events_pkey ON kafka_events USING btree (topic, partition, "offset")',
        'trigger kafka_events_touch_updated_at CREATE TRIGGER kafka_events_touch_updated_at BEFORE UPDATE ON ' +
          'kafka_events FOR EACH ROW EXECUTE FUNCTION etl_touch_updated_at()',
      ]);
      // An insert takes updated_at's default (its transaction's start); an update is still stamped.
      await c.query(
        `INSERT INTO kafka_events (topic, partition, "offset", event_id, event_type, user_id, occurred_at, page_url,
           ip_address, payload) VALUES ('t', 0, 0, gen_random_uuid(), 'login', 1, now(), '/', '10.0.0.1', '{}')`,
      );
      const stamp = () =>
        c.query<{ ok: boolean; at: Date }>(
          `SELECT updated_at = ingested_at AND updated_at <= now() AS ok, updated_at AS at FROM kafka_events`,
        );
      const inserted = (await stamp()).rows[0];
      expect(inserted?.ok).toBe(true);
      await new Promise((r) => setTimeout(r, 20));
      await c.query(`UPDATE kafka_events SET page_url = '/home'`);
      expect((await stamp()).rows[0]?.at.getTime()).toBeGreaterThan(inserted?.at.getTime() ?? Infinity);
    });
  });

  it('enforces the checks of the data model', async () => {
    await withPostgres(dbs.pg, async (c) => {
      await expect(
        c.query(`INSERT INTO users VALUES (1, 'A', 'B', 'a@example.com', NULL, now(), 'Platinum')`),
      ).rejects.toThrow(/check constraint/);
      await c.query(`INSERT INTO users VALUES (1, 'A', 'B', 'a@example.com', NULL, now(), 'Gold')`);
      await expect(
        c.query(`INSERT INTO users VALUES (2, 'C', 'D', 'a@example.com', NULL, now(), 'None')`),
      ).rejects.toThrow(/duplicate key/);
      await expect(c.query(`INSERT INTO orders VALUES (1, 999, now(), 0, 'Pending', NULL)`)).rejects.toThrow(
        /foreign key/,
      );
    });
  });
});
