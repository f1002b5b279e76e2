/**
 * The PostgreSQL bulk-load path every loader of etl uses (core's COPY encoder streamed
 * through connectors' copyInto), against `psql \copy` of the same rows from a file into an
 * identical empty table.
 */
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { encodeCopyRow } from '@etl/core';
import { copyInto, migratePostgres, withPostgres } from '@etl/connectors';
import { throwawayDatabases } from '@etl/connectors/testing';
import type { BenchCase } from '../case.js';
import { psql } from '../shell.js';

const COLUMNS = [
  'order_detail_id',
  'order_id',
  'product_id',
  'quantity',
  'price_per_unit',
  'total_price',
  'updated_at',
];
const TABLE_DDL = (name: string) => `CREATE TABLE ${name} (
  order_detail_id bigint PRIMARY KEY, order_id integer NOT NULL, product_id integer NOT NULL,
  quantity integer NOT NULL, price_per_unit numeric(10,2) NOT NULL, total_price numeric(12,2) NOT NULL,
  updated_at timestamptz NOT NULL)`;

const EPOCH = Date.UTC(2024, 0, 1);

/** Row i of an orderdetails-shaped table: cheap, deterministic. */
function row(i: number): string {
  const quantity = 1 + (i % 5);
  const cents = 199 + ((i * 7919) % 99_800);
  return encodeCopyRow([
    i + 1,
    1 + Math.floor(i / 3),
    1 + ((i * 31) % 10_000),
    quantity,
    (cents / 100).toFixed(2),
    ((cents * quantity) / 100).toFixed(2),
    new Date(EPOCH + i * 1000),
  ]);
}

function* chunks(rows: number, chunkBytes = 256 * 1024): Generator<string> {
  let buffer = '';
  for (let i = 0; i < rows; i++) {
    buffer += row(i);
    if (buffer.length >= chunkBytes) {
      yield buffer;
      buffer = '';
    }
  }
  if (buffer !== '') yield buffer;
}

export const pgCopy: BenchCase = {
  name: 'pg-copy',
  description: 'COPY into PostgreSQL: etl (generate, encode, stream) vs psql \\copy of the same rows from a file',
  async run({ servers, size, log }) {
    const rows = size ?? 1_000_000;
    const dbs = throwawayDatabases(servers, 'etl_bench');
    const dir = mkdtempSync(join(tmpdir(), 'etl-bench-'));
    try {
      await migratePostgres(dbs.pg);
      await withPostgres(dbs.pg, async (c) => {
        await c.query(TABLE_DDL('bench_ours'));
        await c.query(TABLE_DDL('bench_limit'));
      });

      log(`pg-copy: writing ${rows.toLocaleString('en-US')} rows to a file for psql`);
      const file = join(dir, 'rows.tsv');
      const out = createWriteStream(file);
      for (const chunk of chunks(rows)) if (!out.write(chunk)) await once(out, 'drain');
      out.end();
      await once(out, 'finish');

      log('pg-copy: psql \\copy');
      const limitStart = performance.now();
      await psql(dbs.pg, `\\copy bench_limit (${COLUMNS.join(', ')}) FROM '${file}'`);
      const limitSeconds = (performance.now() - limitStart) / 1000;

      log('pg-copy: etl copyInto');
      const oursStart = performance.now();
      const stored = await withPostgres(dbs.pg, (c) => copyInto(c, 'bench_ours', COLUMNS, chunks(rows)));
      const oursSeconds = (performance.now() - oursStart) / 1000;
      if (stored !== rows) throw new Error(`copyInto stored ${stored} rows, expected ${rows}`);

      return {
        unit: 'rows',
        ours: { label: 'etl copyInto (generate + encode + COPY)', count: rows, seconds: oursSeconds },
        limit: { label: 'psql \\copy from a file', count: rows, seconds: limitSeconds },
      };
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await dbs.drop();
    }
  },
};
