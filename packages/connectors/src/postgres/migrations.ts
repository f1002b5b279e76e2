/**
 * The PostgreSQL schema, as versioned migrations in three parts, each with its own version list
 * in etl_state.schema_migrations. A migration, once released, never changes: new needs get a new
 * migration. Each runs in one transaction with its version row.
 *
 * - state: etl's own tables, in schema etl_state, apart from anything of the user's. Every
 *   command that keeps state in PostgreSQL (pipeline history, stream offsets) creates it.
 * - shop: the demo shop's tables in schema public, created only by `etl seed`, which fills them.
 * - events: the user-activity event tables in schema public, created by `etl stream`, which
 *   fills them, and by `etl seed` beside the shop's (the demo's tables come together).
 */
import type { Migration } from '@etl/core';

export type PostgresPart = 'state' | 'shop' | 'events';

const touchTrigger = (table: string, on = 'INSERT OR UPDATE'): string => `
  CREATE TRIGGER ${table}_touch_updated_at
    BEFORE ${on} ON ${table}
    FOR EACH ROW EXECUTE FUNCTION etl_touch_updated_at()`;

// updated_at is the database's business, not the writer's: incremental replication must see
// changes made with plain SQL too.
const TOUCH_FUNCTION = `CREATE OR REPLACE FUNCTION etl_touch_updated_at() RETURNS trigger
   LANGUAGE plpgsql AS $$
 BEGIN
   NEW.updated_at := now();
   RETURN NEW;
 END $$`;

/** The shop's five tables, each with its trigger and indexes (as etl's first release made them). */
const SHOP_TABLES: readonly string[] = [
  `CREATE TABLE productcategories (
       category_id        integer PRIMARY KEY,
       name               varchar(100) NOT NULL UNIQUE,
       parent_category_id integer REFERENCES productcategories (category_id),
       updated_at         timestamptz NOT NULL DEFAULT now(),
       CHECK (parent_category_id IS DISTINCT FROM category_id)
     )`,
  touchTrigger('productcategories'),
  `CREATE TABLE users (
       user_id           integer PRIMARY KEY,
       first_name        varchar(100) NOT NULL,
       last_name         varchar(100) NOT NULL,
       email             varchar(255) NOT NULL UNIQUE,
       phone             varchar(40),
       registration_date timestamptz NOT NULL,
       loyalty_status    varchar(10) NOT NULL CHECK (loyalty_status IN ('Gold', 'Silver', 'Bronze', 'None')),
       updated_at        timestamptz NOT NULL DEFAULT now()
     )`,
  touchTrigger('users'),
  `CREATE TABLE products (
       product_id     integer PRIMARY KEY,
       name           varchar(255) NOT NULL,
       description    text,
       category_id    integer NOT NULL REFERENCES productcategories (category_id),
       price          numeric(10,2) NOT NULL CHECK (price >= 0),
       stock_quantity integer NOT NULL CHECK (stock_quantity >= 0),
       creation_date  timestamptz NOT NULL,
       updated_at     timestamptz NOT NULL DEFAULT now()
     )`,
  touchTrigger('products'),
  `CREATE TABLE orders (
       order_id      integer PRIMARY KEY,
       user_id       integer NOT NULL REFERENCES users (user_id),
       order_date    timestamptz NOT NULL,
       total_amount  numeric(12,2) NOT NULL CHECK (total_amount >= 0),
       status        varchar(10) NOT NULL CHECK (status IN ('Pending', 'Shipped', 'Completed', 'Cancelled')),
       delivery_date timestamptz CHECK (delivery_date >= order_date),
       updated_at    timestamptz NOT NULL DEFAULT now()
     )`,
  touchTrigger('orders'),
  `CREATE INDEX orders_user_id_idx ON orders (user_id)`,
  `CREATE TABLE orderdetails (
       order_detail_id bigint PRIMARY KEY,
       order_id        integer NOT NULL REFERENCES orders (order_id),
       product_id      integer NOT NULL REFERENCES products (product_id),
       quantity        integer NOT NULL CHECK (quantity > 0),
       price_per_unit  numeric(10,2) NOT NULL CHECK (price_per_unit >= 0),
       total_price     numeric(12,2) NOT NULL,
       updated_at      timestamptz NOT NULL DEFAULT now(),
       CHECK (total_price = quantity * price_per_unit)
     )`,
  touchTrigger('orderdetails'),
  `CREATE INDEX orderdetails_order_id_idx ON orderdetails (order_id)`,
  `CREATE INDEX orderdetails_product_id_idx ON orderdetails (product_id)`,
];

