/**
 * Where `etl seed` writes: the PostgreSQL source tables, through COPY, one transaction per
 * batch (orders and their lines together).
 */
import { TABLES, type DatabaseEndpoint, type IdRange, type LoadPart, type SeedStore, type SeedTable } from '@etl/core';
import type pg from 'pg';
import { ClientPool, quoteIdent } from './client.js';
import { copyInto } from './copy.js';
import { migratePostgres } from './schema-target.js';

/** Children first, so TRUNCATE needs no CASCADE (which would reach further than seed's tables). */
const SEEDED_TABLES: readonly SeedTable[] = ['orderdetails', 'orders', 'products', 'users', 'productcategories'];

export class PostgresSeedStore implements SeedStore {
  readonly endpoint: string;
  /** One connection per concurrent batch at most. */
  private readonly pool: ClientPool;

  constructor(private readonly db: DatabaseEndpoint) {
    this.endpoint = db.display;
    this.pool = new ClientPool(db);
  }

  private run<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
    return this.pool.use(work);
  }

  async prepare(): Promise<void> {
    await migratePostgres(this.db);
  }

  async reset(): Promise<void> {
    await this.run((c) => c.query(`TRUNCATE ${SEEDED_TABLES.map(quoteIdent).join(', ')}`));
  }

  async missing(table: SeedTable, upTo: number): Promise<IdRange[]> {
    const id = quoteIdent(TABLES[table].primaryKey[0] ?? '');
    const name = quoteIdent(table);
    return this.run(async (c) => {
      // Usually the ids present are exactly 1…max: then only the tail is missing.
      const dense = await c.query<{ n: string; top: string | null }>(
        `SELECT count(*) AS n, max(${id}) AS top FROM ${name} WHERE ${id} BETWEEN 1 AND $1`,
        [upTo],
      );
      const n = Number(dense.rows[0]?.n ?? 0);
      const top = Number(dense.rows[0]?.top ?? 0);
      if (n === top) return top < upTo ? [{ from: top + 1, to: upTo }] : [];
      // Gaps (a run killed midway, rows deleted by hand): find them as islands.
      const gaps = await c.query<{ lo: string; hi: string }>(
        `SELECT min(g) AS lo, max(g) AS hi
           FROM (SELECT g, g - row_number() OVER (ORDER BY g) AS island
                   FROM generate_series(1::bigint, $1::bigint) AS g
                  WHERE NOT EXISTS (SELECT 1 FROM ${name} t WHERE t.${id} = g)) AS missing
          GROUP BY island ORDER BY lo`,
        [upTo],
      );
      return gaps.rows.map((r) => ({ from: Number(r.lo), to: Number(r.hi) }));
    });
  }

  async count(table: SeedTable): Promise<number> {
    return this.run(async (c) => {
      const result = await c.query<{ n: string }>(`SELECT count(*) AS n FROM ${quoteIdent(table)}`);
      return Number(result.rows[0]?.n ?? 0);
    });
  }

  async load(parts: readonly LoadPart[]): Promise<void> {
    await this.run(async (c) => {
      await c.query('BEGIN');
      try {
        for (const part of parts) await copyInto(c, part.table, part.columns, part.chunks);
        await c.query('COMMIT');
      } catch (error) {
        await c.query('ROLLBACK').catch(() => {});
        throw error;
      }
    });
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}
