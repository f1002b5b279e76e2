/**
 * `etl seed` at the benchmark size against the bare database: `psql \copy` of the very same
 * rows, from files, into tables with only their columns (no keys, indexes, constraints,
 * defaults or triggers).
 */
import { createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
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
import { PostgresSeedStore, ensurePostgresDatabase, migratePostgres, quoteIdent, withPostgres } from '@etl/connectors';
import { throwawayDatabases } from '@etl/connectors/testing';
import { shopOfSize, type BenchCase } from '../case.js';
import { psql } from '../shell.js';

const TABLES: readonly SeedTable[] = ['productcategories', 'users', 'products', 'orders', 'orderdetails'];

/** Runs etl's seed job into the database and times it. */
async function timedSeed(db: DatabaseEndpoint, options: SeedOptions): Promise<{ report: SeedReport; seconds: number }> {
  const store = new PostgresSeedStore(db);
  try {
    const started = performance.now();
    const report = await runSeed(store, options, { now: () => performance.now() });
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
      await migratePostgres(ours.pg);
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
      const { report, seconds } = await timedSeed(ours.pg, options);
      const peakRssMb = process.resourceUsage().maxRSS / 1024;
      const rows = report.tables.reduce((n, t) => n + t.added, 0);

      log('seed: exporting the same rows to files');
      for (const table of TABLES) {
        const cols = seedColumns(table).map(quoteIdent).join(', ');
        await withPostgres(ours.pg, (c) =>
          pipeline(
            c.query(copyTo(`COPY (SELECT ${cols} FROM ${quoteIdent(table)}) TO STDOUT`)),
            createWriteStream(join(dir, `${table}.tsv`)),
          ),
        );
      }

      log('seed: psql \\copy of the files, table by table');
      const limitStarted = performance.now();
      for (const table of TABLES) {
        const file = join(dir, `${table}.tsv`);
        await psql(limit.pg, `\\copy ${table} (${seedColumns(table).join(', ')}) FROM '${file}'`);
      }
      const limitSeconds = (performance.now() - limitStarted) / 1000;
      const bytes = TABLES.reduce((n, t) => n + statSync(join(dir, `${t}.tsv`)).size, 0);

      // Growth: the same seed at `scale` times the size, into a database of its own.
      const growth: string[] = [];
      if (scale !== undefined) {
        const bigger = throwawayDatabases(servers, 'etl_bench');
        try {
          await migratePostgres(bigger.pg);
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
