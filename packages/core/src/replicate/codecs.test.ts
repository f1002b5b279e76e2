import { describe, expect, it } from 'vitest';
import type { PgColumnType, PgTypeShape, SourceColumn } from '../catalog/source-table.js';
import { DataCheckError } from '../errors.js';
import type { CodecOptions, ColumnCodec } from './codec.js';
import {
  KEY_TEXT_CHARS,
  byteaFromText,
  codecFor,
  numericTypmod,
  parseArray,
  parseRecord,
  timestamptzToUtc,
} from './codecs.js';

const b = (name: string): PgTypeShape => ({ kind: 'base', name });
const type = (shape: PgTypeShape, typmod = -1): PgColumnType => ({ shape, typmod, formatted: '' });
const column = (shape: PgTypeShape, typmod = -1): SourceColumn => ({
  name: 'v',
  attnum: 1,
  typeOid: 0,
  typeMod: typmod,
  type: type(shape, typmod),
  nullable: true,
  generated: false,
});
const codec = (shape: PgTypeShape, typmod = -1, options: CodecOptions = {}): ColumnCodec =>
  codecFor(column(shape, typmod), options);
/** numeric(p,s)'s typmod, as atttypmod holds it. */
const numeric = (p: number, s: number): number => ((p << 16) | (s & 0x7ff)) + 4;
const arrayOf = (element: PgTypeShape): PgTypeShape => ({ kind: 'array', element: type(element) });
const PAIR: PgTypeShape = {
  kind: 'composite',
  name: 'public.pair',
  fields: [
    { name: 'a', type: type(b('int4')) },
    { name: 'b', type: type(b('text')) },
  ],
};

describe('codecFor: the MySQL type of each PostgreSQL type', () => {
  it.each([
    ['int2', -1, 'smallint'],
    ['int4', -1, 'int'],
    ['int8', -1, 'bigint'],
    ['oid', -1, 'int unsigned'],
    ['bool', -1, 'tinyint(1)'],
    ['float4', -1, 'float'],
    ['float8', -1, 'double'],
    ['money', -1, 'decimal(21,2)'],
    ['numeric', numeric(10, 2), 'decimal(10,2)'],
    ['numeric', numeric(65, 30), 'decimal(65,30)'],
    ['numeric', numeric(3, -2), 'decimal(5,0)'],
    ['numeric', numeric(2, 5), 'decimal(5,5)'],
    ['numeric', numeric(66, 0), 'varchar(69)'],
    ['numeric', numeric(40, 31), 'varchar(43)'],
    ['numeric', numeric(1000, 0), 'longtext'],
    ['numeric', -1, 'longtext'],
    ['bpchar', 5 + 4, 'varchar(5)'],
    ['bpchar', 256 + 4, 'longtext'],
    ['varchar', 255 + 4, 'varchar(255)'],
    ['varchar', 256 + 4, 'longtext'],
    ['varchar', -1, 'longtext'],
    ['text', -1, 'longtext'],
    ['bytea', -1, 'longblob'],
    ['date', -1, 'date'],
    ['timestamp', -1, 'datetime(6)'],
    ['timestamp', 3, 'datetime(3)'],
    ['timestamp', 0, 'datetime'],
    ['timestamptz', -1, 'datetime(6)'],
    ['timestamptz', 0, 'datetime'],
    ['time', -1, 'time(6)'],
    ['time', 0, 'time'],
    ['timetz', -1, 'varchar(32)'],
    ['interval', -1, 'varchar(64)'],
    ['uuid', -1, 'char(36)'],
    ['json', -1, 'longtext'],
    ['jsonb', -1, 'longtext'],
    ['inet', -1, 'varchar(50)'],
    ['macaddr', -1, 'varchar(17)'],
    ['bit', 5, 'varchar(5)'],
    ['varbit', -1, 'longtext'],
    ['tsvector', -1, 'longtext'],
    ['point', -1, 'longtext'],
    ['pg_lsn', -1, 'varchar(17)'],
  ])('%s (typmod %d) is %s', (name, typmod, mysqlType) => {
    const c = codec(b(name), typmod);
    expect(c.mysqlType).toBe(mysqlType);
    expect(c.note).not.toBe('');
  });

  it('keeps exact types native and everything else as text, character columns textual', () => {
    expect(codec(b('numeric'), numeric(10, 2)).storage).toBe('native');
    expect(codec(b('numeric')).storage).toBe('text');
    expect(codec(b('int4')).textual).toBe(false);
    expect(codec(b('varchar'), 14).textual).toBe(true);
    expect(codec(b('uuid')).textual).toBe(true);
    expect(codec(b('bytea')).textual).toBe(false);
  });

  it('exports booleans as 1/0, money as its amount, bytea as hex loaded through UNHEX', () => {
    expect(codec(b('bool')).pgExport('"v"')).toBe('("v")::int');
    expect(codec(b('money')).pgExport('"v"')).toBe('round(("v")::numeric, 2)');
    const bytea = codec(b('bytea'));
    expect(bytea.pgExport('"v"')).toBe(`encode("v", 'hex')`);
    expect(bytea.mysqlLoad?.('@v1')).toBe('UNHEX(@v1)');
    expect(bytea.mysqlCompare('`v`')).toBe('LOWER(HEX(`v`))');
  });

  it('prints padded character(n), booleans and addresses through their output functions, not ::text', () => {
    for (const name of ['bpchar', 'inet', 'cidr']) {
      expect(codec(b(name), name === 'bpchar' ? 9 : -1).pgExport('"v"')).toBe(
        `(CASE WHEN "v" IS NULL THEN NULL ELSE concat("v") END)`,
      );
    }
    expect(codec(b('bool'), -1, { asText: true }).pgCompare('"v"')).toContain('concat("v")');
  });

  it('keeps timestamptz in UTC the way the demo replicas always have', () => {
    expect(codec(b('timestamptz')).pgExport('"v"')).toBe(`to_char("v" AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')`);
    expect(codec(b('timestamptz')).mysqlCompare('`v`')).toBe("DATE_FORMAT(`v`, '%Y-%m-%d %H:%i:%s.%f')");
  });
});

