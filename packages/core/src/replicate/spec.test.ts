import { describe, expect, it } from 'vitest';
import { UsageError } from '../errors.js';
import { CopyToLoadData, decodeCopyField, encodeLoadField } from './copy-to-load.js';
import { tableWaves, mask, normaliseEmail, parseMasks, parseTables, pgExpressionFor, replicaSpec } from './spec.js';

describe('replica specs', () => {
  it('formats timestamps as UTC DATETIME(6) text, addresses as hosts, JSON and UUID as text', () => {
    expect(pgExpressionFor({ name: 'order_date', type: { kind: 'timestamptz' }, nullable: false })).toBe(
      `to_char("order_date" AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')`,
    );
    expect(pgExpressionFor({ name: 'ip_address', type: { kind: 'inet' }, nullable: false })).toBe('host("ip_address")');
    expect(pgExpressionFor({ name: 'payload', type: { kind: 'jsonb' }, nullable: false })).toBe('"payload"::text');
    expect(
      pgExpressionFor({ name: 'price', type: { kind: 'numeric', precision: 10, scale: 2 }, nullable: false }),
    ).toBe('"price"');
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
  it('rejects masks that are not non-key text columns of replicated tables', () => {
    expect(parseMasks('users.email, users.phone')).toEqual(['users.email', 'users.phone']);
    expect(() => parseMasks('users.emial')).toThrow(/did you mean users.email/);
    expect(() => parseMasks('users.user_id')).toThrow(/cannot be masked/);
    expect(() => parseMasks('nosuch.col')).toThrow(UsageError);
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
