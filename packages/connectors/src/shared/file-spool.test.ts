import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FileSpool } from './file-spool.js';

const dir = mkdtempSync(join(tmpdir(), 'etl-spool-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('FileSpool', () => {
  it('gives back every byte written, in order, with no file left in its directory', () => {
    const spool = new FileSpool(dir);
    expect(readdirSync(dir)).toEqual([]);
    const written: Buffer[] = [];
    // Sizes around the read chunk (256 KB), empty writes included.
    for (const size of [0, 1, 1000, 256 * 1024 - 1, 256 * 1024, 256 * 1024 + 1, 700_000, 0, 5]) {
      const bytes = Buffer.alloc(size, written.length + 1);
      written.push(bytes);
      spool.write(bytes);
    }
    const read = [...spool.read()];
    expect(Buffer.concat(read).equals(Buffer.concat(written))).toBe(true);
    expect(Math.max(...read.map((c) => c.length))).toBeLessThanOrEqual(256 * 1024);
    spool.close();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('reads nothing from an empty spool', () => {
    const spool = new FileSpool(dir);
    expect([...spool.read()]).toEqual([]);
    spool.close();
  });

  it('refuses a second read, a write after reading, and a read after closing', () => {
    const spool = new FileSpool(dir);
    spool.write(Buffer.from('abc'));
    expect(Buffer.concat([...spool.read()]).toString()).toBe('abc');
    expect(() => [...spool.read()]).toThrow(/read twice/);
    expect(() => spool.write(Buffer.from('d'))).toThrow(/after it was read/);
    spool.close();
    spool.close();
    const closed = new FileSpool(dir);
    closed.write(Buffer.alloc(600_000));
    const chunks = closed.read()[Symbol.iterator]();
    chunks.next();
    closed.close();
    expect(() => chunks.next()).toThrow(/after it was closed/);
  });
});
