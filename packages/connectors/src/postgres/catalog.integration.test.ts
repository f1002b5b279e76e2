import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PgColumnType, PgTypeShape, SourceColumn, SourceTable } from '@etl/core';
import { throwawayDatabases } from '../testing/index.js';
import { withPostgres } from './client.js';
import { PostgresCatalog } from './catalog.js';
import { sqlState } from './errors.js';
import { ensurePostgresDatabase } from './schema-target.js';

const dbs = throwawayDatabases();
afterAll(() => dbs.drop());

/** 63 bytes, PostgreSQL's longest identifier: kept whole, never truncated. */
const LONG = `long_${'é'.repeat(29)}`;
const WEIRD = 'we`ird; name';

const SCHEMA = [
  `CREATE TYPE mood AS ENUM ('sad', 'o,k', 'hap"py', 'zürich 🚀')`,
  // Sorted before 'o,k' though added last: labels come in enumsortorder, not oid order.
  `ALTER TYPE mood ADD VALUE 'meh' BEFORE 'o,k'`,
  `CREATE DOMAIN price AS numeric(10,2) NOT NULL CHECK (VALUE >= 0)`,
  `CREATE DOMAIN positive_price AS price CHECK (VALUE > 0)`,
  `CREATE DOMAIN int_list AS int[]`,
  `CREATE TYPE address AS (street text, zip char(5), amount price)`,
  `CREATE TABLE "Mixed Case" (
     "Int" int4 PRIMARY KEY, small int2, big int8, num numeric, "num 10,2" numeric(10,2), f4 float4, f8 float8,
     cash money, flag bool, dropped text, ch char(3), vc varchar(40), txt text, bin bytea, d date, t time,
     ttz timetz, ts timestamp(3), tstz timestamptz, iv interval, u uuid, j json, jb jsonb, ip inet, net cidr,
     mac macaddr, bits bit(8), vbits varbit, tsv tsvector, x xml, pt point, ln line, bx box, pg polygon,
     ci circle, o oid, m mood, p price, pp positive_price, ints int[], grid text[][], moods mood[],
     prices price[], list int_list, addr address, r int4range, mr int4multirange,
     total numeric GENERATED ALWAYS AS ("num 10,2" * 2) STORED, nm name, iv2 int2vector, ov oidvector)`,
  `ALTER TABLE "Mixed Case" DROP COLUMN dropped`,
  `ALTER TABLE "Mixed Case" ADD COLUMN "zürich_🚀" text NOT NULL DEFAULT ''`,
  `CREATE TABLE "a""b" ("Code" text, "we\`ird; col" uuid, note varchar(40), PRIMARY KEY ("we\`ird; col", "Code"))`,
  `CREATE TABLE "${WEIRD}" (n int NOT NULL, code text NOT NULL, maybe int, dup int NOT NULL, zz int NOT NULL)`,
  `CREATE INDEX "0_plain" ON "${WEIRD}" (n)`,
  `CREATE UNIQUE INDEX "A_nullable" ON "${WEIRD}" (maybe)`,
  `CREATE UNIQUE INDEX "B_partial" ON "${WEIRD}" (code) WHERE n > 0`,
  `CREATE UNIQUE INDEX "C_expr" ON "${WEIRD}" (lower(code))`,
  `CREATE UNIQUE INDEX "Zeta" ON "${WEIRD}" (zz, code) INCLUDE (maybe)`,
  // Comes before "Zeta" in a linguistic order, after it in byte order.
  `CREATE UNIQUE INDEX "a_later" ON "${WEIRD}" (n)`,
  `ALTER TABLE "${WEIRD}" REPLICA IDENTITY USING INDEX "Zeta"`,
  `INSERT INTO "${WEIRD}" VALUES (1, 'a', NULL, 7, 1), (2, 'b', NULL, 7, 2)`,
  `CREATE TABLE "zürich_🚀" ("Mixed Case" text, "🚀" int)`,
  `CREATE INDEX ON "zürich_🚀" ("🚀")`,
  `ALTER TABLE "zürich_🚀" ADD FOREIGN KEY ("🚀") REFERENCES "Mixed Case" ("Int")`,
  `ALTER TABLE "zürich_🚀" REPLICA IDENTITY FULL`,
  // U+FF5A sorts before U+1F680 in UTF-8 (and in PostgreSQL's "C" order), after it in UTF-16.
  `CREATE TABLE "🚀" (x int)`,
  `CREATE TABLE "ｚ" (x int)`,
  `CREATE TABLE "${LONG}" (id int8, region text, amount price) PARTITION BY LIST (region)`,
  `ALTER TABLE "${LONG}" ADD PRIMARY KEY (id, region)`,
  `CREATE TABLE part_eu PARTITION OF "${LONG}" FOR VALUES IN ('eu')`,
  `CREATE TABLE part_us PARTITION OF "${LONG}" FOR VALUES IN ('us') PARTITION BY RANGE (id)`,
  `CREATE TABLE part_us_low PARTITION OF part_us FOR VALUES FROM (0) TO (1000)`,
  `INSERT INTO "${LONG}" VALUES (1, 'eu', 1), (2, 'eu', 2), (3, 'eu', 3), (4, 'us', 4), (5, 'us', 5)`,
  `CREATE VIEW a_view AS SELECT 1 AS one`,
  `CREATE MATERIALIZED VIEW a_matview AS SELECT 1 AS one`,
  `CREATE SEQUENCE a_sequence`,
  `CREATE SCHEMA sales`,
  `CREATE TYPE sales.status AS ENUM ('new', 'paid')`,
  `CREATE TABLE sales.orders (id int8 GENERATED ALWAYS AS IDENTITY PRIMARY KEY, status sales.status,
     placed timestamptz NOT NULL)`,
  `INSERT INTO sales.orders (status, placed) VALUES ('new', now())`,
  `CREATE SCHEMA etl_state`,
  `CREATE TABLE etl_state.runs (id int PRIMARY KEY)`,
];

