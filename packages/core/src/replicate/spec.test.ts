import { describe, expect, it } from 'vitest';
import { UsageError } from '../errors.js';
import { CopyToLoadData, decodeCopyField, encodeLoadField } from './copy-to-load.js';
import { shopSourceTable } from '../schema/shop-catalog.js';
import { checkMasks, planReplicas } from './plan.js';
import {
  buildReplicaSpec,
  KEY_RANGE_SIZE,
  mask,
  normaliseEmail,
  parseMasks,
  parseTables,
  pgExportColumn,
  refusalIn,
  replicaSpec,
  splitKey,
  tableWaves,
  type ReplicaSpec,
} from './spec.js';

/** A text column named code, added to a shop table's columns. */
const textCode = (base: ReturnType<typeof shopSourceTable>) =>
  ({
    ...base.columns[1]!,
    name: 'code',
    type: { shape: { kind: 'base', name: 'text' }, typmod: -1, formatted: 'text' },
  }) as const;

describe('replica specs', () => {
  it('exports each shop column through its codec: timestamps as UTC DATETIME(6) text, JSON and UUID as text', () => {
    const orders = replicaSpec('orders');
    const exported = (spec: ReplicaSpec, name: string) =>
      pgExportColumn(spec, spec.columns.find((c) => c.name === name) ?? expect.fail(name));
    expect(exported(orders, 'order_date')).toContain(`to_char("order_date" AT TIME ZONE 'UTC'`);
    expect(exported(orders, 'order_date')).toMatch(/^CASE WHEN .* THEN .*etl-refuses-value/);
    expect(exported(orders, 'total_amount')).toMatch(/"total_amount"/);
    const events = replicaSpec('kafka_events');
    expect(exported(events, 'payload')).toContain('"payload"');
    expect(events.columns.find((c) => c.name === 'payload')?.codec.storage).toBe('text');
    expect(replicaSpec('products').columns.find((c) => c.name === 'description')?.codec.mysqlType).toBe('longtext');
  });
  it('indexes each foreign key, unless the key leads with it or MySQL cannot index its type whole', () => {
    const base = shopSourceTable('orderdetails');
    const spec = buildReplicaSpec(
      { ...base, columns: [...base.columns, textCode(base)], foreignKeys: [['order_id'], ['product_id'], ['code']] },
      { target: 'lines', columnTargets: { product_id: 'item' } },
    );
    // order_id and product_id (as its MySQL name); code is text: MySQL indexes a TEXT column only by a prefix.
    expect(spec.indexes).toEqual([
      { name: 'lines_order_id_idx', columns: ['order_id'] },
      { name: 'lines_item_idx', columns: ['item'] },
    ]);
    const leading = buildReplicaSpec({ ...base, key: ['order_id', 'product_id'], foreignKeys: [['order_id']] });
    expect(leading.indexes).toEqual([]);
    const long = buildReplicaSpec({ ...base, foreignKeys: [['order_id']] }, { target: 'x'.repeat(60) });
    expect(long.indexes[0]?.name).toHaveLength(64);
    expect(long.indexes[0]?.name).toMatch(/^x{55}_[0-9a-f]{8}$/);
    // Counted in characters, as MySQL counts them: an emoji is never cut in half.
    const emoji = buildReplicaSpec({ ...base, foreignKeys: [['order_id']] }, { target: '🚀'.repeat(60) });
    const name = emoji.indexes[0]?.name ?? '';
    expect([...name]).toHaveLength(64);
    expect(name.startsWith('🚀'.repeat(55))).toBe(true);
    expect(Buffer.from(name, 'utf8').toString('utf8')).toBe(name); // no lone surrogate
  });
  it('names a refused value with its table, column, key and the setting that stores it as text', () => {
    const orders = replicaSpec('orders');
    const error = refusalIn(
      orders,
      'invalid input syntax for type integer: "etl-refuses-value\u001forder_date\u001f42\u001finfinity"',
    );
    expect(error?.exitCode).toBe(4);
    expect(error?.message).toMatch(
      /^orders\.order_date, key order_id=42: the value "infinity" cannot be stored in MySQL datetime/,
    );
    expect(error?.hint).toMatch(/as_text: \[order_date\]/);
    expect(refusalIn(orders, 'some other error')).toBeUndefined();
  });
  it('names each column of a composite key, text in quotes (a space or a slash in it stays visible)', () => {
    const base = shopSourceTable('orderdetails');
    const spec = buildReplicaSpec({ ...base, columns: [...base.columns, textCode(base)], key: ['order_id', 'code'] });
    const error = refusalIn(spec, 'bad: "etl-refuses-value\u001fquantity\u001f7\tEU /x\u001fNaN"');
    expect(error?.message).toMatch(/^orderdetails\.quantity, key order_id=7, code="EU \/x": the value "NaN"/);
  });
  it('fits a key of several columns into MySQL 3,072-byte index, and ranges it by its kind', () => {
    const base = shopSourceTable('orderdetails');
    const text = textCode(base);
    const table = (key: string[], columns = [...base.columns, text]) => ({ ...base, columns, key });
    const wide = buildReplicaSpec(table(['order_id', 'code']));
    expect(wide.columns.find((c) => c.name === 'code')?.codec.mysqlType).toBe('varchar(766)');
    expect(wide.keyRanges).toEqual({ kind: 'hash', digits: 2 });
    const other = { ...text, name: 'other', attnum: 99 };
    const two = buildReplicaSpec({ ...base, columns: [...base.columns, text, other], key: ['code', 'other'] });
    expect(two.columns.filter((c) => c.codec.mysqlType.startsWith('varchar')).map((c) => c.codec.mysqlType)).toEqual([
      'varchar(383)',
      'varchar(383)',
    ]);
    expect(buildReplicaSpec(table(['order_id', 'product_id'])).keyRanges).toEqual({
      kind: 'integer',
      size: KEY_RANGE_SIZE,
    });
    expect(buildReplicaSpec(table([])).keyRanges).toEqual({ kind: 'none' });
  });
  it('splits keys back into values, tabs and backslashes included', () => {
    expect(splitKey('a\\tb\\\\c\tx')).toEqual(['a\tb\\c', 'x']);
  });
  it('trims and lower-cases emails, and only users need row transforms by default', () => {
    const users = replicaSpec('users');
    expect(users.transformsRows).toBe(true);
    expect(users.columns.find((c) => c.name === 'email')?.transform?.js('  Ann.Lee@Example.COM ')).toBe(
      'ann.lee@example.com',
    );
    expect(replicaSpec('orderdetails').transformsRows).toBe(false);
  });
  it('trims ASCII whitespace (tabs and newlines too) and lower-cases only A-Z, in JavaScript as in SQL', () => {
    expect(normaliseEmail.js('\tAnn.Lee@Example.COM \n\r\v\f')).toBe('ann.lee@example.com');
    expect(normaliseEmail.js('\u00a0ann@x.org')).toBe('\u00a0ann@x.org');
    expect(normaliseEmail.js('ÉLISE@X.ORG')).toBe('Élise@x.org');
    expect(normaliseEmail.sql('"email"')).toContain('btrim("email", chr(32) || chr(9)');
  });
  it('masks deterministically, after normalising, without showing the value', () => {
    const spec = replicaSpec('users', ['users.email', 'users.phone']);
    const email = spec.columns.find((c) => c.name === 'email')?.transform;
    expect(email?.js('Ann@Example.com')).toBe(email?.js('ann@example.com'));
    expect(email?.js('ann@example.com')).toBe(mask.js('ann@example.com'));
    expect(email?.js('ann@example.com')).not.toContain('ann');
    expect(mask.js('a')).not.toBe(mask.js('b'));
    expect(spec.masked).toEqual(['users.email', 'users.phone']);
  });
  it('takes masks as table.column, checked against the catalog when planned', () => {
    expect(parseMasks('users.email, users.phone')).toEqual(['users.email', 'users.phone']);
    expect(() => parseMasks('nodot')).toThrow(UsageError);
    const plan = planReplicas([shopSourceTable('users')], undefined);
    expect(() => checkMasks(plan, ['users.emial'])).toThrow(/did you mean users.email/);
    expect(() => checkMasks(plan, ['users.user_id'])).toThrow(/cannot be masked/);
    expect(() => checkMasks(plan, ['nosuch.col'])).toThrow(UsageError);
    expect(() => checkMasks(plan, ['users.email', 'users.phone'])).not.toThrow();
  });
  it('validates table names and keeps foreign-key order', () => {
    expect(parseTables(undefined)).toEqual([
      'productcategories',
      'users',
      'products',
      'orders',
      'orderdetails',
      'kafka_events',
    ]);
    expect(parseTables('orderdetails,users')).toEqual(['users', 'orderdetails']);
    expect(() => parseTables('userz')).toThrow(
      /unknown table "userz" \(did you mean users\?\); valid tables are productcategories/,
    );
  });
  it('groups independent tables into waves', () => {
    expect(tableWaves(parseTables(undefined))).toEqual([
      ['productcategories', 'users', 'kafka_events'],
      ['products', 'orders'],
      ['orderdetails'],
    ]);
    expect(tableWaves(['orderdetails'])).toEqual([['orderdetails']]);
  });
});

