import { describe, expect, it } from 'vitest';
import { closest, editDistance } from './suggest.js';

describe('closest', () => {
  it('suggests the nearest plausible name', () => {
    expect(closest('doctr', ['doctor', 'init', 'seed'])).toBe('doctor');
    expect(closest('jsn', ['json', 'debug', 'pg-url'])).toBe('json');
    expect(closest('INIT', ['doctor', 'init'])).toBe('init');
  });
  it('suggests nothing when nothing is close', () => {
    expect(closest('replicate-everything-now', ['doctor', 'init'])).toBeUndefined();
    expect(closest('x', [])).toBeUndefined();
  });
  it('measures edits', () => {
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('same', 'same')).toBe(0);
  });
});
