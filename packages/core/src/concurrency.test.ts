import { describe, expect, it } from 'vitest';
import { forEachConcurrently, semaphore } from './concurrency.js';

describe('semaphore', () => {
  it('runs at most its limit at once, across callers, and every work once', async () => {
    const slots = semaphore(2);
    let running = 0;
    let most = 0;
    const done: number[] = [];
    const work = (n: number) =>
      slots(async () => {
        running++;
        most = Math.max(most, running);
        await new Promise((r) => setTimeout(r, 5));
        running--;
        done.push(n);
        return n;
      });
    // Two groups competing for the same slots, as tables and their chunks do.
    const results = await Promise.all([
      forEachConcurrently([1, 2, 3], 2, async (n) => void (await work(n))),
      forEachConcurrently([4, 5, 6], 2, async (n) => void (await work(n))),
    ]);
    expect(results).toHaveLength(2);
    expect(most).toBe(2);
    expect(done.sort()).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('frees the slot of a work that fails', async () => {
    const slots = semaphore(1);
    await expect(slots(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(slots(async () => 'next')).resolves.toBe('next');
  });
});
