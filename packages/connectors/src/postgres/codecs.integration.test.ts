/**
 * The proof of codecs.ts against the real servers: for every type, edge values go from
 * PostgreSQL through COPY text and LOAD DATA into the table the codec describes, with no
 * warning; each stored value equals the source's by the codec's comparison (and some by
 * literal expectation); a changed value is seen; every refused value is caught by `refuse`
 * before it travels; and `fromPgText` of each value's text form (what pgoutput sends) stores
 * exactly what the batch copy stored.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Readable } from 'node:stream';
import type pg from 'pg';
import type mysql from 'mysql2/promise';
import { to as copyTo } from 'pg-copy-streams';
import {
  DataCheckError,
  PG_EXPORT_SETTINGS,
  codecFor,
  decodeCopyField,
  encodeLoadField,
  type CodecOptions,
  type ColumnCodec,
  type PgColumnType,
  type PgTypeShape,
} from '@etl/core';
import { throwawayDatabases } from '../testing/index.js';
import { connectPostgres, quoteIdent } from './client.js';
import { ensurePostgresDatabase } from './schema-target.js';
import { connectMysql, quoteMysqlIdent } from '../mysql/client.js';
import { ensureMysqlDatabase } from '../mysql/schema-target.js';

type Rows = mysql.RowDataPacket[];

const dbs = throwawayDatabases(undefined, 'etl_codecs');
let source: pg.Client | undefined; // inserts, in a session far from UTC
let exporter: pg.Client | undefined; // the export session (PG_EXPORT_SETTINGS)
let target: mysql.Connection | undefined;
let noPad = 'utf8mb4_nopad_bin';
let pgVersion = 0;

const pgc = (): pg.Client => source ?? fail('no PostgreSQL session');
const pge = (): pg.Client => exporter ?? fail('no export session');
const my = (): mysql.Connection => target ?? fail('no MySQL session');
function fail(message: string): never {
  throw new Error(message);
}

beforeAll(async () => {
  await ensurePostgresDatabase(dbs.pg);
  await ensureMysqlDatabase(dbs.mysql);
  source = await connectPostgres(dbs.pg);
  await source.query(`SET TimeZone = 'America/St_Johns'`); // -03:30 / -02:30: nothing lines up with UTC by chance
  exporter = await connectPostgres(dbs.pg);
  for (const [name, value] of Object.entries(PG_EXPORT_SETTINGS)) await exporter.query(`SET ${name} = '${value}'`);
  target = await connectMysql(dbs.mysql);
  const [v] = await target.query<Rows>('SELECT VERSION() AS v');
  noPad = /mariadb/i.test(String(v[0]?.['v'])) ? 'utf8mb4_nopad_bin' : 'utf8mb4_0900_bin';
  pgVersion = Number((await source.query<{ v: string }>('SHOW server_version_num')).rows[0]?.v);
  await source.query(`CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy 🚀', 'A', 'a')`);
  await source.query(`CREATE TYPE pair AS (a int, b text)`);
  await source.query(`CREATE TYPE nest AS (p pair, at timestamptz, n numeric, ok boolean)`);
  await source.query(`CREATE TYPE witharray AS (a int[], b text)`);
});

afterAll(async () => {
  await Promise.allSettled([source?.end(), exporter?.end(), target?.end()]);
  await dbs.drop();
});

// ---------------------------------------------------------------------------------------------
// Shapes as the catalog reader describes them (typmod and format_type come from PostgreSQL).

const b = (name: string): PgTypeShape => ({ kind: 'base', name });
const t = (shape: PgTypeShape, typmod = -1): PgColumnType => ({ shape, typmod, formatted: '' });
const arr = (element: PgTypeShape): PgTypeShape => ({ kind: 'array', element: t(element) });
const PAIR: PgTypeShape = {
  kind: 'composite',
  name: 'public.pair',
  fields: [
    { name: 'a', type: t(b('int4')) },
    { name: 'b', type: t(b('text')) },
  ],
};
const NEST: PgTypeShape = {
  kind: 'composite',
  name: 'public.nest',
  fields: [
    { name: 'p', type: t(PAIR) },
    { name: 'at', type: t(b('timestamptz')) },
    { name: 'n', type: t(b('numeric')) },
    { name: 'ok', type: t(b('bool')) },
  ],
};
const WITH_ARRAY: PgTypeShape = {
  kind: 'composite',
  name: 'public.witharray',
  fields: [
    { name: 'a', type: t(arr(b('int4'))) },
    { name: 'b', type: t(b('text')) },
  ],
};
const MOOD: PgTypeShape = { kind: 'enum', name: 'public.mood', labels: ['sad', 'ok', 'happy 🚀', 'A', 'a'] };

/** A deterministic stream of random 64-bit patterns (xorshift64*). */
function* bits(seed: bigint): Generator<bigint> {
  let x = seed;
  for (;;) {
    x ^= x >> 12n;
    x ^= (x << 25n) & 0xffffffffffffffffn;
    x ^= x >> 27n;
    yield (x * 0x2545f4914f6cdd1dn) & 0xffffffffffffffffn;
  }
}
function randomDoubles(n: number, single: boolean): string[] {
  const out: string[] = [];
  const view = new DataView(new ArrayBuffer(8));
  for (const r of bits(single ? 7n : 11n)) {
    if (out.length >= n) break;
    view.setBigUint64(0, r);
    const x = single ? view.getFloat32(0) : view.getFloat64(0);
    if (Number.isFinite(x) && !Object.is(x, -0)) out.push(`'${String(x)}'`);
  }
  return out;
}

const LONG_TEXT = `repeat('é🚀x\\', 150000)`; // 1.2 MB of 1-, 4-, 1- and 1-byte characters
const ALL_BYTES =
  `(SELECT string_agg(set_byte('\\x00'::bytea, 0, i), ''::bytea ORDER BY i) ` + `FROM generate_series(0, 255) AS i)`;

interface Case {
  readonly name: string;
  /** The column's type as written in PostgreSQL DDL. */
  readonly ddl: string;
  readonly shape: PgTypeShape;
  readonly options?: CodecOptions;
  readonly mysqlType: string;
  /** SQL expressions, one row each (ids 1, 2, …). */
  readonly values: readonly string[];
  /** Values the codec must refuse. */
  readonly refused?: readonly string[];
  /** What MySQL holds for some rows (by id), read with `read` (default CAST(v AS CHAR)). */
  readonly stored?: Readonly<Record<number, string | null>>;
  readonly read?: (column: string) => string;
  readonly minVersion?: number;
}