describe('COPY text to LOAD DATA text', () => {
  it('decodes and encodes fields', () => {
    expect(decodeCopyField('\\N')).toBeNull();
    expect(decodeCopyField('a\\tb\\\\c\\nd\\fe\\013')).toBe('a\tb\\c\nd\fe\v');
    expect(encodeLoadField('a\tb\\c\nd\0')).toBe('a\\tb\\\\c\\nd\\0');
    expect(encodeLoadField(null)).toBe('\\N');
  });
  it('passes tables without transforms through, whatever the byte chunking, fixing \\f and \\v', () => {
    const input = '1\tplain\t\\N\n2\tback\\\\slash\tx\\fy\n3\ttäb\\there\tv\\vw\n';
    const expected = '1\tplain\t\\N\n2\tback\\\\slash\tx\fy\n3\ttäb\\there\tv\vw\n';
    for (let size = 1; size <= input.length; size++) {
      const conv = new CopyToLoadData(replicaSpec('orderdetails'));
      const parts: Buffer[] = [];
      const bytes = Buffer.from(input, 'utf8');
      for (let i = 0; i < bytes.length; i += size) parts.push(Buffer.from(conv.push(bytes.subarray(i, i + size))));
      parts.push(Buffer.from(conv.end()));
      const out = Buffer.concat(parts).toString('utf8');
      expect(out, `chunk size ${size}`).toBe(expected);
      expect(conv.rows).toBe(3);
    }
  });
  it('transforms the values of tables that need it, whatever the chunking', () => {
    const spec = replicaSpec('users');
    const row = (email: string) =>
      `1\tAnn\tLee\t${email}\t\\N\t2024-01-01 00:00:00.000000\tGold\t2024-01-02 00:00:00.000000\n`;
    const input = row('  Ann.Lee@EXAMPLE.com') + row('x\\\\y@Zoë.com');
    const expected = row('ann.lee@example.com') + row('x\\\\y@zoë.com');
    for (const size of [1, 3, 7, 50, 1000]) {
      const conv = new CopyToLoadData(spec);
      let out = '';
      const bytes = Buffer.from(input, 'utf8');
      for (let i = 0; i < bytes.length; i += size) out += conv.push(bytes.subarray(i, i + size)).toString();
      out += conv.end();
      expect(out, `chunk size ${size}`).toBe(expected);
      expect(conv.rows).toBe(2);
    }
  });
});

describe('pass-through', () => {
  it('hands back the very same bytes when nothing needs changing', () => {
    const conv = new CopyToLoadData(replicaSpec('orderdetails'));
    const chunk = Buffer.from('1\t2\n3\t4\n');
    expect(conv.push(chunk)).toBe(chunk);
    expect(conv.rows).toBe(2);
  });
});
