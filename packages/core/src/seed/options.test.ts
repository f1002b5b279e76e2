import { describe, expect, it } from 'vitest';
import { SEED_DEFAULTS, parseSeedOptions } from './options.js';
import { forEachConcurrently } from '../concurrency.js';
import { batches, chunked, countIds } from './job.js';

describe('parseSeedOptions', () => {
  it('has demo-sized defaults', () => {
    expect(parseSeedOptions({}).options).toMatchObject({
      users: 1000,
      products: 200,
      orders: 10_000,
      seed: 42,
      reset: false,
    });
  });
  it('accepts whole numbers with underscores', () => {
    expect(parseSeedOptions({ orders: '1_000_000' }).options?.orders).toBe(1_000_000);
  });
  it('names every bad flag at once', () => {
    const { options, problems } = parseSeedOptions({ users: '-1', products: '2.5', orders: '1e12', seed: 'abc' });
    expect(options).toBeUndefined();
    expect(problems.map((p) => p.flag)).toEqual(['--users', '--products', '--orders', '--seed']);
  });
  it('refuses absurd counts', () => {
    expect(parseSeedOptions({ orders: '999999999999' }).problems[0]?.message).toMatch(/between 0 and 200,000,000/);
  });
  it('refuses orders without users or products', () => {
    expect(parseSeedOptions({ users: '0' }).problems.map((p) => p.flag)).toEqual(['--users']);
    expect(parseSeedOptions({ products: '0', orders: '5' }).problems.map((p) => p.flag)).toEqual(['--products']);
    expect(parseSeedOptions({ users: '0', products: '0', orders: '0' }).options).toBeDefined();
  });
  it('keeps the default batch size unless told', () => {
    expect(parseSeedOptions({ batchSize: '0' }).problems[0]?.flag).toBe('--batch-size');
    expect(parseSeedOptions({}).options?.batchSize).toBe(SEED_DEFAULTS.batchSize);
  });
});

describe('batching', () => {
  it('splits missing ranges into bounded batches', () => {
    expect(
      batches(
        [
          { from: 1, to: 5 },
          { from: 9, to: 9 },
        ],
        2,
      ),
    ).toEqual([
      { from: 1, to: 2 },
      { from: 3, to: 4 },
      { from: 5, to: 5 },
      { from: 9, to: 9 },
    ]);
    expect(
      countIds([
        { from: 1, to: 5 },
        { from: 9, to: 9 },
      ]),
    ).toBe(6);
  });
  it('groups lines into large chunks without losing or splitting any', () => {
    const lines = Array.from({ length: 20_000 }, (_, i) => `${i}\tsome text\n`);
    const chunks = [...chunked(lines)];
    expect(chunks.length).toBeGreaterThan(1);
    expect(chunks.join('')).toBe(lines.join(''));
    for (const c of chunks) expect(c.endsWith('\n')).toBe(true);
  });
});

describe('forEachConcurrently', () => {
  it('keeps at most `limit` tasks running and does every item', async () => {
    let running = 0;
    let peak = 0;
    const done: number[] = [];
    await forEachConcurrently([1, 2, 3, 4, 5, 6, 7], 3, async (n) => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, 5));
      done.push(n);
      running--;
    });
    expect(peak).toBe(3);
    expect(done.sort()).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });
  it('stops starting work after a failure and rethrows it', async () => {
    const started: number[] = [];
    await expect(
      forEachConcurrently([1, 2, 3, 4, 5], 1, async (n) => {
        started.push(n);
        if (n === 2) throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(started).toEqual([1, 2]);
  });
});