describe('codecFor: keys MySQL can index', () => {
  it('gives text keys at most 768 characters and refuses longer values', () => {
    const text = codec(b('text'), -1, { key: true });
    expect(text.mysqlType).toBe(`varchar(${KEY_TEXT_CHARS})`);
    expect(text.refuse?.when('"v"')).toContain('char_length');
    expect(() => text.fromPgText('x'.repeat(769))).toThrow(DataCheckError);
    expect(text.fromPgText('🚀'.repeat(768))).toBe('🚀'.repeat(768));
    expect(codec(b('varchar'), 1000 + 4, { key: true }).mysqlType).toBe('varchar(768)');
    const short = codec(b('varchar'), 500 + 4, { key: true });
    expect(short.mysqlType).toBe('varchar(500)');
    expect(short.refuse).toBeUndefined();
  });

  it('gives bytea keys varbinary(3072), refusing longer values', () => {
    const bytea = codec(b('bytea'), -1, { key: true });
    expect(bytea.mysqlType).toBe('varbinary(3072)');
    expect(bytea.refuse?.when('"v"')).toBe('octet_length("v") > 3072');
    expect(() => bytea.fromPgText(`\\x${'ab'.repeat(3073)}`)).toThrow(DataCheckError);
  });

  it('keeps native keys as they are, and text forms (asText, arrays) as varchar(768)', () => {
    expect(codec(b('int8'), -1, { key: true }).mysqlType).toBe('bigint');
    expect(codec(b('uuid'), -1, { key: true }).mysqlType).toBe('char(36)');
    expect(codec(b('int4'), -1, { key: true, asText: true }).mysqlType).toBe('varchar(768)');
    expect(codec(arrayOf(b('int4')), -1, { key: true }).mysqlType).toBe('varchar(768)');
  });
});

