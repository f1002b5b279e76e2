/**
 * Where `etl seed` writes: the PostgreSQL source tables, through COPY, one transaction per
 * batch (orders and their lines together).
 */
import { TABLES, type DatabaseEndpoint, type IdRange, type LoadPart, type SeedStore, type SeedTable } from '@etl/core';
import type pg from 'pg';
import { ClientPool, quoteIdent } from './client.js';
import { copyInto } from './copy.js';
import { migratePostgres } from './schema-target.js';

/** A foreign key as deferSchema reads it: its table's and the referenced table's single columns. */
export interface ForeignKeyColumns {
  readonly table: string;
  readonly column: string | null;
  readonly refTable: string;
  readonly refColumn: string | null;
}

/**
 * Whether a foreign key is best checked by merging its two columns in order: both are single
 * columns that the load's rows arrived in ascending order of (orderdetails.order_id against
 * orders.order_id). Without statistics on tables filled in the same transaction the planner
 * hashes the referenced table instead: at 3M orders, 2.0 s against 1.3 s for the merge. A
 * column in random order (product_id) must not be merged: sorting it costs far more.
 */
export function mergesInOrder(fk: ForeignKeyColumns, ascending: ReadonlyMap<string, ReadonlySet<string>>): boolean {
  return (
    fk.column !== null &&
    fk.refColumn !== null &&
    (ascending.get(fk.table)?.has(fk.column) ?? false) &&
    (ascending.get(fk.refTable)?.has(fk.refColumn) ?? false)
  );
}

/**
 * Inside the caller's transaction: drops what an empty table's load does not need — secondary
 * indexes, primary keys, unique and foreign-key constraints, and its triggers (updated_at comes
 * from the column's default, the same now()). Returns the statements that put all of it back,
 * in order: indexes, primary keys and unique constraints, foreign keys (validated), triggers.
 * CHECK and NOT NULL constraints stay in force during the load. DDL is transactional in
 * PostgreSQL: a rollback restores the schema as it was. `ascending` names the columns each
 * table's rows arrive in ascending order of (see mergesInOrder).
 */