beforeAll(async () => {
  await ensurePostgresDatabase(dbs.pg);
  await withPostgres(dbs.pg, async (c) => {
    for (const statement of SCHEMA) await c.query(statement);
    // Fails on the duplicate dup values and leaves an INVALID index behind, first by name.
    const invalid = await c.query(`CREATE UNIQUE INDEX CONCURRENTLY "Y_invalid" ON "${WEIRD}" (dup)`).catch(sqlState);
    expect(invalid).toBe('23505');
    await c.query('ANALYZE');
  });
});

const type = (shape: PgTypeShape, formatted: string, typmod = -1, domain?: string): PgColumnType =>
  domain === undefined ? { shape, typmod, formatted } : { shape, typmod, formatted, domain };
const base = (name: string, formatted: string, typmod = -1): PgColumnType =>
  type({ kind: 'base', name }, formatted, typmod);
const arrayOf = (element: PgColumnType, formatted: string, typmod = -1): PgColumnType =>
  type({ kind: 'array', element }, formatted, typmod);

const INT4 = base('int4', 'integer');
const TEXT = base('text', 'text');
const NUMERIC_10_2 = 655366; // ((10 << 16) | 2) + 4
const MOOD = type(
  { kind: 'enum', name: 'public.mood', labels: ['sad', 'meh', 'o,k', 'hap"py', 'zürich 🚀'] },
  'public.mood',
);
const PRICE = type({ kind: 'base', name: 'numeric' }, 'numeric(10,2)', NUMERIC_10_2, 'public.price');

interface Expected {
  readonly name: string;
  readonly attnum: number;
  /** The declared type as `::regtype` reads it, for typeOid. */
  readonly declared: string;
  readonly type: PgColumnType;
  readonly nullable?: boolean;
  readonly generated?: boolean;
}

