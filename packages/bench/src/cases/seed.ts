/**
 * `etl seed` at the benchmark size against the bare database: `psql \copy` of the very same
 * rows, from files, into tables with only their columns (no keys, indexes, constraints,
 * defaults or triggers).
 */
import { createWriteStream, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { to as copyTo } from 'pg-copy-streams';
import {
  pgType,
  runSeed,
  seedColumns,
  SEED_DEFAULTS,
  TABLES as SCHEMA,
  type DatabaseEndpoint,
  type SeedOptions,
  type SeedReport,
  type SeedTable,
} from '@etl/core';
import {
  FileSpool,
  PostgresSeedStore,
  ensurePostgresDatabase,
  migratePostgres,
  quoteIdent,
  withPostgres,
} from '@etl/connectors';
import { throwawayDatabases } from '@etl/connectors/testing';
import { checkpoint, shopOfSize, type BenchCase, type Measurement } from '../case.js';
import { psql, psqlFile } from '../shell.js';

const TABLES: readonly SeedTable[] = ['productcategories', 'users', 'products', 'orders', 'orderdetails'];

/** The binary COPY files of these tables (the rest are text), as etl sends them. */
const BINARY: readonly SeedTable[] = ['orders', 'orderdetails'];
const fileOf = (dir: string, table: SeedTable): string =>
  join(dir, `${table}.${BINARY.includes(table) ? 'bin' : 'tsv'}`);

/**
 * PostgreSQL alone, pg_restore's way, into etl's own schema: the same rows from files (orders
 * and lines in binary, as etl sends them) into tables that keep their CHECKs, NOT NULLs and
 * defaults, all in one transaction, then the indexes, keys and validated foreign keys. What
 * the schema itself costs, with nothing of etl's in the way. Runs in a schema of its own
 * beside the tables etl filled (their definitions are copied from the catalog).
 */
async function postgresAlone(db: DatabaseEndpoint, dir: string): Promise<Measurement> {
  const statements = await withPostgres(db, async (c) => {
    await c.query('CREATE SCHEMA alone');
    for (const t of TABLES) {
      await c.query(
        `CREATE TABLE alone.${quoteIdent(t)} (LIKE public.${quoteIdent(t)} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)`,
      );
    }
    const indexes = await c.query<{ def: string }>(
      `SELECT pg_get_indexdef(x.indexrelid) AS def
         FROM pg_index x JOIN pg_class t ON t.oid = x.indrelid
        WHERE t.relname = ANY($1) AND t.relnamespace = 'public'::regnamespace
          AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = x.indexrelid)
        ORDER BY 1`,
      [TABLES],
    );
    const keys = await c.query<{ tbl: string; name: string; def: string }>(
      `SELECT t.relname AS tbl, k.conname AS name, pg_get_constraintdef(k.oid) AS def
         FROM pg_constraint k JOIN pg_class t ON t.oid = k.conrelid
        WHERE t.relname = ANY($1) AND t.relnamespace = 'public'::regnamespace AND k.contype IN ('p', 'u', 'f')
        ORDER BY k.contype = 'f', k.conname`,
      [TABLES],
    );
    return [
      ...indexes.rows.map((i) => i.def.replace(' ON public.', ' ON alone.')),
      ...keys.rows.map((k) => `ALTER TABLE ${quoteIdent(k.tbl)} ADD CONSTRAINT ${quoteIdent(k.name)} ${k.def}`),
    ];
  });
  const script = join(dir, 'alone.sql');
  writeFileSync(
    script,
    [
      'SET search_path = alone;',
      'BEGIN;',
      // The same session settings as etl's load.
      `SET LOCAL maintenance_work_mem = '1GB';`,
      `SET LOCAL work_mem = '256MB';`,
      'SET LOCAL jit = off;',
      ...TABLES.map(
        (t) =>
          `\\copy ${t} (${seedColumns(t).join(', ')}) FROM '${fileOf(dir, t)}'` +
          (BINARY.includes(t) ? ' WITH (FORMAT binary)' : ''),
      ),
      ...statements.map((sql) => `${sql};`),
      'COMMIT;',
      '',
    ].join('\n'),
  );
  await checkpoint(db);
  const started = performance.now();
  await psqlFile(db, script);
  const seconds = (performance.now() - started) / 1000;
  const count = await withPostgres(db, async (c) => {
    let n = 0;
    for (const t of TABLES) {
      n += Number((await c.query<{ n: string }>(`SELECT count(*) AS n FROM alone.${quoteIdent(t)}`)).rows[0]?.n);
    }
    return n;
  });
  return {
    label:
      "PostgreSQL alone, pg_restore's way: the same rows from files into etl's schema in one transaction, " +
      'then its indexes, keys and validated foreign keys',
    count,
    seconds,
  };
}

/** Runs etl's seed job into the database and times it. */
async function timedSeed(db: DatabaseEndpoint, options: SeedOptions): Promise<{ report: SeedReport; seconds: number }> {
  const store = new PostgresSeedStore(db);
  try {
    const started = performance.now();
    const report = await runSeed(store, options, { now: () => performance.now(), spool: () => new FileSpool() });
    return { report, seconds: (performance.now() - started) / 1000 };
  } finally {
    await store.close();
  }
}

export const seed: BenchCase = {
  name: 'seed',
  description:
    'etl seed (100k users, 10k products, 1M orders ≈ 3M lines) vs psql \\copy of the same rows into bare tables',
  async run({ servers, size, scale, log }) {
    const orders = size ?? 1_000_000;
    const options = {
      ...shopOfSize(orders),
      seed: 42,
      reset: false,
      batchSize: SEED_DEFAULTS.batchSize,
      concurrency: SEED_DEFAULTS.concurrency,
    };
    const ours = throwawayDatabases(servers, 'etl_bench');
    const limit = throwawayDatabases(servers, 'etl_bench');
    const dir = mkdtempSync(join(tmpdir(), 'etl-bench-seed-'));
    try {
      await migratePostgres(ours.pg, ['shop']);
      await ensurePostgresDatabase(limit.pg);
      await withPostgres(limit.pg, async (c) => {
        for (const table of TABLES) {
          const columns = SCHEMA[table].columns.filter((col) => col.name !== 'updated_at');
          const list = columns.map((col) => `${quoteIdent(col.name)} ${pgType(col.type)}`).join(', ');
          await c.query(`CREATE TABLE ${quoteIdent(table)} (${list})`);
        }
      });

      log(`seed: etl seed --users ${options.users} --products ${options.products} --orders ${options.orders}`);
      const rssBefore = process.resourceUsage().maxRSS;
      await checkpoint(ours.pg);
      const { report, seconds } = await timedSeed(ours.pg, options);
      const peakRssMb = process.resourceUsage().maxRSS / 1024;
      const rows = report.tables.reduce((n, t) => n + t.added, 0);

      log('seed: exporting the same rows to files');
      for (const table of TABLES) {
        const cols = seedColumns(table).map(quoteIdent).join(', ');
        const exports: [string, string][] = [[join(dir, `${table}.tsv`), '']];
        if (BINARY.includes(table)) exports.push([fileOf(dir, table), ' WITH (FORMAT binary)']);
        for (const [file, format] of exports) {
          await withPostgres(ours.pg, (c) =>
            pipeline(
              c.query(copyTo(`COPY (SELECT ${cols} FROM ${quoteIdent(table)}) TO STDOUT${format}`)),
              createWriteStream(file),
            ),
          );
        }
      }

      log('seed: psql \\copy of the files, table by table');
      await checkpoint(limit.pg);
      const limitStarted = performance.now();
      for (const table of TABLES) {
        const file = join(dir, `${table}.tsv`);
        await psql(limit.pg, `\\copy ${table} (${seedColumns(table).join(', ')}) FROM '${file}'`);
      }
      const limitSeconds = (performance.now() - limitStarted) / 1000;
      const bytes = TABLES.reduce((n, t) => n + statSync(join(dir, `${t}.tsv`)).size, 0);

      log("seed: PostgreSQL alone, pg_restore's way, the same rows into etl's schema");
      const alone = await postgresAlone(ours.pg, dir);

      // Growth: the same seed at `scale` times the size, into a database of its own.
      const growth: string[] = [];
      if (scale !== undefined) {
        // Each timed run starts from the same state: the 1× databases gone and their dirty
        // pages written, so the larger run does not pay for writing back the earlier ones'.
        await ours.drop();
        await limit.drop();
        const bigger = throwawayDatabases(servers, 'etl_bench');
        try {
          await migratePostgres(bigger.pg, ['shop']);
          await checkpoint(bigger.pg);
          const big = { ...options, ...shopOfSize(orders * scale) };
          log(`seed: etl seed at ${scale}× (--orders ${big.orders})`);
          const scaled = await timedSeed(bigger.pg, big);
          const bigRows = scaled.report.tables.reduce((n, t) => n + t.added, 0);
          growth.push(
            `at ${scale}× (${big.orders.toLocaleString('en-US')} orders, ${bigRows.toLocaleString('en-US')} rows): ` +
              `${scaled.seconds.toFixed(2)} s = ${(scaled.seconds / seconds).toFixed(2)}× the time at 1× ` +
              `(goal ≤ ${(1.1 * scale).toFixed(1)}×); ` +
              `peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`,
          );
        } finally {
          await bigger.drop();
        }
      }

      return {
        unit: 'rows',
        goal: 0.35,
        ours: {
          label:
            'etl seed into empty tables (generate + COPY in one transaction per table, indexes and ' +
            'constraints built after)',
          count: rows,
          seconds,
        },
        limit: {
          label: 'psql \\copy of the same rows from files into tables with only their columns',
          count: rows,
          seconds: limitSeconds,
        },
        notes: [
          ...report.tables.map(
            (t) =>
              `${t.table}: ${t.added.toLocaleString('en-US')} rows, ` +
              `${Math.round(t.rowsPerSecond).toLocaleString('en-US')} rows/s`,
          ),
          `${alone.label}: ${alone.seconds.toFixed(2)} s; etl seed takes ${(seconds / alone.seconds).toFixed(2)}× ` +
            `its time (the limit in the table is ${(alone.seconds / limitSeconds).toFixed(2)}× faster than it)`,
          `files: ${(bytes / 1e6).toFixed(0)} MB; peak RSS of the bench process ${peakRssMb.toFixed(0)} MB ` +
            `(before seeding ${(rssBefore / 1024).toFixed(0)} MB)`,
          ...growth,
        ],
      };
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await ours.drop();
      await limit.drop();
    }
  },
};
