import { describe, expect, it } from 'vitest';
import { BugError, UsageError } from './errors.js';
import { pendingMigrations } from './migrations.js';

const m = (version: number) => ({ version, name: `m${version}`, steps: [`-- ${version}`] });

describe('pendingMigrations', () => {
  it('returns every migration for a fresh database, in order', () => {
    expect(pendingMigrations([m(1), m(2), m(3)], [], 'db').map((x) => x.version)).toEqual([1, 2, 3]);
  });
  it('returns only the missing ones', () => {
    expect(pendingMigrations([m(1), m(2), m(3)], [1, 2], 'db').map((x) => x.version)).toEqual([3]);
    expect(pendingMigrations([m(1), m(2)], [1, 2], 'db')).toEqual([]);
  });
  it('refuses a database migrated by a newer etl', () => {
    expect(() => pendingMigrations([m(1)], [1, 2], 'PostgreSQL x')).toThrow(UsageError);
    expect(() => pendingMigrations([m(1)], [1, 2], 'PostgreSQL x')).toThrow(/schema version 2/);
  });
  it('rejects a gap in the numbering as a bug', () => {
    expect(() => pendingMigrations([m(1), m(3)], [], 'db')).toThrow(BugError);
  });
});