const MIXED_CASE: Expected[] = [
  { name: 'Int', attnum: 1, declared: 'int4', type: INT4, nullable: false },
  { name: 'small', attnum: 2, declared: 'int2', type: base('int2', 'smallint') },
  { name: 'big', attnum: 3, declared: 'int8', type: base('int8', 'bigint') },
  { name: 'num', attnum: 4, declared: 'numeric', type: base('numeric', 'numeric') },
  { name: 'num 10,2', attnum: 5, declared: 'numeric', type: base('numeric', 'numeric(10,2)', NUMERIC_10_2) },
  { name: 'f4', attnum: 6, declared: 'float4', type: base('float4', 'real') },
  { name: 'f8', attnum: 7, declared: 'float8', type: base('float8', 'double precision') },
  { name: 'cash', attnum: 8, declared: 'money', type: base('money', 'money') },
  { name: 'flag', attnum: 9, declared: 'bool', type: base('bool', 'boolean') },
  // attnum 10 was dropped
  { name: 'ch', attnum: 11, declared: 'bpchar', type: base('bpchar', 'character(3)', 7) },
  { name: 'vc', attnum: 12, declared: 'varchar', type: base('varchar', 'character varying(40)', 44) },
  { name: 'txt', attnum: 13, declared: 'text', type: TEXT },
  { name: 'bin', attnum: 14, declared: 'bytea', type: base('bytea', 'bytea') },
  { name: 'd', attnum: 15, declared: 'date', type: base('date', 'date') },
  { name: 't', attnum: 16, declared: 'time', type: base('time', 'time without time zone') },
  { name: 'ttz', attnum: 17, declared: 'timetz', type: base('timetz', 'time with time zone') },
  { name: 'ts', attnum: 18, declared: 'timestamp', type: base('timestamp', 'timestamp(3) without time zone', 3) },
  { name: 'tstz', attnum: 19, declared: 'timestamptz', type: base('timestamptz', 'timestamp with time zone') },
  { name: 'iv', attnum: 20, declared: 'interval', type: base('interval', 'interval') },
  { name: 'u', attnum: 21, declared: 'uuid', type: base('uuid', 'uuid') },
  { name: 'j', attnum: 22, declared: 'json', type: base('json', 'json') },
  { name: 'jb', attnum: 23, declared: 'jsonb', type: base('jsonb', 'jsonb') },
  { name: 'ip', attnum: 24, declared: 'inet', type: base('inet', 'inet') },
  { name: 'net', attnum: 25, declared: 'cidr', type: base('cidr', 'cidr') },
  { name: 'mac', attnum: 26, declared: 'macaddr', type: base('macaddr', 'macaddr') },
  { name: 'bits', attnum: 27, declared: 'bit', type: base('bit', 'bit(8)', 8) },
  { name: 'vbits', attnum: 28, declared: 'varbit', type: base('varbit', 'bit varying') },
  { name: 'tsv', attnum: 29, declared: 'tsvector', type: base('tsvector', 'tsvector') },
  { name: 'x', attnum: 30, declared: 'xml', type: base('xml', 'xml') },
  { name: 'pt', attnum: 31, declared: 'point', type: base('point', 'point') },
  { name: 'ln', attnum: 32, declared: 'line', type: base('line', 'line') },
  { name: 'bx', attnum: 33, declared: 'box', type: base('box', 'box') },
  { name: 'pg', attnum: 34, declared: 'polygon', type: base('polygon', 'polygon') },
  { name: 'ci', attnum: 35, declared: 'circle', type: base('circle', 'circle') },
  { name: 'o', attnum: 36, declared: 'oid', type: base('oid', 'oid') },
  { name: 'm', attnum: 37, declared: 'public.mood', type: MOOD },
  { name: 'p', attnum: 38, declared: 'public.price', type: PRICE, nullable: false },
  {
    name: 'pp',
    attnum: 39,
    declared: 'public.positive_price',
    type: { ...PRICE, domain: 'public.positive_price' },
    nullable: false, // NOT NULL comes from price, the domain under positive_price
  },
  { name: 'ints', attnum: 40, declared: 'int4[]', type: arrayOf(INT4, 'integer[]') },
  { name: 'grid', attnum: 41, declared: 'text[]', type: arrayOf(TEXT, 'text[]') },
  { name: 'moods', attnum: 42, declared: 'public.mood[]', type: arrayOf(MOOD, 'public.mood[]') },
  { name: 'prices', attnum: 43, declared: 'public.price[]', type: arrayOf(PRICE, 'public.price[]') },
  {
    name: 'list',
    attnum: 44,
    declared: 'public.int_list',
    type: type({ kind: 'array', element: INT4 }, 'integer[]', -1, 'public.int_list'),
  },
  {
    name: 'addr',
    attnum: 45,
    declared: 'public.address',
    type: type(
      {
        kind: 'composite',
        name: 'public.address',
        fields: [
          { name: 'street', type: TEXT },
          { name: 'zip', type: base('bpchar', 'character(5)', 9) },
          { name: 'amount', type: PRICE },
        ],
      },
      'public.address',
    ),
  },
  {
    name: 'r',
    attnum: 46,
    declared: 'int4range',
    type: type({ kind: 'range', name: 'int4range', subtype: INT4, multi: false }, 'int4range'),
  },
  {
    name: 'mr',
    attnum: 47,
    declared: 'int4multirange',
    type: type({ kind: 'range', name: 'int4multirange', subtype: INT4, multi: true }, 'int4multirange'),
  },
  { name: 'total', attnum: 48, declared: 'numeric', type: base('numeric', 'numeric'), generated: true },
  // Not arrays, though typelem is set (and typcategory is 'A' for the two vectors).
  { name: 'nm', attnum: 49, declared: 'name', type: base('name', 'name') },
  { name: 'iv2', attnum: 50, declared: 'int2vector', type: base('int2vector', 'int2vector') },
  { name: 'ov', attnum: 51, declared: 'oidvector', type: base('oidvector', 'oidvector') },
  { name: 'zürich_🚀', attnum: 52, declared: 'text', type: TEXT, nullable: false },
];

