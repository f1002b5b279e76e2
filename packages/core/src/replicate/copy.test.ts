import { describe, expect, it } from 'vitest';
import { chunkSpan, groupsUpTo } from './copy.js';

describe('groupsUpTo', () => {
  it('packs consecutive items up to the limit; one heavier than the limit goes alone', () => {
    const weights = [3, 4, 2, 9, 1, 1, 5];
    expect(groupsUpTo(weights, 7, (w) => w)).toEqual([[3, 4], [2], [9], [1, 1, 5]]);
    expect(groupsUpTo([], 7, (w: number) => w)).toEqual([]);
  });
});

describe('chunkSpan', () => {
  it('opens the first chunk below and the last above; each other lies between two bounds', () => {
    const bounds = [['10'], ['20']];
    expect([0, 1, 2].map((i) => chunkSpan(bounds, i))).toEqual([
      { after: null, upTo: ['10'] },
      { after: ['10'], upTo: ['20'] },
      { after: ['20'], upTo: null },
    ]);
  });
});
