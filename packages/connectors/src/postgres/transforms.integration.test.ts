import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mask, normaliseEmail, type ValueTransform } from '@etl/core';
import { throwawayDatabases } from '../testing/index.js';
import { withPostgres } from './client.js';
import { ensurePostgresDatabase } from './schema-target.js';

const dbs = throwawayDatabases();
beforeAll(() => ensurePostgresDatabase(dbs.pg));
afterAll(() => dbs.drop());

const VALUES = [
  'ann@example.com',
  '  Ann.Lee@Example.COM ',
  '\tTab.Case@Example.org \n',
  '\r\n\v\fx@y.z\f',
  '\u00a0nbsp@x.org\u00a0',
  'ÉLISE@ÉCOLE.FR',
  'ß@straße.de',
  '',
  '   ',
  'a\tb@c.d',
];

/** The SQL form of a transform run by PostgreSQL on each value. */
async function inPostgres(transform: ValueTransform, values: readonly string[]): Promise<string[]> {
  return withPostgres(dbs.pg, async (c) => {
    const r = await c.query<{ v: string }>(
      `SELECT ${transform.sql('x')} AS v FROM unnest($1::text[]) WITH ORDINALITY AS t(x, i) ORDER BY i`,
      [values],
    );
    return r.rows.map((row) => row.v);
  });
}

describe('each replicate transform has one definition: its SQL form equals its JavaScript form', () => {
  it('normalises emails the same way in PostgreSQL and in etl', async () => {
    expect(await inPostgres(normaliseEmail, VALUES)).toEqual(VALUES.map(normaliseEmail.js));
  });

  it('masks the same way in PostgreSQL and in etl', async () => {
    expect(await inPostgres(mask, VALUES)).toEqual(VALUES.map(mask.js));
  });
});