async function deferSchema(
  c: pg.Client,
  tables: readonly SeedTable[],
  ascending: ReadonlyMap<string, ReadonlySet<string>>,
): Promise<string[]> {
  const names = [...tables];
  // For foreign keys, the table names and (when single) the columns on either side.
  const constraints = await c.query<{ tbl: string; name: string; def: string; type: string } & ForeignKeyColumns>(
    `SELECT conrelid::regclass::text AS tbl, conname AS name, pg_get_constraintdef(oid) AS def, contype AS type,
            (SELECT relname FROM pg_class WHERE oid = conrelid) AS "table",
            (SELECT relname FROM pg_class WHERE oid = confrelid) AS "refTable",
            (SELECT attname FROM pg_attribute WHERE attrelid = conrelid AND attnum = conkey[1]
              AND cardinality(conkey) = 1) AS "column",
            (SELECT attname FROM pg_attribute WHERE attrelid = confrelid AND attnum = confkey[1]
              AND cardinality(confkey) = 1) AS "refColumn"
       FROM pg_constraint
      WHERE conrelid = ANY(SELECT oid FROM pg_class WHERE relname = ANY($1)
        AND relnamespace = current_schema()::regnamespace)
        AND (contype IN ('u', 'f') OR contype = 'p' AND NOT EXISTS (
          -- A primary key another table's foreign key relies on stays.
          SELECT 1 FROM pg_constraint r WHERE r.contype = 'f' AND r.confrelid = pg_constraint.conrelid
             AND r.conrelid <> ALL(SELECT oid FROM pg_class WHERE relname = ANY($1)
               AND relnamespace = current_schema()::regnamespace)))
      ORDER BY contype <> 'f', conname`,
    [names],
  );
  const indexes = await c.query<{ name: string; def: string }>(
    `SELECT i.relname AS name, pg_get_indexdef(x.indexrelid) AS def
       FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
      WHERE t.relname = ANY($1) AND t.relnamespace = current_schema()::regnamespace
        AND NOT x.indisprimary AND NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conindid = x.indexrelid)
      ORDER BY i.relname`,
    [names],
  );
  const triggers = await c.query<{ tbl: string; name: string; def: string; enabled: string }>(
    `SELECT t.relname AS tbl, g.tgname AS name, pg_get_triggerdef(g.oid) AS def, g.tgenabled AS enabled
       FROM pg_trigger g JOIN pg_class t ON t.oid = g.tgrelid
      WHERE t.relname = ANY($1) AND t.relnamespace = current_schema()::regnamespace AND NOT g.tgisinternal
        AND g.tgenabled <> 'D'
      ORDER BY g.tgname`,
    [names],
  );
  // Foreign keys first (a key may back one), then primary keys and unique constraints (the
  // B-tree kept up row by row doubled COPY's time), then indexes. pg_restore adds them in
  // the reverse order after the data, and so does the caller.
  for (const k of constraints.rows) await c.query(`ALTER TABLE ${k.tbl} DROP CONSTRAINT ${quoteIdent(k.name)}`);
  for (const i of indexes.rows) await c.query(`DROP INDEX ${quoteIdent(i.name)}`);
  // Dropped, not disabled: COPY inserts row by row into a table with a BEFORE INSERT trigger
  // even when it is disabled (orderdetails: 2.9 s instead of 2.0 s for 3M lines).
  for (const t of triggers.rows) await c.query(`DROP TRIGGER ${quoteIdent(t.name)} ON ${quoteIdent(t.tbl)}`);
  const unique = constraints.rows.filter((k) => k.type === 'u' || k.type === 'p');
  const foreign = constraints.rows.filter((k) => k.type === 'f');
  return [
    ...indexes.rows.map((i) => i.def),
    ...unique.map((k) => `ALTER TABLE ${k.tbl} ADD CONSTRAINT ${quoteIdent(k.name)} ${k.def}`),
    ...foreign.flatMap((k) => {
      const add = `ALTER TABLE ${k.tbl} ADD CONSTRAINT ${quoteIdent(k.name)} ${k.def}`;
      return mergesInOrder(k, ascending) ? ['SET LOCAL enable_hashjoin = off', add, 'RESET enable_hashjoin'] : [add];
    }),
    ...triggers.rows.flatMap((t) => [
      t.def,
      // Fired on replicas only, or always: the mode pg_get_triggerdef does not spell.
      ...(t.enabled === 'R' || t.enabled === 'A'
        ? [`ALTER TABLE ${quoteIdent(t.tbl)} ENABLE ${MODES[t.enabled]} TRIGGER ${quoteIdent(t.name)}`]
        : []),
    ]),
  ];
}

/** pg_trigger.tgenabled's modes other than the default (O) and disabled (D). */
const MODES = { R: 'REPLICA', A: 'ALWAYS' } as const;

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
    // The demo's tables: the shop's, and the event tables the stream fills beside them.
    await migratePostgres(this.db, ['shop', 'events']);
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
        for (const part of parts) await copyInto(c, part.table, part.columns, part.chunks, part.format);
        await c.query('COMMIT');
      } catch (error) {
        await c.query('ROLLBACK').catch(() => {});
        throw error;
      }
    });
  }

  async loadIntoEmpty(tables: readonly SeedTable[], parts: readonly LoadPart[]): Promise<boolean> {
    return this.run(async (c) => {
      await c.query('BEGIN');
      try {
        // No one else writes these tables until this transaction ends; readers wait too.
        await c.query(`LOCK TABLE ${tables.map(quoteIdent).join(', ')} IN ACCESS EXCLUSIVE MODE`);
        for (const table of tables) {
          const rows = await c.query(`SELECT 1 FROM ${quoteIdent(table)} LIMIT 1`);
          if (rows.rowCount !== 0) {
            await c.query('ROLLBACK');
            return false;
          }
        }
        const ascending = new Map(parts.map((p) => [p.table as string, new Set(p.ascending ?? [])]));
        const restore = await deferSchema(c, tables, ascending);
        // Index builds sort in memory rather than in temporary files (at 9M order lines, 512MB
        // split between the parallel workers spilled: 0.9 s more); foreign-key checks hash. JIT
        // compiling the checks' queries cost more than it saved.
        await c.query(`SET LOCAL maintenance_work_mem = '1GB'`);
        await c.query(`SET LOCAL work_mem = '256MB'`);
        await c.query(`SET LOCAL jit = off`);
        for (const part of parts) await copyInto(c, part.table, part.columns, part.chunks, part.format);
        for (const sql of restore) await c.query(sql);
        await c.query('COMMIT');
        return true;
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