const A_B: Expected[] = [
  { name: 'Code', attnum: 1, declared: 'text', type: TEXT, nullable: false },
  { name: 'we`ird; col', attnum: 2, declared: 'uuid', type: base('uuid', 'uuid'), nullable: false },
  { name: 'note', attnum: 3, declared: 'varchar', type: base('varchar', 'character varying(40)', 44) },
];

const WEIRD_COLUMNS: Expected[] = [
  { name: 'n', attnum: 1, declared: 'int4', type: INT4, nullable: false },
  { name: 'code', attnum: 2, declared: 'text', type: TEXT, nullable: false },
  { name: 'maybe', attnum: 3, declared: 'int4', type: INT4 },
  { name: 'dup', attnum: 4, declared: 'int4', type: INT4, nullable: false },
  { name: 'zz', attnum: 5, declared: 'int4', type: INT4, nullable: false },
];

const LONG_COLUMNS: Expected[] = [
  { name: 'id', attnum: 1, declared: 'int8', type: base('int8', 'bigint'), nullable: false },
  { name: 'region', attnum: 2, declared: 'text', type: TEXT, nullable: false },
  { name: 'amount', attnum: 3, declared: 'public.price', type: PRICE, nullable: false },
];

const ORDERS: Expected[] = [
  { name: 'id', attnum: 1, declared: 'int8', type: base('int8', 'bigint'), nullable: false },
  {
    name: 'status',
    attnum: 2,
    declared: 'sales.status',
    type: type({ kind: 'enum', name: 'sales.status', labels: ['new', 'paid'] }, 'sales.status'),
  },
  {
    name: 'placed',
    attnum: 3,
    declared: 'timestamptz',
    type: base('timestamptz', 'timestamp with time zone'),
    nullable: false,
  },
];

const X: Expected[] = [{ name: 'x', attnum: 1, declared: 'int4', type: INT4 }];

