import { describe, expect, it } from 'vitest';
import { encodeCopyRow, encodeCopyValue, isoInstant } from './copy-text.js';

describe('COPY text encoding', () => {
  it('writes NULL as \\N and escapes what would split a field or a line', () => {
    expect(encodeCopyValue(null)).toBe('\\N');
    expect(encodeCopyValue(undefined)).toBe('\\N');
    expect(encodeCopyValue('a\tb\nc\\d\re')).toBe('a\\tb\\nc\\\\d\\re');
    expect(encodeCopyValue('plain')).toBe('plain');
  });
  it('writes numbers, booleans and instants in forms PostgreSQL reads back exactly', () => {
    expect(encodeCopyValue(12.5)).toBe('12.5');
    expect(encodeCopyValue(9007199254740993n)).toBe('9007199254740993');
    expect(encodeCopyValue(true)).toBe('t');
    expect(encodeCopyValue(new Date(Date.UTC(2024, 1, 29, 12, 0, 0, 5)))).toBe('2024-02-29T12:00:00.005Z');
  });
  it('writes instants exactly as toISOString does, across days, years and the epoch', () => {
    const samples = [0, -1, 1, 951_782_400_000, 1_709_208_000_005, 253_402_300_799_999, -62_135_596_800_001, 8.64e15];
    for (let i = 0; i < 2000; i++) samples.push(Math.floor((i * 7_919_000_003) % 4e12) - 1e12);
    for (const ms of samples) expect(isoInstant(ms), String(ms)).toBe(new Date(ms).toISOString());
  });
  it('joins a row with tabs and ends it with a newline', () => {
    expect(encodeCopyRow([1, 'x', null])).toBe('1\tx\t\\N\n');
  });
});