const CASES: readonly Case[] = [
  {
    name: 'int2',
    ddl: 'smallint',
    shape: b('int2'),
    mysqlType: 'smallint',
    values: ['NULL', '0', '-32768', '32767'],
    stored: { 2: '0', 3: '-32768', 4: '32767' },
  },
  { name: 'int4', ddl: 'integer', shape: b('int4'), mysqlType: 'int', values: ['-2147483648', '2147483647', 'NULL'] },
  {
    name: 'int8',
    ddl: 'bigint',
    shape: b('int8'),
    mysqlType: 'bigint',
    values: ['-9223372036854775808', '9223372036854775807', '0'],
    stored: { 1: '-9223372036854775808', 2: '9223372036854775807' },
  },
  { name: 'oid', ddl: 'oid', shape: b('oid'), mysqlType: 'int unsigned', values: ['0', '4294967295'] },
  {
    name: 'bool',
    ddl: 'boolean',
    shape: b('bool'),
    mysqlType: 'tinyint(1)',
    values: ['true', 'false', 'NULL'],
    stored: { 1: '1', 2: '0', 3: null },
  },
  {
    name: 'numeric_10_2',
    ddl: 'numeric(10,2)',
    shape: b('numeric'),
    mysqlType: 'decimal(10,2)',
    values: ['0', '-99999999.99', '99999999.99', '0.5', 'NULL', '-0.01'],
    refused: [`'NaN'`],
    stored: { 2: '-99999999.99', 4: '0.50', 6: '-0.01' },
  },
  {
    name: 'numeric_65_30',
    ddl: 'numeric(65,30)',
    shape: b('numeric'),
    mysqlType: 'decimal(65,30)',
    values: [
      '99999999999999999999999999999999999.999999999999999999999999999999',
      '-0.000000000000000000000000000001',
      '1',
    ],
    stored: { 1: '99999999999999999999999999999999999.999999999999999999999999999999' },
  },
  {
    name: 'numeric_negative_scale',
    ddl: 'numeric(3,-2)',
    shape: b('numeric'),
    mysqlType: 'decimal(5,0)',
    values: ['12345', '-99900', '0'],
    stored: { 1: '12300', 2: '-99900' },
    minVersion: 150000,
  },
  {
    name: 'numeric_scale_above_precision',
    ddl: 'numeric(2,5)',
    shape: b('numeric'),
    mysqlType: 'decimal(5,5)',
    values: ['0.00012', '-0.00099'],
    stored: { 1: '0.00012', 2: '-0.00099' },
    minVersion: 150000,
  },
  {
    name: 'numeric_unconstrained',
    ddl: 'numeric',
    shape: b('numeric'),
    mysqlType: 'longtext',
    values: [
      `'NaN'`,
      `'1.50'`,
      `'-0.000000000000000000000000000000000000000001'`,
      `'123456789012345678901234567890123456789012345678901234567890123456789.123456789'`,
      `'1e400'::numeric`,
      '0',
      'NULL',
    ],
    stored: { 1: 'NaN', 2: '1.50' },
    read: (c) => c,
  },
  {
    name: 'numeric_infinity',
    ddl: 'numeric',
    shape: b('numeric'),
    mysqlType: 'longtext',
    values: [`'Infinity'`, `'-Infinity'`],
    stored: { 1: 'Infinity', 2: '-Infinity' },
    read: (c) => c,
    minVersion: 140000,
  },
  {
    name: 'numeric_wide',
    ddl: 'numeric(70,10)',
    shape: b('numeric'),
    mysqlType: 'varchar(73)',
    values: [`'-123456789012345678901234567890123456789012345678901234567890.1234567890'`, '0'],
    stored: { 2: '0.0000000000' },
    read: (c) => c,
  },
  {
    name: 'money',
    ddl: 'money',
    shape: b('money'),
    mysqlType: 'decimal(21,2)',
    values: ['1234.56', `'-92233720368547758.08'`, `'92233720368547758.07'`, '0', 'NULL'],
    stored: { 1: '1234.56', 2: '-92233720368547758.08', 4: '0.00' },
  },
  {
    name: 'float4',
    ddl: 'real',
    shape: b('float4'),
    mysqlType: 'float',
    values: [
      `'0.1'`,
      `'1e20'`,
      `'3.4028235e38'`,
      `'1.17549435e-38'`,
      `'1.4e-45'`,
      `'123456789.123'`,
      `'-1.5'`,
      '0',
      'NULL',
      ...randomDoubles(500, true),
    ],
    refused: [`'NaN'`, `'Infinity'`, `'-Infinity'`, `'-0'`],
    stored: { 3: '3.4028234663852886e38', 5: '1.401298464324817e-45', 6: '123456792' },
    read: (c) => `CAST(CAST(${c} AS DOUBLE) AS CHAR)`,
  },
  {
    name: 'float8',
    ddl: 'double precision',
    shape: b('float8'),
    mysqlType: 'double',
    values: [
      `'0.1'`,
      `'1e20'`,
      `'1e-300'`,
      `'5e-324'`,
      `'1.7976931348623157e308'`,
      `'2.2250738585072014e-308'`,
      `'123456789.123'`,
      `'0.30000000000000004'`,
      `'-7.0565261288925024e16'`, // PostgreSQL prints 17 digits, MariaDB the shortest 16
      `'1e15'`,
      `'1e-5'`,
      '0',
      'NULL',
      ...randomDoubles(2000, false),
    ],
    refused: [`'NaN'`, `'Infinity'`, `'-Infinity'`, `'-0'`],
    stored: { 2: '1e20', 4: '5e-324', 9: '-7.056526128892502e16' },
  },
  {
    name: 'char_5',
    ddl: 'character(5)',
    shape: b('bpchar'),
    mysqlType: 'varchar(5)',
    values: [`'a'`, `'a '`, `''`, `'🚀'`, `'abcde'`, 'NULL', `E'\\f' || chr(11)`], // PostgreSQL's E'' has no \v
    stored: { 1: 'a    ', 2: 'a    ', 3: '     ', 4: '🚀    ', 5: 'abcde' },
    read: (c) => c,
  },
  {
    name: 'bpchar_unbounded',
    ddl: 'bpchar',
    shape: b('bpchar'),
    mysqlType: 'longtext',
    values: [`'a  '`, `'b'`],
    stored: { 1: 'a  ' },
    read: (c) => c,
  },
  {
    name: 'varchar_10',
    ddl: 'varchar(10)',
    shape: b('varchar'),
    mysqlType: 'varchar(10)',
    values: [`'a '`, `''`, `'🚀🚀🚀🚀🚀🚀🚀🚀🚀🚀'`, `E'\\f' || chr(11)`, `E'a\\\\b'`, `E'\\t\\n\\r'`, 'NULL', `'\\N'`],
    stored: { 1: 'a ', 2: '', 4: '\f\v', 5: 'a\\b', 6: '\t\n\r', 8: '\\N' },
    read: (c) => c,
  },
  {
    name: 'varchar_300',
    ddl: 'varchar(300)',
    shape: b('varchar'),
    mysqlType: 'longtext',
    values: [`repeat('🚀', 300)`],
  },
  {
    name: 'text',
    ddl: 'text',
    shape: b('text'),
    mysqlType: 'longtext',
    values: [
      `''`,
      `'a '`,
      `' '`,
      `E'\\f'`,
      `chr(11)`,
      `E'\\\\'`,
      `E'\\t\\n\\r\\b'`,
      `'🚀'`,
      LONG_TEXT,
      'NULL',
      `'NULL'`,
      `'\\N'`,
      `(SELECT string_agg(chr(i), '' ORDER BY i) FROM generate_series(1, 127) AS i)`,
      `E'\\\\x41\\\\101'`,
    ],
    stored: { 1: '', 2: 'a ', 4: '\f', 5: '\v', 6: '\\', 7: '\t\n\r\b', 8: '🚀', 10: null, 11: 'NULL', 12: '\\N' },
    read: (c) => c,
  },
  {
    name: 'bytea',
    ddl: 'bytea',
    shape: b('bytea'),
    mysqlType: 'longblob',
    values: [`'\\x'`, ALL_BYTES, `'\\x00'`, 'NULL', `(SELECT decode(repeat('00ff5c0a0d09', 200000), 'hex'))`],
    stored: { 1: '', 3: '00', 4: null },
    read: (c) => `LOWER(HEX(${c}))`,
  },
  {
    name: 'date',
    ddl: 'date',
    shape: b('date'),
    mysqlType: 'date',
    values: [`'2024-02-29'`, `'1000-01-01'`, `'9999-12-31'`, 'NULL'],
    refused: [`'0999-12-31'`, `'10000-01-01'`, `'0044-03-15 BC'`, `'infinity'`, `'-infinity'`],
    stored: { 2: '1000-01-01', 3: '9999-12-31' },
  },
  {
    name: 'timestamp',
    ddl: 'timestamp',
    shape: b('timestamp'),
    mysqlType: 'datetime(6)',
    values: [
      `'2024-02-29 12:34:56.123456'`,
      `'1000-01-01 00:00:00'`,
      `'9999-12-31 23:59:59.999999'`,
      `'2024-01-01 00:00:00.5'`,
      'NULL',
    ],
    refused: [`'0999-12-31 23:59:59.999999'`, `'infinity'`, `'-infinity'`, `'2000-01-01 BC'`, `'10000-01-01'`],
    stored: { 1: '2024-02-29 12:34:56.123456', 4: '2024-01-01 00:00:00.500000' },
  },
  {
    name: 'timestamp_0',
    ddl: 'timestamp(0)',
    shape: b('timestamp'),
    mysqlType: 'datetime',
    values: [`'2024-02-29 12:34:56.5'`, `'2024-02-29 12:34:56'`],
    stored: { 1: '2024-02-29 12:34:57' },
  },
  {
    name: 'timestamptz',
    ddl: 'timestamptz',
    shape: b('timestamptz'),
    mysqlType: 'datetime(6)',
    values: [
      `'2024-03-10 01:59:59.999999'`, // in America/St_Johns (-03:30)
      `'1000-01-01 00:00:00+00'`,
      `'9999-12-31 23:59:59.999999+00'`,
      `'1900-01-01 00:00:00 Europe/Amsterdam'`, // +00:19:32, local mean time
      `'2024-06-01 12:00:00+05:45'`,
      'NULL',
    ],
    refused: [`'0999-12-31 23:59:59+00'`, `'9999-12-31 23:59:59.999999-01'`, `'infinity'`, `'-infinity'`],
    stored: { 1: '2024-03-10 05:29:59.999999', 4: '1899-12-31 23:40:28.000000', 5: '2024-06-01 06:15:00.000000' },
  },
  {
    name: 'timestamptz_3',
    ddl: 'timestamptz(3)',
    shape: b('timestamptz'),
    mysqlType: 'datetime(3)',
    values: [`'2024-03-10 01:59:59.9995'`, `'2024-03-10 01:59:59.123'`],
    stored: { 1: '2024-03-10 05:30:00.000', 2: '2024-03-10 05:29:59.123' },
  },
  {
    name: 'time',
    ddl: 'time',
    shape: b('time'),
    mysqlType: 'time(6)',
    values: [`'00:00:00'`, `'24:00:00'`, `'23:59:59.999999'`, `'12:34:56.5'`, 'NULL'],
    stored: { 2: '24:00:00.000000', 4: '12:34:56.500000' },
  },
  { name: 'time_0', ddl: 'time(0)', shape: b('time'), mysqlType: 'time', values: [`'24:00:00'`, `'01:02:03'`] },
  {
    name: 'timetz',
    ddl: 'timetz',
    shape: b('timetz'),
    mysqlType: 'varchar(32)',
    values: [`'12:34:56.123456+05:30'`, `'00:00:00-15:59'`, `'24:00:00+00'`, `'23:59:59.999999+15:59:59'`],
    stored: { 1: '12:34:56.123456+05:30' },
    read: (c) => c,
  },
  {
    name: 'interval',
    ddl: 'interval',
    shape: b('interval'),
    mysqlType: 'varchar(64)',
    values: [
      `'1 year 2 months 3 days 04:05:06.789'`,
      `'-1 days +02:00'`,
      `'0'`,
      `'-178956970 years -8 months -2147483648 days'::interval + '-2562047788:00:54.775807'::interval`,
    ],
    stored: { 1: 'P1Y2M3DT4H5M6.789S', 2: 'P-1DT2H', 3: 'PT0S' },
    read: (c) => c,
  },
  {
    name: 'uuid',
    ddl: 'uuid',
    shape: b('uuid'),
    mysqlType: 'char(36)',
    values: [`'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11'`, `'00000000-0000-0000-0000-000000000000'`, 'NULL'],
    stored: { 1: 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11' },
    read: (c) => c,
  },
  {
    name: 'json',
    ddl: 'json',
    shape: b('json'),
    mysqlType: 'longtext',
    values: [
      `'{"a":1,"a":2}'`,
      `E' { "b" : [1, 2.50,  1e400 ],\\n\\t"a": "\\\\u0000 🚀" } '`,
      `'12345678901234567890123'`,
      `'null'`,
      'NULL',
    ],
    stored: { 1: '{"a":1,"a":2}', 2: ' { "b" : [1, 2.50,  1e400 ],\n\t"a": "\\u0000 🚀" } ', 4: 'null', 5: null },
    read: (c) => c,
  },
  {
    name: 'jsonb',
    ddl: 'jsonb',
    shape: b('jsonb'),
    mysqlType: 'longtext',
    values: [
      `'{"b":1, "a":1.50, "a":2, "aa": [1.0, -0, 0.10]}'`,
      `'{"n": 12345678901234567890123, "e": 1e40, "s": "\\u00e9\\n"}'`,
      `'[]'`,
    ],
    stored: {
      1: '{"a": 2, "b": 1, "aa": [1.0, 0, 0.10]}',
      2: '{"e": 10000000000000000000000000000000000000000, "n": 12345678901234567890123, "s": "é\\n"}',
    },
    read: (c) => c,
  },
  {
    name: 'inet',
    ddl: 'inet',
    shape: b('inet'),
    mysqlType: 'varchar(50)',
    values: [`'192.168.1.5'`, `'192.168.1.5/24'`, `'::1'`, `'2001:db8::1/64'`, `'::ffff:255.255.255.255/128'`],
    stored: { 1: '192.168.1.5', 2: '192.168.1.5/24' },
    read: (c) => c,
  },
  {
    name: 'cidr',
    ddl: 'cidr',
    shape: b('cidr'),
    mysqlType: 'varchar(50)',
    values: [`'10.0.0.0/8'`, `'2001:db8::/32'`],
  },
  { name: 'macaddr', ddl: 'macaddr', shape: b('macaddr'), mysqlType: 'varchar(17)', values: [`'08:00:2B:01:02:03'`] },
  {
    name: 'macaddr8',
    ddl: 'macaddr8',
    shape: b('macaddr8'),
    mysqlType: 'varchar(23)',
    values: [`'08:00:2b:01:02:03:04:05'`],
  },
  {
    name: 'enum',
    ddl: 'mood',
    shape: MOOD,
    mysqlType: 'varchar(7)',
    values: [`'sad'`, `'happy 🚀'`, `'A'`, `'a'`, 'NULL'],
    stored: { 2: 'happy 🚀', 3: 'A', 4: 'a' },
    read: (c) => c,
  },
  {
    name: 'bit_5',
    ddl: 'bit(5)',
    shape: b('bit'),
    mysqlType: 'varchar(5)',
    values: [`B'10101'`, `B'00000'`],
    stored: { 1: '10101' },
    read: (c) => c,
  },
  { name: 'varbit', ddl: 'varbit', shape: b('varbit'), mysqlType: 'longtext', values: [`B''`, `B'1'`] },
  { name: 'bit_300', ddl: 'bit(300)', shape: b('bit'), mysqlType: 'longtext', values: [`repeat('1', 300)::bit(300)`] },
  { name: 'tsvector', ddl: 'tsvector', shape: b('tsvector'), mysqlType: 'longtext', values: [`'a fat cat'`, `''`] },
  { name: 'tsquery', ddl: 'tsquery', shape: b('tsquery'), mysqlType: 'longtext', values: [`'a & !b'`] },
  {
    name: 'xml',
    ddl: 'xml',
    shape: b('xml'),
    mysqlType: 'longtext',
    values: [`'<a b="1">x &amp; 🚀</a>'`, `'text only'`],
  },
  ...(
    [
      ['point', `'(1.5,2)'`],
      ['line', `'{1,2,3}'`],
      ['lseg', `'((1,2),(3,4))'`],
      ['box', `'((1,2),(3,4))'`],
      ['path', `'[(1,2),(3,4)]'`],
      ['polygon', `'((1,2),(3,4),(5,0))'`],
      ['circle', `'<(1,2),3>'`],
    ] as const
  ).map(([name, value]): Case => ({ name, ddl: name, shape: b(name), mysqlType: 'longtext', values: [value, 'NULL'] })),
  { name: 'pg_lsn', ddl: 'pg_lsn', shape: b('pg_lsn'), mysqlType: 'varchar(17)', values: [`'16/B374D848'`] },
  {
    name: 'txid_snapshot',
    ddl: 'txid_snapshot',
    shape: b('txid_snapshot'),
    mysqlType: 'longtext',
    values: [`'10:20:10,14,15'`],
  },
  { name: 'name', ddl: 'name', shape: b('name'), mysqlType: 'varchar(63)', values: [`'a name 🚀'`] },
  {
    name: 'char_byte',
    ddl: '"char"',
    shape: b('char'),
    mysqlType: 'varchar(4)',
    values: [`'a'`, `'\\351'::"char"`],
  },
  // Arrays and composites: JSON where to_json is exact and can be reproduced, else text.
  {
    name: 'int_array',
    ddl: 'integer[]',
    shape: arr(b('int4')),
    mysqlType: 'longtext',
    values: [`'{1,2,NULL}'`, `'{}'`, `'{{1,2},{3,4}}'`, 'NULL', `'{{{NULL}}}'`],
    refused: [`'[2:3]={1,2}'`, `'[1:2][0:0]={{1},{2}}'`],
    stored: { 1: '[1,2,null]', 2: '[]', 3: '[[1,2],[3,4]]' },
    read: (c) => c,
  },
  {
    name: 'text_array',
    ddl: 'text[]',
    shape: arr(b('text')),
    mysqlType: 'longtext',
    values: [
      `ARRAY['a b', '', NULL, 'NULL', 'null', 'x"y', E'a\\\\b', '🚀', '{', ' ', ` +
        `E'\\f' || chr(11) || E'\\t\\n', 'a,b', '}']`,
      `ARRAY[E'\\u0001']`,
    ],
    stored: { 1: '["a b","",null,"NULL","null","x\\"y","a\\\\b","🚀","{"," ","\\f\\u000b\\t\\n","a,b","}"]' },
    read: (c) => c,
  },
  {
    name: 'composite',
    ddl: 'pair',
    shape: PAIR,
    mysqlType: 'longtext',
    values: [`ROW(1, 'x')`, `ROW(NULL, NULL)`, `ROW(2, 'a "b" \\ c, (d)')`, 'NULL', `ROW(3, '')`],
    stored: { 1: '{"a":1,"b":"x"}', 2: '{"a":null,"b":null}', 4: null, 5: '{"a":3,"b":""}' },
    read: (c) => c,
  },
  {
    name: 'nested_composite',
    ddl: 'nest',
    shape: NEST,
    mysqlType: 'longtext',
    values: [
      `ROW(ROW(1, 'x y'), '2024-01-01 12:00:00.5+02', 1.50, true)::nest`,
      `ROW(NULL, NULL, NULL, NULL)::nest`,
      `ROW(ROW(NULL, ''), '0044-03-15 10:00:00+00 BC', 'NaN', false)::nest`,
    ],
    stored: { 1: '{"p":{"a":1,"b":"x y"},"at":"2024-01-01T10:00:00.5+00:00","n":1.50,"ok":true}' },
    read: (c) => c,
  },
  {
    name: 'composite_with_array',
    ddl: 'witharray',
    shape: WITH_ARRAY,
    mysqlType: 'longtext',
    values: [`ROW('[0:1]={1,2}', 'x')::witharray`, `ROW(NULL, NULL)::witharray`],
    stored: { 1: '("[0:1]={1,2}",x)', 2: '(,)' },
    read: (c) => c,
  },
  {
    name: 'composite_array',
    ddl: 'pair[]',
    shape: arr(PAIR),
    mysqlType: 'longtext',
    values: [`ARRAY[ROW(1, 'x'), ROW(NULL, 'a"b'), NULL]::pair[]`],
    stored: { 1: '[{"a":1,"b":"x"},{"a":null,"b":"a\\"b"},null]' },
    read: (c) => c,
  },
  {
    name: 'int4range',
    ddl: 'int4range',
    shape: { kind: 'range', name: 'pg_catalog.int4range', subtype: t(b('int4')), multi: false },
    mysqlType: 'longtext',
    values: [`'[1,5)'`, `'empty'`, `'(,)'`],
  },
  {
    name: 'tstzrange',
    ddl: 'tstzrange',
    shape: { kind: 'range', name: 'pg_catalog.tstzrange', subtype: t(b('timestamptz')), multi: false },
    mysqlType: 'longtext',
    values: [`'[2024-01-01 00:00, 2024-02-01 00:00+05)'`],
  },
  {
    name: 'int4multirange',
    ddl: 'int4multirange',
    shape: { kind: 'range', name: 'pg_catalog.int4multirange', subtype: t(b('int4')), multi: true },
    mysqlType: 'longtext',
    values: [`'{[1,3), [5,7)}'`, `'{}'`],
    minVersion: 140000,
  },
  // asText: PostgreSQL's text form whatever the type, nothing refused.
  ...(
    [
      ['bool', 'boolean', [`true`, `false`], { 1: 't' }],
      ['bpchar', 'character(3)', [`'a'`], { 1: 'a  ' }],
      ['inet', 'inet', [`'10.1.2.3'`, `'10.1.2.3/8'`], { 1: '10.1.2.3', 2: '10.1.2.3/8' }],
      ['float8', 'double precision', [`'NaN'`, `'-0'`, `'-Infinity'`, `'1e+20'`], { 1: 'NaN', 2: '-0', 4: '1e+20' }],
      ['date', 'date', [`'0044-03-15 BC'`, `'infinity'`], { 1: '0044-03-15 BC' }],
      ['timestamptz', 'timestamptz', [`'2024-01-01 00:00:00+00'`], { 1: '2024-01-01 00:00:00+00' }],
      ['bytea', 'bytea', [`'\\x00ff'`], { 1: '\\x00ff' }],
      ['int_array', 'integer[]', [`'[2:3]={1,2}'`], { 1: '[2:3]={1,2}' }],
      ['money', 'money', [`12.5`], { 1: '$12.50' }],
    ] as const
  ).map(([name, ddl, values, stored]): Case => ({
    name: `as_text_${name}`,
    ddl,
    shape: name === 'int_array' ? arr(b('int4')) : b(name === 'bpchar' ? 'bpchar' : name),
    options: { asText: true },
    mysqlType: 'longtext',
    values,
    stored,
    read: (c) => c,
  })),
  // Keys: MySQL must index them (3,072 bytes); 'a', 'a ' and 'A' stay three keys.
  {
    name: 'key_text',
    ddl: 'text',
    shape: b('text'),
    options: { key: true },
    mysqlType: 'varchar(768)',
    values: [`'a'`, `'a '`, `'A'`, `''`, `'🚀'`, `repeat('🚀', 768)`],
    refused: [`repeat('x', 769)`],
  },
  {
    name: 'key_varchar',
    ddl: 'varchar(10)',
    shape: b('varchar'),
    options: { key: true },
    mysqlType: 'varchar(10)',
    values: [`'a'`, `'a '`, `'A'`],
  },
  {
    name: 'key_varchar_1000',
    ddl: 'varchar(1000)',
    shape: b('varchar'),
    options: { key: true },
    mysqlType: 'varchar(768)',
    values: [`'a'`],
    refused: [`repeat('y', 1000)`],
  },
  {
    name: 'key_char',
    ddl: 'character(4)',
    shape: b('bpchar'),
    options: { key: true },
    mysqlType: 'varchar(4)',
    values: [`'a'`, `'A'`, `'a b'`],
  },
  {
    name: 'key_bytea',
    ddl: 'bytea',
    shape: b('bytea'),
    options: { key: true },
    mysqlType: 'varbinary(3072)',
    values: [`'\\x'`, `'\\x00'`, `'\\x0000'`, ALL_BYTES, `decode(repeat('ab', 3072), 'hex')`],
    refused: [`decode(repeat('ab', 3073), 'hex')`],
  },
  {
    name: 'key_uuid',
    ddl: 'uuid',
    shape: b('uuid'),
    options: { key: true },
    mysqlType: 'char(36)',
    values: [`'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'`],
  },
  {
    name: 'key_int_array',
    ddl: 'integer[]',
    shape: arr(b('int4')),
    options: { key: true },
    mysqlType: 'varchar(768)',
    values: [`'{1,2}'`, `'{}'`],
    refused: [`(SELECT array_agg(i) FROM generate_series(1000, 1200) AS i)`, `'[0:0]={1}'`],
  },
  {
    name: 'key_timestamptz',
    ddl: 'timestamptz',
    shape: b('timestamptz'),
    options: { key: true },
    mysqlType: 'datetime(6)',
    values: [`'2024-01-01 00:00:00+00'`, `'2024-01-01 00:00:00.000001+00'`],
  },
];

/** Arrays of every scalar kind: each a case of its own, generated. */
const ARRAY_CASES: readonly Case[] = (
  [
    ['bool', 'boolean[]', [`'{t,f,NULL}'`], '[true,false,null]'],
    ['numeric', 'numeric[]', [`'{1.50,NaN,-0.001}'`], '[1.50,"NaN",-0.001]'],
    ['float8', 'float8[]', [`'{NaN,Infinity,-0,1e20,0.1,-Infinity}'`], '["NaN","Infinity",-0,1e+20,0.1,"-Infinity"]'],
    ['float4', 'float4[]', [`'{3.4028235e38,1e-45,NaN}'`], '[3.4028235e+38,1e-45,"NaN"]'],
    ['int8', 'int8[]', [`'{-9223372036854775808}'`], '[-9223372036854775808]'],
    ['varchar', 'varchar(5)[]', [`'{"a b",x}'`], '["a b","x"]'],
    ['bpchar', 'character(3)[]', [`'{a,"b c"}'`], '["a  ","b c"]'],
    ['date', 'date[]', [`'{2024-01-01,0044-03-15 BC,infinity}'`], '["2024-01-01","0044-03-15 BC","infinity"]'],
    [
      'timestamp',
      'timestamp[]',
      [`'{"2024-01-01 10:00:00.5","0044-03-15 10:00 BC",-infinity}'`],
      '["2024-01-01T10:00:00.5","0044-03-15T10:00:00 BC","-infinity"]',
    ],
    [
      'timestamptz',
      'timestamptz[]',
      [`'{"2024-01-01 10:00:00.5+05:30","1900-01-01 00:00 Europe/Amsterdam","0044-03-15 10:00+00 BC",infinity}'`],
      '["2024-01-01T04:30:00.5+00:00","1899-12-31T23:40:28+00:00","0044-03-15T10:00:00+00:00 BC","infinity"]',
    ],
    ['json', 'json[]', [`ARRAY['{"b":1, "a" :2}'::json, '[1,  2]']`], '[{"b":1, "a" :2},[1,  2]]'],
    ['jsonb', 'jsonb[]', [`ARRAY['{"b":1, "a" :2}'::jsonb]`], '[{"a": 2, "b": 1}]'],
    ['bytea', 'bytea[]', [`ARRAY['\\x00ff'::bytea, '\\x']`], '["\\\\x00ff","\\\\x"]'],
    ['uuid', 'uuid[]', [`'{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}'`], '["a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"]'],
    ['box', 'box[]', [`ARRAY['((1,2),(3,4))'::box, '((0,0),(1,1))']`], '["(3,4),(1,2)","(1,1),(0,0)"]'],
    ['money', 'money[]', [`ARRAY[1.5::money, '-2']`], '["$1.50","-$2.00"]'],
    ['interval', 'interval[]', [`ARRAY['1 day 02:00'::interval]`], '["P1DT2H"]'],
    ['inet', 'inet[]', [`ARRAY['10.0.0.1'::inet, '10.0.0.0/8']`], '["10.0.0.1","10.0.0.0/8"]'],
    ['int4range', 'int4range[]', [`ARRAY['[1,2)'::int4range, 'empty']`], '["[1,2)","empty"]'],
    ['mood', 'mood[]', [`ARRAY['happy 🚀'::mood, NULL]`], '["happy 🚀",null]'],
  ] as const
).map(([name, ddl, values, first]): Case => {
  const element: PgTypeShape =
    name === 'mood'
      ? MOOD
      : name === 'int4range'
        ? { kind: 'range', name: 'pg_catalog.int4range', subtype: t(b('int4')), multi: false }
        : b(name);
  return {
    name: `array_${name}`,
    ddl,
    shape: arr(element),
    mysqlType: 'longtext',
    values: [...values, 'NULL', `'{}'`],
    stored: { 1: first, 3: '[]' },
    read: (c) => c,
  };
});

const ALL_CASES = [...CASES, ...ARRAY_CASES];

// ---------------------------------------------------------------------------------------------

const normaliseType = (type: string): string =>
  type.toLowerCase().replace(/^(tinyint|smallint|mediumint|int|bigint)\(\d+\)/, '$1');

/** COPY text → LOAD DATA text, field by field (the two escape sets differ: \f, \v). */
function copyToLoad(copy: string): string {
  return copy
    .split('\n')
    .filter((line) => line !== '')
    .map((line) =>
      line
        .split('\t')
        .map((field) => encodeLoadField(decodeCopyField(field)))
        .join('\t'),
    )
    .join('\n')
    .concat('\n');
}

async function copyOut(client: pg.Client, sql: string): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of client.query(copyTo(sql)) as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

interface Hashes {
  readonly hash: Map<number, string>;
  readonly text: Map<number, string>;
}

function hashesOf(rows: readonly Record<string, unknown>[]): Hashes {
  const str = (v: unknown): string => (Buffer.isBuffer(v) ? v.toString('utf8') : String(v));
  return {
    hash: new Map(rows.map((r) => [Number(r['id']), str(r['h'])])),
    text: new Map(rows.map((r) => [Number(r['id']), str(r['t'])])),
  };
}

async function pgHashes(table: string, codec: ColumnCodec): Promise<Hashes> {
  const compare = `coalesce((${codec.pgCompare('v')})::text, '\\N')`;
  const r = await pge().query(`SELECT id, md5(${compare}) AS h, left(${compare}, 300) AS t FROM ${table} ORDER BY id`);
  return hashesOf(r.rows as Record<string, unknown>[]);
}

async function mysqlHashes(table: string, codec: ColumnCodec): Promise<Hashes> {
  const compare = `COALESCE(${codec.mysqlCompare('v')}, '\\\\N')`;
  const [rows] = await my().query<Rows>(
    `SELECT id, MD5(${compare}) AS h, LEFT(${compare}, 300) AS t FROM ${table} ORDER BY id`,
  );
  return hashesOf(rows);
}

function expectSame(mysqlSide: Hashes, pgSide: Hashes, what: string): void {
  const differing = [...pgSide.hash].filter(([id, h]) => mysqlSide.hash.get(id) !== h);
  expect(
    differing.map(([id]) => ({ id, pg: pgSide.text.get(id), mysql: mysqlSide.text.get(id) })),
    what,
  ).toEqual([]);
  expect([...mysqlSide.hash.keys()], what).toEqual([...pgSide.hash.keys()]);
}

/** The value's text form as its output function prints it in a session (what pgoutput sends). */
async function outputTexts(client: pg.Client, table: string): Promise<{ id: number; text: string | null }[]> {
  const r = await client.query({
    text: `SELECT id, v FROM ${table} ORDER BY id`,
    types: { getTypeParser: () => (value: string) => value },
  } as pg.QueryConfig);
  return (r.rows as { id: string; v: string | null }[]).map((row) => ({ id: Number(row.id), text: row.v }));
}

async function mysqlWarnings(): Promise<unknown[]> {
  const [rows] = await my().query<Rows>('SHOW WARNINGS');
  return rows;
}

async function mysqlTable(name: string, codec: ColumnCodec, key: boolean): Promise<void> {
  const text = codec.textual ? ` CHARACTER SET utf8mb4 COLLATE ${noPad}` : '';
  await my().query(
    `CREATE TABLE ${name} (id int NOT NULL, v ${codec.mysqlType}${text} ${key ? 'NOT NULL' : 'NULL'}, ` +
      `PRIMARY KEY (${key ? 'v' : 'id'})) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`,
  );
  const [cols] = await my().query<Rows>(
    `SELECT COLUMN_TYPE AS type FROM information_schema.COLUMNS ` +
      `WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND COLUMN_NAME = 'v'`,
    [name],
  );
  expect(normaliseType(String(cols[0]?.['type'])), `${name}: COLUMN_TYPE`).toBe(normaliseType(codec.mysqlType));
}

describe('one codec per PostgreSQL type, against PostgreSQL and MariaDB/MySQL', () => {
  it.each(ALL_CASES.map((c) => [c.name, c] as const))('%s', async (_, testCase) => {
    if (testCase.minVersion !== undefined && pgVersion < testCase.minVersion) return;
    const key = testCase.options?.key === true;
    const pgTable = quoteIdent(`t_${testCase.name}`);
    const refusedTable = quoteIdent(`r_${testCase.name}`);
    await pgc().query(
      `CREATE TABLE ${pgTable} (id int ${key ? 'NOT NULL' : 'PRIMARY KEY'}, ` +
        `v ${testCase.ddl}${key ? ' PRIMARY KEY' : ''})`,
    );
    await pgc().query(`CREATE TABLE ${refusedTable} (id int PRIMARY KEY, v ${testCase.ddl})`);
    const attr = (
      await pgc().query<{ oid: number; typmod: number; formatted: string }>(
        `SELECT atttypid::int AS oid, atttypmod AS typmod, format_type(atttypid, atttypmod) AS formatted
           FROM pg_attribute
          WHERE attrelid = $1::regclass AND attname = 'v'`,
        [pgTable],
      )
    ).rows[0];
    if (attr === undefined) throw new Error('no column v');
    const shape: PgTypeShape =
      testCase.shape.kind === 'array'
        ? { kind: 'array', element: { ...testCase.shape.element, typmod: attr.typmod } }
        : testCase.shape;
    const column = {
      name: 'v',
      attnum: 2,
      typeOid: attr.oid,
      typeMod: attr.typmod,
      type: { shape, typmod: attr.typmod, formatted: attr.formatted },
      nullable: !key,
      generated: false,
    };
    const codec = codecFor(column, testCase.options ?? {});
    expect(codec.mysqlType).toBe(testCase.mysqlType);
    expect(codec.note).not.toBe('');

    const values = testCase.values;
    for (const [i, value] of values.entries()) await pgc().query(`INSERT INTO ${pgTable} VALUES (${i + 1}, ${value})`);
    for (const [i, value] of (testCase.refused ?? []).entries())
      await pgc().query(`INSERT INTO ${refusedTable} VALUES (${i + 1}, ${value})`);

    // Refusals: every refused value caught, no other.
    const refuse = codec.refuse;
    if ((testCase.refused ?? []).length > 0) expect(refuse, 'a refusal').toBeDefined();
    if (refuse !== undefined) {
      expect(refuse.reason).not.toBe('');
      const count = async (table: string): Promise<number> =>
        Number(
          (await pge().query<{ n: string }>(`SELECT count(*) AS n FROM ${table} WHERE ${refuse.when('v')}`)).rows[0]?.n,
        );
      expect(await count(pgTable), 'values refused that fit').toBe(0);
      expect(await count(refusedTable), 'values that do not fit, refused').toBe((testCase.refused ?? []).length);
    }

    // The batch copy: COPY text → LOAD DATA, no warning.
    const myTable = quoteMysqlIdent(`m_${testCase.name}`);
    await mysqlTable(`m_${testCase.name}`, codec, key);
    const copied = await copyOut(
      pge(),
      `COPY (SELECT id, ${codec.pgExport('v')} FROM ${pgTable} ORDER BY id) TO STDOUT`,
    );
    const load = codec.mysqlLoad === undefined ? undefined : (v: string) => codec.mysqlLoad?.(v) ?? v;
    const [result] = await my().query<mysql.ResultSetHeader>({
      sql:
        `LOAD DATA LOCAL INFILE 'etl-stream' INTO TABLE ${myTable} CHARACTER SET utf8mb4 ` +
        `FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' LINES TERMINATED BY '\\n' ` +
        (load === undefined ? '(id, v)' : `(id, @v1) SET v = ${load('@v1')}`),
      infileStreamFactory: () => Readable.from([Buffer.from(copyToLoad(copied), 'utf8')]),
    } as mysql.QueryOptions);
    expect(await mysqlWarnings(), 'LOAD DATA warnings').toEqual([]);
    expect(result.warningStatus).toBe(0);
    expect(result.affectedRows).toBe(values.length);

    // Equal by the codec's comparison, and by literal expectation.
    const source = await pgHashes(pgTable, codec);
    expectSame(await mysqlHashes(myTable, codec), source, 'the copy');
    if (testCase.stored !== undefined) {
      const read = testCase.read ?? ((c: string) => `CAST(${c} AS CHAR)`);
      const [rows] = await my().query<Rows>(`SELECT id, ${read('v')} AS v FROM ${myTable} ORDER BY id`);
      const got = new Map(rows.map((r) => [Number(r['id']), r['v'] === null ? null : String(r['v'])]));
      for (const [id, want] of Object.entries(testCase.stored)) expect(got.get(Number(id)), `row ${id}`).toBe(want);
    }

    // cdc apply: each value's text form through fromPgText, bound in an INSERT, stores the same.
    const applied = quoteMysqlIdent(`a_${testCase.name}`);
    await mysqlTable(`a_${testCase.name}`, codec, key);
    // timestamptz from a session far from UTC too: fromPgText converts any offset.
    const anyZone =
      testCase.shape.kind === 'base' && testCase.shape.name === 'timestamptz' && testCase.options?.asText !== true;
    const sessions = anyZone ? [pge(), pgc()] : [pge()];
    for (const session of sessions) {
      await my().query(`DELETE FROM ${applied}`);
      for (const { id, text } of await outputTexts(session, pgTable)) {
        const [inserted] = await my().query<mysql.ResultSetHeader>(`INSERT INTO ${applied} (id, v) VALUES (?, ?)`, [
          id,
          text === null ? null : codec.fromPgText(text),
        ]);
        expect(inserted.warningStatus, `INSERT of row ${id}`).toBe(0);
      }
      expectSame(await mysqlHashes(applied, codec), source, 'the apply');
      const [unequal] = await my().query<Rows>(
        `SELECT m.id FROM ${myTable} AS m JOIN ${applied} AS a USING (id) WHERE NOT (m.v <=> a.v)`,
      );
      expect(unequal, 'apply and copy store the same').toEqual([]);
    }
    for (const { text } of await outputTexts(pge(), refusedTable)) {
      expect(() => codec.fromPgText(text ?? ''), `fromPgText(${text})`).toThrow(DataCheckError);
    }

    // A changed value is seen: swap two distinct values, or change the only one.
    const distinct = [...source.hash].filter(([, h]) => h !== source.hash.get(1));
    const other = distinct[0]?.[0];
    if (other !== undefined && !key) {
      await my().query(
        `UPDATE ${myTable} SET v = (SELECT v FROM (SELECT v FROM ${myTable} WHERE id = ?) AS x) WHERE id = 1`,
        [other],
      );
      const after = await mysqlHashes(myTable, codec);
      expect(after.hash.get(1), 'a changed value differs').not.toBe(source.hash.get(1));
      expect(after.hash.get(other)).toBe(source.hash.get(other));
    }
  });

  it('sees a change in the last bit of a double, a trailing space, a byte', async () => {
    const cases: [string, ColumnCodec, string, string, string][] = [
      ['double', codecFor(col(b('float8'))), `'0.1'`, 'double precision', 'v * (1 + 2.220446049250313e-16)'],
      ['text', codecFor(col(b('text'))), `'a'`, 'text', `CONCAT(v, ' ')`],
      ['bytea', codecFor(col(b('bytea'))), `'\\x00'`, 'bytea', `CONCAT(v, X'00')`],
      ['datetime', codecFor(col(b('timestamptz'))), `now()`, 'timestamptz', 'v + INTERVAL 1 MICROSECOND'],
    ];
    for (const [name, codec, value, ddl, change] of cases) {
      const pgTable = `change_${name}`;
      await pgc().query(`CREATE TABLE ${pgTable} (id int PRIMARY KEY, v ${ddl})`);
      await pgc().query(`INSERT INTO ${pgTable} VALUES (1, ${value})`);
      await mysqlTable(pgTable, codec, false);
      const exported = await pge().query({
        text: `SELECT ${codec.pgExport('v')} AS v FROM ${pgTable}`,
        types: { getTypeParser: () => (v: string) => v },
      } as pg.QueryConfig);
      const v = String((exported.rows[0] as { v: string }).v);
      const load = (x: string): string => codec.mysqlLoad?.(x) ?? x;
      await my().query(`INSERT INTO ${pgTable} VALUES (1, ${load('?')})`, [v]);
      const before = await pgHashes(pgTable, codec);
      expectSame(await mysqlHashes(pgTable, codec), before, name);
      await my().query(`UPDATE ${pgTable} SET v = ${change}`);
      expect((await mysqlHashes(pgTable, codec)).hash.get(1), name).not.toBe(before.hash.get(1));
    }
  });

  it('refuses an enum label added after the replica was made', async () => {
    const codec = codecFor(col(MOOD));
    await pgc().query(`ALTER TYPE mood ADD VALUE 'a label much longer'`);
    await pgc().query(`CREATE TABLE late_label (v mood)`);
    await pgc().query(`INSERT INTO late_label VALUES ('a label much longer'), ('sad')`);
    const r = await pge().query<{ n: string }>(
      `SELECT count(*) AS n FROM late_label WHERE ${codec.refuse?.when('v') ?? 'false'}`,
    );
    expect(Number(r.rows[0]?.n)).toBe(1);
    expect(() => codec.fromPgText('a label much longer')).toThrow(DataCheckError);
  });
});

function col(shape: PgTypeShape, typmod = -1): Parameters<typeof codecFor>[0] {
  return {
    name: 'v',
    attnum: 1,
    typeOid: 0,
    typeMod: typmod,
    type: { shape, typmod, formatted: '' },
    nullable: true,
    generated: false,
  };
}