/** The expected tables (oid aside), with the typeOid of each column looked up by its declared type. */
async function expectedTables(): Promise<Omit<SourceTable, 'oid'>[]> {
  const all = [MIXED_CASE, A_B, WEIRD_COLUMNS, LONG_COLUMNS, ORDERS, X].flat();
  const oids = await withPostgres(dbs.pg, (c) =>
    c.query<{ declared: string; oid: number }>(
      `SELECT d AS declared, d::regtype::oid::int8::float8 AS oid FROM unnest($1::text[]) AS d`,
      [[...new Set(all.map((e) => e.declared))]],
    ),
  );
  const oidOf = new Map(oids.rows.map((r) => [r.declared, r.oid]));
  const columns = (list: Expected[]): SourceColumn[] =>
    list.map((e) => ({
      name: e.name,
      attnum: e.attnum,
      typeOid: oidOf.get(e.declared) ?? NaN,
      typeMod: e.type.domain === undefined ? e.type.typmod : -1,
      type: e.type,
      nullable: e.nullable ?? true,
      generated: e.generated ?? false,
    }));
  const table = (schema: string, name: string, rest: Partial<Omit<SourceTable, 'oid'>>): Omit<SourceTable, 'oid'> => ({
    name: { schema, name },
    partitioned: false,
    columns: [],
    key: [],
    keySource: 'none',
    replicaIdentity: 'd',
    estimatedRows: 0,
    foreignKeys: [],
    ...rest,
    // DEFAULT sends the primary key; the others are given below.
    identity: rest.identity ?? (rest.keySource === 'primary key' ? (rest.key ?? []) : []),
  });
  return [
    table('public', 'Mixed Case', { columns: columns(MIXED_CASE), key: ['Int'], keySource: 'primary key' }),
    table('public', 'a"b', { columns: columns(A_B), key: ['we`ird; col', 'Code'], keySource: 'primary key' }),
    table('public', LONG, {
      partitioned: true,
      columns: columns(LONG_COLUMNS),
      key: ['id', 'region'],
      keySource: 'primary key',
      estimatedRows: 5, // 3 in part_eu, 2 in part_us_low (a partition of a partition)
    }),
    table('public', WEIRD, {
      columns: columns(WEIRD_COLUMNS),
      key: ['zz', 'code'], // "Zeta": its INCLUDE column is no part of the key
      keySource: 'unique index',
      replicaIdentity: 'i',
      identity: ['zz', 'code'],
      estimatedRows: 2,
    }),
    table('public', 'zürich_🚀', {
      columns: columns([
        { name: 'Mixed Case', attnum: 1, declared: 'text', type: TEXT },
        { name: '🚀', attnum: 2, declared: 'int4', type: INT4 },
      ]),
      replicaIdentity: 'f',
      identity: ['Mixed Case', '🚀'],
      foreignKeys: [['🚀']],
    }),
    table('public', 'ｚ', { columns: columns(X) }),
    table('public', '🚀', { columns: columns(X) }),
    table('sales', 'orders', { columns: columns(ORDERS), key: ['id'], keySource: 'primary key', estimatedRows: 1 }),
  ];
}

describe('PostgresCatalog', () => {
  const catalog = new PostgresCatalog(dbs.pg);

  it('describes every table of every user schema exactly, sorted by schema then name in byte order', async () => {
    const expected = await expectedTables();
    // A temporary table of an open session is in pg_class too, under pg_temp_N: never listed.
    const tables = await withPostgres(dbs.pg, async (c) => {
      await c.query('CREATE TEMPORARY TABLE scratch (x int)');
      return catalog.tables();
    });
    expect(tables.map((t) => t.name)).toEqual(expected.map((t) => t.name));
    for (const [i, want] of expected.entries()) {
      const got = tables[i];
      expect(got?.columns, `${want.name.name}'s columns`).toEqual(want.columns);
      expect(got, want.name.name).toEqual({ ...want, oid: got?.oid });
    }
    const oids = await withPostgres(dbs.pg, (c) =>
      c.query<{ oid: number }>(
        `SELECT to_regclass(quote_ident(s) || '.' || quote_ident(n))::oid::int8::float8 AS oid
           FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS u(s, n, i) ORDER BY i`,
        [tables.map((t) => t.name.schema), tables.map((t) => t.name.name)],
      ),
    );
    expect(tables.map((t) => t.oid)).toEqual(oids.rows.map((r) => r.oid));
  });

  it('reads only the schemas it is given, etl too when named', async () => {
    const sales = await catalog.tables(['sales']);
    expect(sales.map((t) => t.name)).toEqual([{ schema: 'sales', name: 'orders' }]);
    expect(sales[0]?.columns.map((c) => c.name)).toEqual(['id', 'status', 'placed']);
    expect((await catalog.tables(['etl_state', 'sales'])).map((t) => t.name)).toEqual([
      { schema: 'etl_state', name: 'runs' },
      { schema: 'sales', name: 'orders' },
    ]);
    expect(await catalog.tables(['no such schema'])).toEqual([]);
    expect(await catalog.tables([])).toEqual([]);
  });
});
