/**
 * `etl seed` at the benchmark size against `psql \copy` of the very same rows, from files,
 * into empty tables of the same schema (same keys, checks, foreign keys and triggers).
 */
import { createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { to as copyTo } from 'pg-copy-streams';
import { runSeed, seedColumns, SEED_DEFAULTS, type SeedTable } from '@etl/core';
import { PostgresSeedStore, migratePostgres, quoteIdent, withPostgres } from '@etl/connectors';
import { throwawayDatabases } from '@etl/connectors/testing';
import { shopOfSize, type BenchCase } from '../case.js';
import { psql } from '../shell.js';

const TABLES: readonly SeedTable[] = ['productcategories', 'users', 'products', 'orders', 'orderdetails'];

export const seed: BenchCase = {
  name: 'seed',
  description:
    'etl seed (100k users, 10k products, 1M orders ≈ 3M lines) vs psql \\copy of the same rows into the same schema',
  async run({ servers, size, log }) {
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
      await migratePostgres(limit.pg);

      log(`seed: etl seed --users ${options.users} --products ${options.products} --orders ${options.orders}`);
      const store = new PostgresSeedStore(ours.pg);
      const rssBefore = process.resourceUsage().maxRSS;
      const started = performance.now();
      const report = await runSeed(store, options, { now: () => performance.now() });
      const seconds = (performance.now() - started) / 1000;
      await store.close();
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

      return {
        unit: 'rows',
        goal: 0.6,
        ours: {
          label:
            `etl seed (generate + COPY, one transaction per ${SEED_DEFAULTS.batchSize / 1000}k ids, ` +
            `${SEED_DEFAULTS.concurrency} at once)`,
          count: rows,
          seconds,
        },
        limit: { label: 'psql \\copy of the same rows from files', count: rows, seconds: limitSeconds },
        notes: [
          ...report.tables.map(
            (t) =>
              `${t.table}: ${t.added.toLocaleString('en-US')} rows, ` +
              `${Math.round(t.rowsPerSecond).toLocaleString('en-US')} rows/s`,
          ),
          `files: ${(bytes / 1e6).toFixed(0)} MB; peak RSS of the bench process ${peakRssMb.toFixed(0)} MB ` +
            `(before seeding ${(rssBefore / 1024).toFixed(0)} MB)`,
        ],
      };
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await ours.drop();
      await limit.drop();
    }
  },
};