export const POSTGRES_PARTS: Readonly<Record<PostgresPart, readonly Migration[]>> = {
  state: [
    {
      version: 1,
      name: "etl's state in schema etl_state: stream offsets and pipeline history",
      steps: [
        // Where each consumer group stands, written in the same transaction as the rows. Topic
        // names are ASCII identifiers compared bytewise (MySQL's utf8mb4_bin order too).
        `CREATE TABLE etl_state.stream_offsets (
           group_id    text NOT NULL,
           topic       text COLLATE "C" NOT NULL,
           partition   integer NOT NULL,
           next_offset bigint NOT NULL CHECK (next_offset >= 0),
           updated_at  timestamptz NOT NULL DEFAULT now(),
           PRIMARY KEY (group_id, topic, partition)
         )`,
        `CREATE TABLE etl_state.runs (
           run_id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
           command     text NOT NULL,
           status      text NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'interrupted')),
           started_at  timestamptz NOT NULL DEFAULT now(),
           finished_at timestamptz,
           error       text
         )`,
        `CREATE TABLE etl_state.run_tasks (
           run_id      bigint NOT NULL REFERENCES etl_state.runs (run_id) ON DELETE CASCADE,
           task        text NOT NULL,
           status      text NOT NULL CHECK (status IN ('pending', 'running', 'succeeded', 'failed', 'skipped')),
           attempts    integer NOT NULL DEFAULT 0,
           started_at  timestamptz,
           finished_at timestamptz,
           rows        bigint,
           message     text,
           PRIMARY KEY (run_id, task)
         )`,
      ],
    },
  ],
  shop: [
    {
      version: 1,
      name: "the demo shop's tables, with updated_at kept by triggers and indexed",
      steps: [
        TOUCH_FUNCTION,
        ...SHOP_TABLES,
        ...['productcategories', 'users', 'products', 'orders', 'orderdetails'].map(
          (table) => `CREATE INDEX ${table}_updated_at_idx ON ${table} (updated_at)`,
        ),
      ],
    },
  ],
  events: [
    {
      version: 1,
      name: 'the event tables, append-only: a trigger on update only, a BRIN index on updated_at',
      // Events are only ever appended, so updated_at's default (the inserting transaction's
      // start) is what a trigger would set; it still stamps updates. A timestamp that only grows
      // in insertion order needs a BRIN index (a few pages), not a B-tree updated per row. Every
      // stored event walks the primary key's B-tree comparing topics: bytewise ("C"), not a
      // strcoll() per step.
      steps: [
        TOUCH_FUNCTION,
        `CREATE TABLE kafka_events (
           topic       varchar(249) COLLATE "C" NOT NULL,
           partition   integer NOT NULL,
           "offset"    bigint NOT NULL,
           event_id    uuid NOT NULL UNIQUE,
           event_type  varchar(20) NOT NULL,
           user_id     integer NOT NULL,
           occurred_at timestamptz NOT NULL,
           page_url    text NOT NULL,
           ip_address  inet NOT NULL,
           product_id  integer,
           payload     jsonb NOT NULL,
           ingested_at timestamptz NOT NULL DEFAULT now(),
           updated_at  timestamptz NOT NULL DEFAULT now(),
           PRIMARY KEY (topic, partition, "offset")
         )`,
        touchTrigger('kafka_events', 'UPDATE'),
        'CREATE INDEX kafka_events_updated_at_brin ON kafka_events USING brin (updated_at)',
        `CREATE TABLE kafka_events_dlq (
           topic      varchar(249) COLLATE "C" NOT NULL,
           partition  integer NOT NULL,
           "offset"   bigint NOT NULL,
           key        bytea,
           value      bytea,
           reason     text NOT NULL,
           failed_at  timestamptz NOT NULL DEFAULT now(),
           updated_at timestamptz NOT NULL DEFAULT now(),
           PRIMARY KEY (topic, partition, "offset")
         )`,
        touchTrigger('kafka_events_dlq', 'UPDATE'),
        // The web page reads the latest dead letters of a topic by an index, not a sort.
        'CREATE INDEX kafka_events_dlq_topic_failed_at_idx ON kafka_events_dlq (topic, failed_at DESC)',
      ],
    },
  ],
};

/** The tables in schema public that a part creates: where they exist unrecorded, they are someone else's. */
export const PART_TABLES: Readonly<Record<Exclude<PostgresPart, 'state'>, readonly string[]>> = {
  shop: ['productcategories', 'users', 'products', 'orders', 'orderdetails'],
  events: ['kafka_events', 'kafka_events_dlq'],
};

/**
 * The schema of etl's first two rounds, when the shop and etl's state shared schema public and
 * one version list. Frozen: a database still on it is brought to its end and then adopted into
 * the parts below (see schema-target.ts); nothing new is ever added here.
 */
