import { describe, expect, it } from 'vitest';
import { CopyBinaryWriter } from './copy-binary.js';

/** numeric's binary form spelled out digit by digit: base-10000 groups, weight, sign, scale 2. */
function numericReference(cents: number): Buffer {
  const negative = cents < 0;
  let units = Math.floor(Math.abs(cents) / 100);
  const fraction = Math.abs(cents) % 100;
  const digits: number[] = [];
  while (units > 0) {
    digits.unshift(units % 10000);
    units = Math.floor(units / 10000);
  }
  const weight = digits.length - 1;
  if (fraction !== 0) digits.push(fraction * 100);
  const out = Buffer.alloc(4 + 8 + 2 * digits.length);
  out.writeInt32BE(8 + 2 * digits.length, 0);
  out.writeInt16BE(digits.length, 4);
  out.writeInt16BE(digits.length === 0 ? 0 : weight, 6);
  out.writeUInt16BE(negative && digits.length > 0 ? 0x4000 : 0, 8);
  out.writeInt16BE(2, 10);
  digits.forEach((d, i) => out.writeInt16BE(d, 12 + 2 * i));
  return out;
}

describe('CopyBinaryWriter.cents', () => {
  it('writes 1234567.89 as the groups 123, 4567 and 8900 with weight 1', () => {
    const bytes = new CopyBinaryWriter(16).cents(123_456_789).take();
    expect([...bytes]).toEqual([0, 0, 0, 14, 0, 3, 0, 1, 0, 0, 0, 2, 0, 123, 0x11, 0xd7, 0x22, 0xc4]);
  });

  it('writes every kind of amount as numeric spells it: zero, cents only, whole groups, negatives, large', () => {
    const values = [0, 1, 5, 99, 100, 101, 9_999, 10_000, 999_999, 1_000_000, 100_000_000, 123_400_000_000];
    for (let i = 0; i < 2000; i++) values.push(Math.floor(Math.random() * 10 ** (1 + (i % 15))));
    for (const v of [...values, ...values.map((x) => -x)]) {
      const actual = new CopyBinaryWriter(8).cents(v).take();
      expect(actual.equals(numericReference(v)), `cents ${v}`).toBe(true);
    }
  });
});

describe('CopyBinaryWriter fields', () => {
  it('writes int4, int8, timestamptz, null and text as Buffer would, negatives and extremes included', () => {
    const ints = [0, 1, -1, 255, 256, -256, 2 ** 31 - 1, -(2 ** 31), 123_456_789, -987_654_321];
    const bigs = [...ints, 2 ** 32, 2 ** 32 + 1, -(2 ** 32), 2 ** 53 - 1, -(2 ** 53 - 1), 4_999_999_999];
    // ms since 1970: the PostgreSQL epoch, before 1970, now, and beyond ±285 years (BigInt path).
    const instants = [946_684_800_000, 0, -1, 1_764_000_000_123, -62_135_596_800_000, 253_402_300_799_999];
    const w = new CopyBinaryWriter(4);
    const expected: Buffer[] = [];
    const field = (bytes: number, write: (b: Buffer) => void): void => {
      const b = Buffer.alloc(4 + bytes);
      b.writeInt32BE(bytes, 0);
      write(b);
      expected.push(b);
    };
    w.row(7);
    expected.push(Buffer.from([0, 7]));
    for (const v of ints) {
      w.int4(v);
      field(4, (b) => b.writeInt32BE(v, 4));
    }
    for (const v of bigs) {
      w.int8(v);
      field(8, (b) => b.writeBigInt64BE(BigInt(v), 4));
    }
    for (const ms of instants) {
      w.timestamptz(ms);
      field(8, (b) => b.writeBigInt64BE((BigInt(ms) - 946_684_800_000n) * 1000n, 4));
    }
    w.null();
    expected.push(Buffer.from([0xff, 0xff, 0xff, 0xff]));
    for (const text of ['', 'Completed', 'Zoë ☕ 𝄞', 'x'.repeat(70_000)]) {
      w.text(text);
      const utf8 = Buffer.from(text, 'utf8');
      field(utf8.length, (b) => utf8.copy(b, 4));
    }
    expect(w.take().equals(Buffer.concat(expected))).toBe(true);
  });
});
