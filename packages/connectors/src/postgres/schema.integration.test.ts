import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SOURCE_TABLES, TABLES, pgType, type DatabaseEndpoint } from '@etl/core';
import { throwawayDatabases } from '../testing/index.js';
import { withPostgres } from './client.js';
import { LEGACY_POSTGRES_MIGRATIONS, POSTGRES_PARTS } from './migrations.js';
import { ensurePostgresDatabase, migratePostgres } from './schema-target.js';

const dbs = throwawayDatabases();
afterAll(() => dbs.drop());

describe('PostgreSQL migrations', () => {
  let first: Awaited<ReturnType<typeof migratePostgres>>;
  beforeAll(async () => {
    first = await migratePostgres(dbs.pg);
  });

  it("creates the missing database and only etl's own state, in schema etl_state", async () => {
    expect(first.databaseCreated).toBe(true);
    expect(first.applied.map((m) => m.name)).toEqual(POSTGRES_PARTS.state.map((m) => `state: ${m.name}`));
    expect(first.version).toBe(POSTGRES_PARTS.state.length);
    const tables = await withPostgres(dbs.pg, (c) =>
      c.query<{ t: string }>(
        `SELECT schemaname || '.' || tablename AS t FROM pg_tables
          WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1`,
      ),
    );
    expect(tables.rows.map((r) => r.t)).toEqual([
      'etl_state.run_tasks',
      'etl_state.runs',
      'etl_state.schema_migrations',
      'etl_state.stream_offsets',
    ]);
  });

  it('creates the shop and the event tables only when asked (seed, stream), then keeps them up to date', async () => {
    const shop = await migratePostgres(dbs.pg, ['shop', 'events']);
    expect(shop.applied.map((m) => m.name)).toEqual([
      ...POSTGRES_PARTS.shop.map((m) => `shop: ${m.name}`),
      ...POSTGRES_PARTS.events.map((m) => `events: ${m.name}`),
    ]);
  });

  it('changes nothing the second time, even when two run at once', async () => {
    const [a, b] = await Promise.all([migratePostgres(dbs.pg), migratePostgres(dbs.pg, ['shop'])]);
    for (const again of [a, b]) expect(again).toEqual({ databaseCreated: false, applied: [], version: first.version });
    const rows = await withPostgres(dbs.pg, (c) =>
      c.query<{ part: string; n: number }>(
        'SELECT part, count(*)::int AS n FROM etl_state.schema_migrations GROUP BY part ORDER BY part',
      ),
    );
    expect(rows.rows).toEqual([
      { part: 'events', n: POSTGRES_PARTS.events.length },
      { part: 'shop', n: POSTGRES_PARTS.shop.length },
      { part: 'state', n: POSTGRES_PARTS.state.length },
    ]);
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
            AND attrelid IN ('kafka_events'::regclass, 'kafka_events_dlq'::regclass,
                             'etl_state.stream_offsets'::regclass)
         ORDER BY 1`,
      );
      expect(catalog.rows.map((r) => r.item.replace(/ ON public\./g, ' ON '))).toEqual([
        'collation etl_state.stream_offsets C',
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

/** The schema a database of etl's first rounds has: every legacy migration, as that etl applied them. */
async function legacyDatabase(db: DatabaseEndpoint): Promise<void> {
  await ensurePostgresDatabase(db);
  await withPostgres(db, async (c) => {
    await c.query(`CREATE TABLE etl_schema_migrations (version integer PRIMARY KEY, name text NOT NULL,
                     applied_at timestamptz NOT NULL DEFAULT now())`);
    for (const m of LEGACY_POSTGRES_MIGRATIONS) {
      for (const step of m.steps) await c.query(step);
      await c.query('INSERT INTO etl_schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
    }
  });
}

/** Every table, column, index, trigger and constraint of a database, as text, to compare two. */
async function schemaOf(db: DatabaseEndpoint): Promise<string[]> {
  return withPostgres(db, async (c) => {
    const r = await c.query<{ item: string }>(
      `SELECT 'column ' || a.attrelid::regclass || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
              || ' ' || a.attnotnull || coalesce(' ' || pg_get_expr(d.adbin, d.adrelid), '')
              || coalesce(' collate ' || nullif(co.collname, 'default'), '') AS item
         FROM pg_attribute a JOIN pg_class t ON t.oid = a.attrelid JOIN pg_namespace n ON n.oid = t.relnamespace
         LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
         LEFT JOIN pg_collation co ON co.oid = a.attcollation
        WHERE n.nspname IN ('public', 'etl_state') AND t.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped
          AND t.relname <> 'schema_migrations'
       UNION ALL
       SELECT 'index ' || regexp_replace(pg_get_indexdef(i.indexrelid), 'INDEX \\S+ ', 'INDEX ')
         FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace
        WHERE n.nspname IN ('public', 'etl_state') AND t.relname <> 'schema_migrations'
       UNION ALL
       SELECT 'trigger ' || pg_get_triggerdef(oid) FROM pg_trigger WHERE NOT tgisinternal
       UNION ALL
       SELECT 'constraint ' || conrelid::regclass || ' ' || pg_get_constraintdef(oid)
         FROM pg_constraint WHERE connamespace IN ('public'::regnamespace, 'etl_state'::regnamespace)
          AND conrelid <> 'etl_state.schema_migrations'::regclass
       ORDER BY 1`,
    );
    return r.rows.map((row) => row.item);
  });
}

describe("a database of etl's first rounds (shop and state in schema public)", () => {
  const legacy = throwawayDatabases();
  const fresh = throwawayDatabases();
  afterAll(async () => {
    await legacy.drop();
    await fresh.drop();
  });

  it('moves its state into etl_state keeping every row, and ends with the schema a new database gets', async () => {
    await legacyDatabase(legacy.pg);
    await withPostgres(legacy.pg, async (c) => {
      await c.query(`INSERT INTO etl_runs (command, status) VALUES ('pipeline', 'succeeded')`);
      await c.query(`INSERT INTO etl_run_tasks (run_id, task, status) VALUES (1, 'seed', 'succeeded')`);
      await c.query(`INSERT INTO etl_stream_offsets (group_id, topic, partition, next_offset) VALUES ('g', 't', 0, 7)`);
      await c.query(`INSERT INTO productcategories (category_id, name) VALUES (1, 'Books')`);
    });
    const adopted = await migratePostgres(legacy.pg);
    expect(adopted.version).toBe(POSTGRES_PARTS.state.length);
    await withPostgres(legacy.pg, async (c) => {
      const kept = await c.query<{ runs: number; tasks: number; offset: string; categories: number }>(
        `SELECT (SELECT count(*)::int FROM etl_state.runs) AS runs,
                (SELECT count(*)::int FROM etl_state.run_tasks) AS tasks,
                (SELECT next_offset::text FROM etl_state.stream_offsets) AS "offset",
                (SELECT count(*)::int FROM productcategories) AS categories`,
      );
      expect(kept.rows[0]).toEqual({ runs: 1, tasks: 1, offset: '7', categories: 1 });
      const gone = await c.query<{ t: string | null }>(`SELECT to_regclass('public.etl_schema_migrations')::text AS t`);
      expect(gone.rows[0]?.t).toBeNull();
      // The next run takes a new id after the moved ones.
      const next = await c.query<{ id: string }>(
        `INSERT INTO etl_state.runs (command, status) VALUES ('pipeline', 'running') RETURNING run_id::text AS id`,
      );
      expect(next.rows[0]?.id).toBe('2');
    });
    expect((await migratePostgres(legacy.pg, ['shop', 'events'])).applied).toEqual([]);
    await migratePostgres(fresh.pg, ['shop', 'events']);
    const [was, now] = [await schemaOf(legacy.pg), await schemaOf(fresh.pg)];
    expect(now.length).toBeGreaterThan(40);
    const names = (items: string[]) =>
      items.map((i) => i.replace(/etl_state\.etl_(runs|run_tasks|stream_offsets)/g, 'etl_state.$1'));
    expect(names(was).filter((i) => !now.includes(i))).toEqual([]);
    expect(now.filter((i) => !names(was).includes(i))).toEqual([]);
  });
});

describe("someone else's tables of the demo's names", () => {
  const own = throwawayDatabases();
  afterAll(() => own.drop());

  it('are never created into or filled: seed and stream refuse (2), creating nothing; state stays apart', async () => {
    await ensurePostgresDatabase(own.pg);
    await withPostgres(own.pg, (c) => c.query('CREATE TABLE users (id uuid PRIMARY KEY, handle text)'));
    expect((await migratePostgres(own.pg)).applied.map((m) => m.name)).toEqual(
      POSTGRES_PARTS.state.map((m) => `state: ${m.name}`),
    );
    await expect(migratePostgres(own.pg, ['shop'])).rejects.toMatchObject({
      exitCode: 2,
      message: expect.stringMatching(
        /already holds public\.users, which etl did not create: etl seed and etl stream never write/,
      ),
    });
    await withPostgres(own.pg, (c) => c.query('CREATE TABLE kafka_events_dlq (x int)'));
    await expect(migratePostgres(own.pg, ['events'])).rejects.toMatchObject({ exitCode: 2 });
    const tables = await withPostgres(own.pg, (c) =>
      c.query<{ t: string }>(`SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`),
    );
    expect(tables.rows.map((r) => r.t)).toEqual(['kafka_events_dlq', 'users']);
  });

  it('refuses a schema etl_state that etl did not create (2)', async () => {
    const other = throwawayDatabases();
    try {
      await ensurePostgresDatabase(other.pg);
      await withPostgres(other.pg, (c) => c.query('CREATE SCHEMA etl_state'));
      await expect(migratePostgres(other.pg)).rejects.toMatchObject({
        exitCode: 2,
        message: expect.stringContaining('has a schema etl_state that etl did not create'),
      });
    } finally {
      await other.drop();
    }
  });
});
