import { describe, expect, it } from 'vitest';
import { snapshotChunks } from './snapshot.js';

describe('a snapshot in a report', () => {
  it('says how many chunks, and of a resumed one how many were resumed and how many rows caught up', () => {
    const loaded = { table: 't', rows: 10, lsn: '0/1', chunks: 41, resumedChunks: 0, caughtUp: 0 };
    expect(snapshotChunks(loaded)).toBe('41');
    expect(snapshotChunks({ ...loaded, resumedChunks: 5, caughtUp: 8599 })).toBe(
      '41 (5 resumed, 8,599 rows caught up)',
    );
  });
});
