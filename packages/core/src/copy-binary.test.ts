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