describe('codecFor: refusals', () => {
  it('refuses NaN, ±Infinity and -0 for floats, in SQL and in fromPgText', () => {
    for (const name of ['float4', 'float8']) {
      const c = codec(b(name));
      expect(c.refuse?.when('"v"')).toContain(`'NaN'`);
      expect(c.refuse?.when('"v"')).toContain('atan2');
      for (const bad of ['NaN', 'Infinity', '-Infinity', '-0']) expect(() => c.fromPgText(bad)).toThrow(DataCheckError);
      expect(c.fromPgText('0')).toBe('0');
    }
    expect(codec(b('float8')).fromPgText('1e+20')).toBe('1e+20');
    // The largest float4 leaves as its exact double: MySQL refuses 3.4028235e38 for a FLOAT.
    expect(codec(b('float4')).fromPgText('3.4028235e+38')).toBe('3.4028234663852886e+38');
    expect(codec(b('float4')).fromPgText('0.1')).toBe('0.10000000149011612');
  });

  it('refuses numeric NaN for decimal columns, and nothing when kept as text', () => {
    const decimal = codec(b('numeric'), numeric(10, 2));
    expect(decimal.refuse?.when('"v"')).toBe(`"v" = 'NaN'`);
    expect(() => decimal.fromPgText('NaN')).toThrow(DataCheckError);
    expect(codec(b('numeric')).refuse).toBeUndefined();
    expect(codec(b('numeric')).fromPgText('NaN')).toBe('NaN');
  });

  it('refuses dates and timestamps outside the years 1000 to 9999', () => {
    const date = codec(b('date'));
    expect(date.refuse?.when('"v"')).toBe(`"v" < '1000-01-01' OR "v" > '9999-12-31'`);
    for (const bad of ['0999-12-31', '10000-01-01', '0044-03-15 BC', 'infinity', '-infinity'])
      expect(() => date.fromPgText(bad)).toThrow(DataCheckError);
    expect(date.fromPgText('2024-02-29')).toBe('2024-02-29');
    const ts = codec(b('timestamp'));
    expect(ts.fromPgText('2024-02-29 12:34:56.5')).toBe('2024-02-29 12:34:56.500000');
    expect(() => ts.fromPgText('2024-02-29 12:34:56 BC')).toThrow(DataCheckError);
    const tz = codec(b('timestamptz'));
    expect(tz.refuse?.reason).toContain('1000 to 9999');
    expect(() => tz.fromPgText('9999-12-31 23:30:00-01')).toThrow(DataCheckError);
    expect(() => tz.fromPgText('infinity')).toThrow(DataCheckError);
  });

  it('refuses arrays whose lower bound is not 1 (JSON cannot show it)', () => {
    const c = codec(arrayOf(b('int4')));
    expect(c.storage).toBe('json');
    expect(c.refuse?.when('"v"')).toContain('array_dims("v")');
    expect(() => c.fromPgText('[2:3]={1,2}')).toThrow(DataCheckError);
  });

  it('refuses enum labels longer than the column made from the labels', () => {
    const c = codecFor(column({ kind: 'enum', name: 'public.mood', labels: ['sad', 'happy 🚀'] }));
    expect(c.mysqlType).toBe('varchar(7)');
    expect(c.fromPgText('happy 🚀')).toBe('happy 🚀');
    expect(() => c.fromPgText('a much longer label')).toThrow(DataCheckError);
  });

  it('refuses nothing when the column is kept as text', () => {
    for (const name of ['float8', 'date', 'timestamptz', 'numeric', 'bytea', 'bool']) {
      const c = codec(b(name), -1, { asText: true });
      expect(c.mysqlType).toBe('longtext');
      expect(c.storage).toBe('text');
      expect(c.refuse).toBeUndefined();
    }
    expect(codec(b('date'), -1, { asText: true }).fromPgText('0044-03-15 BC')).toBe('0044-03-15 BC');
  });
});

