import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CopyBinaryWriter, centsToDecimal, encodeCopyRow } from '@etl/core';
import { throwawayDatabases } from '../testing/index.js';
import { ensurePostgresDatabase } from './schema-target.js';
import { withPostgres } from './client.js';
import { copyInto } from './copy.js';

const dbs = throwawayDatabases();
beforeAll(() => ensurePostgresDatabase(dbs.pg));
afterAll(() => dbs.drop());

const COLUMNS = ['big', 'small', 'at', 'money', 'word', 'maybe'];
const cents = [0, 1, 5, 10, 99, 100, 101, 10_000, 999_999, 1_000_000, 100_000_000, 123_456_789_012, -1, -100, -123_456];
const instants = [0, -1, 946_684_800_000, 946_684_799_999, 1_700_000_000_123, -62_135_596_800_000, 253_402_300_799_999];
const bigs = [0, 1, 2 ** 32, 2 ** 32 - 1, 2 ** 53 - 1, -1, -(2 ** 40)];

describe('binary COPY', () => {
  it('stores exactly what COPY text stores, for edge numbers, numerics, instants, text and NULL', async () => {
    const writer = new CopyBinaryWriter(16); // small, so it has to grow
    let text = '';
    cents.forEach((c, i) => {
      const big = bigs[i % bigs.length] ?? 0;
      const at = instants[i % instants.length] ?? 0;
      const word = i % 3 === 0 ? 'Cancelled' : 'zoë ✓';
      writer
        .row(6)
        .int8(big)
        .int4(i - 7)
        .timestamptz(at)
        .cents(c)
        .text(word);
      if (i % 2 === 0) writer.null();
      else writer.int4(i);
      const decimal = centsToDecimal(c);
      text += encodeCopyRow([big, i - 7, new Date(at), decimal, word, i % 2 === 0 ? null : i]);
    });
    const tuples = writer.take();
    await withPostgres(dbs.pg, async (c) => {
      for (const t of ['as_text', 'as_binary']) {
        await c.query(`CREATE TABLE ${t} (big bigint, small int, at timestamptz, money numeric(14,2), word text,
                       maybe int)`);
      }
      expect(await copyInto(c, 'as_text', COLUMNS, [text])).toBe(cents.length);
      expect(await copyInto(c, 'as_binary', COLUMNS, [tuples.subarray(0, 7), tuples.subarray(7)], 'binary')).toBe(
        cents.length,
      );
      const differ = await c.query(
        `(SELECT * FROM as_text EXCEPT ALL SELECT * FROM as_binary)
         UNION ALL (SELECT * FROM as_binary EXCEPT ALL SELECT * FROM as_text)`,
      );
      expect(differ.rows).toEqual([]);
      const scales = await c.query<{ m: string }>(`SELECT money::text AS m FROM as_binary ORDER BY big, small`);
      expect(scales.rows.every((r) => /\.\d\d$/.test(r.m))).toBe(true);
    });
  });
});