export const LEGACY_POSTGRES_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'source data model and etl state',
    steps: [
      TOUCH_FUNCTION,
      ...SHOP_TABLES,

      `CREATE TABLE kafka_events (
         topic       varchar(249) NOT NULL,
         partition   integer NOT NULL,
         "offset"    bigint NOT NULL,
         event_id    uuid NOT NULL UNIQUE,
         event_type  varchar(20) NOT NULL,
         user_id     integer NOT NULL,
         occurred_at timestamptz NOT NULL,
         page_url    text NOT NULL,
         ip_address  inet NOT NULL,
         product_id  integer,
         payload     jsonb NOT NULL,
         ingested_at timestamptz NOT NULL DEFAULT now(),
         updated_at  timestamptz NOT NULL DEFAULT now(),
         PRIMARY KEY (topic, partition, "offset")
       )`,
      touchTrigger('kafka_events'),

      `CREATE TABLE kafka_events_dlq (
         topic      varchar(249) NOT NULL,
         partition  integer NOT NULL,
         "offset"   bigint NOT NULL,
         key        bytea,
         value      bytea,
         reason     text NOT NULL,
         failed_at  timestamptz NOT NULL DEFAULT now(),
         updated_at timestamptz NOT NULL DEFAULT now(),
         PRIMARY KEY (topic, partition, "offset")
       )`,
      touchTrigger('kafka_events_dlq'),

      // Where each consumer group stands, written in the same transaction as the rows.
      `CREATE TABLE etl_stream_offsets (
         group_id    text NOT NULL,
         topic       text NOT NULL,
         partition   integer NOT NULL,
         next_offset bigint NOT NULL CHECK (next_offset >= 0),
         updated_at  timestamptz NOT NULL DEFAULT now(),
         PRIMARY KEY (group_id, topic, partition)
       )`,

      // History of pipeline runs and their tasks.
      `CREATE TABLE etl_runs (
         run_id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
         command     text NOT NULL,
         status      text NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'interrupted')),
         started_at  timestamptz NOT NULL DEFAULT now(),
         finished_at timestamptz,
         error       text
       )`,
      `CREATE TABLE etl_run_tasks (
         run_id      bigint NOT NULL REFERENCES etl_runs (run_id) ON DELETE CASCADE,
         task        text NOT NULL,
         status      text NOT NULL CHECK (status IN ('pending', 'running', 'succeeded', 'failed', 'skipped')),
         attempts    integer NOT NULL DEFAULT 0,
         started_at  timestamptz,
         finished_at timestamptz,
         rows        bigint,
         message     text,
         PRIMARY KEY (run_id, task)
       )`,
    ],
  },
  {
    version: 2,
    name: 'updated_at indexes for incremental replication',
    steps: ['productcategories', 'users', 'products', 'orders', 'orderdetails', 'kafka_events'].map(
      (table) => `CREATE INDEX ${table}_updated_at_idx ON ${table} (updated_at)`,
    ),
  },
  {
    version: 3,
    name: 'the web page reads the latest dead letters of a topic by an index, not a sort',
    steps: ['CREATE INDEX kafka_events_dlq_topic_failed_at_idx ON kafka_events_dlq (topic, failed_at DESC)'],
  },
  {
    version: 4,
    name: 'append-only event tables: no trigger on insert, a BRIN index on updated_at, topics compared bytewise',
    // Events are only ever appended, so updated_at's default (the inserting transaction's
    // start) is what the trigger would have set; it still stamps updates. A timestamp that only
    // grows in insertion order needs a BRIN index (a few pages), not a B-tree updated per row.
    steps: [
      ...['kafka_events', 'kafka_events_dlq'].flatMap((table) => [
        `DROP TRIGGER ${table}_touch_updated_at ON ${table}`,
        `CREATE TRIGGER ${table}_touch_updated_at BEFORE UPDATE ON ${table}
           FOR EACH ROW EXECUTE FUNCTION etl_touch_updated_at()`,
      ]),
      // Every stored event walks the primary key's B-tree, comparing topics: under the database's
      // collation (C.UTF-8 is not "C" to PostgreSQL 15) that is a strcoll() per step. Topic
      // names are ASCII identifiers; bytewise order is MySQL's utf8mb4_bin order too.
      'ALTER TABLE kafka_events ALTER COLUMN topic TYPE varchar(249) COLLATE "C"',
      'ALTER TABLE kafka_events_dlq ALTER COLUMN topic TYPE varchar(249) COLLATE "C"',
      'ALTER TABLE etl_stream_offsets ALTER COLUMN topic TYPE text COLLATE "C"',
      'DROP INDEX kafka_events_updated_at_idx',
      'CREATE INDEX kafka_events_updated_at_brin ON kafka_events USING brin (updated_at)',
    ],
  },
];