describe('fromPgText: what the batch copy stores, from pgoutput text', () => {
  it('turns booleans into 1/0 and bytea into bytes', () => {
    expect(codec(b('bool')).fromPgText('t')).toBe('1');
    expect(codec(b('bool')).fromPgText('f')).toBe('0');
    expect(codec(b('bytea')).fromPgText('\\x00ff0a')).toEqual(Buffer.from([0, 255, 10]));
    expect(byteaFromText('a\\\\b\\000')).toEqual(Buffer.from([97, 92, 98, 0]));
  });

  it('turns any UTC offset into UTC', () => {
    expect(timestamptzToUtc('2024-03-10 01:59:59.999999-03:30')).toBe('2024-03-10 05:29:59.999999');
    expect(timestamptzToUtc('1900-01-01 00:19:32+00:19:32')).toBe('1900-01-01 00:00:00.000000');
    expect(timestamptzToUtc('2024-06-01 12:00:00+05:45')).toBe('2024-06-01 06:15:00.000000');
    expect(timestamptzToUtc('0999-12-31 23:00:00-02')).toBe('1000-01-01 01:00:00.000000');
    expect(timestamptzToUtc('1000-01-01 00:30:00+01')).toBeUndefined();
    expect(timestamptzToUtc('2024-01-01 00:00:00+00 BC')).toBeUndefined();
    expect(codec(b('timestamptz')).fromPgText('2024-01-01 00:00:00.5+00')).toBe('2024-01-01 00:00:00.500000');
  });

  it('reads money in the C locale', () => {
    const money = codec(b('money'));
    expect(money.fromPgText('$1,234.56')).toBe('1234.56');
    expect(money.fromPgText('-$92,233,720,368,547,758.08')).toBe('-92233720368547758.08');
    expect(money.fromPgText('($5.00)')).toBe('-5.00');
    expect(() => money.fromPgText('1.234')).toThrow(DataCheckError);
  });

  it('renders arrays and composites the way to_json does', () => {
    expect(codec(arrayOf(b('int4'))).fromPgText('{{1,2},{3,NULL}}')).toBe('[[1,2],[3,null]]');
    expect(codec(arrayOf(b('text'))).fromPgText('{"a b","",NULL,"NULL","x\\"y","a\\\\b",é}')).toBe(
      '["a b","",null,"NULL","x\\"y","a\\\\b","é"]',
    );
    expect(codec(arrayOf(b('float8'))).fromPgText('{NaN,-0,1e+20}')).toBe('["NaN",-0,1e+20]');
    expect(codec(arrayOf(b('bool'))).fromPgText('{t,f}')).toBe('[true,false]');
    expect(codec(arrayOf(b('timestamptz'))).fromPgText('{"2024-01-01 10:00:00.5+00"}')).toBe(
      '["2024-01-01T10:00:00.5+00:00"]',
    );
    expect(codec(arrayOf(b('box'))).fromPgText('{(3,4),(1,2);(1,1),(0,0)}')).toBe('["(3,4),(1,2)","(1,1),(0,0)"]');
    expect(codecFor(column(PAIR)).fromPgText('(1,"a ""b"" \\\\ c")')).toBe('{"a":1,"b":"a \\"b\\" \\\\ c"}');
    expect(codecFor(column(PAIR)).fromPgText('(,)')).toBe('{"a":null,"b":null}');
    expect(codec(arrayOf(PAIR)).fromPgText('{"(1,x)",NULL}')).toBe('[{"a":1,"b":"x"},null]');
    expect(codecFor(column({ kind: 'composite', name: 'public.empty', fields: [] })).fromPgText('()')).toBe('{}');
  });

  it('keeps arrays of types it cannot render, and composites holding arrays, as text', () => {
    const other = codec(arrayOf({ kind: 'other', name: 'public.citext' }));
    expect(other.storage).toBe('text');
    expect(other.fromPgText('{a,b}')).toBe('{a,b}');
    const withArray: PgTypeShape = {
      kind: 'composite',
      name: 'public.w',
      fields: [{ name: 'a', type: type(arrayOf(b('int4'))) }],
    };
    expect(codecFor(column(withArray)).storage).toBe('text');
  });

  it('parses array_out and record_out text', () => {
    expect(parseArray('{}')).toEqual([]);
    expect(parseArray('{{1,2},{NULL,"NULL"}}')).toEqual([
      ['1', '2'],
      [null, 'NULL'],
    ]);
    expect(parseRecord('(1,"a,b",,"")')).toEqual(['1', 'a,b', null, '']);
    expect(parseRecord('()')).toEqual([null]);
  });

  it('decodes numeric typmods, negative scales included', () => {
    expect(numericTypmod(numeric(10, 2))).toEqual({ precision: 10, scale: 2 });
    expect(numericTypmod(numeric(3, -2))).toEqual({ precision: 3, scale: -2 });
    expect(numericTypmod(-1)).toBeUndefined();
  });
});
