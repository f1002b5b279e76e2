/**
 * An application database etl did not create, for tests and the fault suite: every type family
 * with its edge values, hostile and colliding identifiers, text, composite and uuid keys with
 * case and trailing-space variants, a keyless and a partitioned table, other schemas.
 */

/** 240,032 bytes of text: what MySQL's TEXT cut to 65,535 without a word. */
export const LONG = 'ü'.repeat(120_000) + 'end 🚀 ok.'.slice(0, 32);

export const OWN_SCHEMA = `
CREATE SCHEMA sales;
CREATE SCHEMA clash;
CREATE SCHEMA far_away_schema;
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy 😀');
CREATE DOMAIN price AS numeric(10,2) NOT NULL CHECK (VALUE >= 0);
CREATE TABLE customers (
  id bigint PRIMARY KEY, name text NOT NULL, email varchar(320), note text, balance price,
  score double precision, ratio real, active boolean, born date, seen timestamptz, at_local timestamp(3),
  payload jsonb, raw json, tags text[], grid int[][], photo bytea, mood mood, uid uuid, ip inet,
  span interval, big numeric, total numeric(30,10) GENERATED ALWAYS AS (balance * 2) STORED,
  updated_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE "Odd Names" ("ID" int PRIMARY KEY, "select" text, "we\`ird; col" text, "naïve ""quoted""" text);
CREATE TABLE text_keyed (code text PRIMARY KEY, v int);
CREATE TABLE composite_keyed (region varchar(20), id uuid, v text, PRIMARY KEY (region, id));
CREATE TABLE unique_keyed (a int NOT NULL, b text NOT NULL, v text, UNIQUE (a, b));
CREATE TABLE keyless (a int, b text);
CREATE TABLE events (id int, day date, v text, PRIMARY KEY (id, day)) PARTITION BY RANGE (day);
CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE TABLE events_2026 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
CREATE TABLE sales.orders (id int PRIMARY KEY, total numeric(12,2), updated_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE clash.cased ("ID" int PRIMARY KEY, id int);
CREATE TABLE far_away_schema.${'t'.repeat(60)} (id int PRIMARY KEY);
CREATE TABLE refused_dates (id int PRIMARY KEY, d date);
CREATE TABLE users (id uuid PRIMARY KEY, handle text NOT NULL);
INSERT INTO users VALUES ('c0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 'Ann@Example.COM ');

SET TimeZone = 'America/New_York';
INSERT INTO customers (id, name, email, note, balance, score, ratio, active, born, seen, at_local, payload, raw, tags,
                       grid, photo, mood, uid, ip, span, big) VALUES
  (1, 'Ann', 'Ann@Example.COM ', '${LONG}', 12.5, 0.1, 0.3, true, '1999-12-31', '2026-03-04 05:06:07.123456',
   '2026-01-01 00:00:00.5', '{"b": 1, "a": [1.50, "x"], "n": 12345678901234567890123}', '{"a":1, "a":2,  "z" : 0}',
   ARRAY['x', NULL, 'with "quote"', 'tab	in'], '{{1,2},{3,4}}',
   (SELECT string_agg(set_byte('\\x00'::bytea, 0, i), '') FROM generate_series(0, 255) AS i),
   'happy 😀', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '192.168.0.0/16', '1 year 2 mons 3 days 04:05:06.789',
   123456789012345678901234567890.123456789),
  (2, 'Бо 🚀', NULL, E'form\\ffeed\\013tab\\\\back\\nline', 0, -1e300, 0.25, false, '0001-01-01'::date + 400000,
   '1970-01-01 00:00:00+00', NULL, '[]', 'null', '{}', NULL, '\\x', 'sad', NULL, '::1', '-1 day', 1),
  (3, '', '', '', 99999999.99, 5e-324, 3.4028235e38, NULL, NULL, NULL, NULL, '{}', '{}', NULL, NULL, NULL, NULL, NULL,
   NULL, NULL, NULL);
RESET TimeZone;
INSERT INTO "Odd Names" VALUES (1, 'from', 'semi;colon', 'x'), (2, NULL, NULL, NULL);
INSERT INTO text_keyed VALUES ('a', 1), ('A', 2), ('a ', 3), ('é', 4), ('e', 5), ('tab	key', 6), ('back\\slash', 7);
INSERT INTO composite_keyed VALUES ('EU', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 'x'),
  ('eu', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 'y'), ('EU ', 'b0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 'z');
INSERT INTO unique_keyed SELECT i, 'k' || i, 'v' || i FROM generate_series(1, 50) AS i;
INSERT INTO keyless VALUES (1, 'dup'), (1, 'dup'), (2, NULL);
INSERT INTO events SELECT i, DATE '2025-06-01' + (i * 2), 'e' || i FROM generate_series(1, 200) AS i;
INSERT INTO sales.orders VALUES (1, 10.00), (2, 20.50);
INSERT INTO refused_dates VALUES (1, '2026-01-01'), (2, '0999-12-31'), (3, 'infinity');
`;
