import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exactPatterns, runReplicate, runVerify, type ReplicaSpec } from '@etl/core';
import { throwawayDatabases } from '../testing/index.js';
import { PostgresReplicaSource } from '../postgres/replica-source.js';
import { withPostgres } from '../postgres/client.js';
import { ensurePostgresDatabase } from '../postgres/schema-target.js';
import { withMysql } from './client.js';
import { MysqlReplicaTarget } from './replica-target.js';
import type mysql from 'mysql2/promise';

const dbs = throwawayDatabases();
afterAll(() => dbs.drop());
const now = () => performance.now();

/**
 * A partitioned table keyed by text and date, with keys PostgreSQL and MySQL order differently
 * (case, trailing spaces, 4-byte UTF-8), and a keyless one.
 */
beforeAll(async () => {
  await ensurePostgresDatabase(dbs.pg);
  await withPostgres(dbs.pg, async (c) => {
    await c.query(`CREATE TABLE ledger (
      code text NOT NULL, day date NOT NULL, note text, amount numeric(12,2),
      updated_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (code, day)) PARTITION BY RANGE (day)`);
    await c.query(`CREATE TABLE ledger_old PARTITION OF ledger FOR VALUES FROM ('1900-01-01') TO ('2000-01-01')`);
    await c.query(`CREATE TABLE ledger_new PARTITION OF ledger FOR VALUES FROM ('2000-01-01') TO ('2100-01-01')`);
    await c.query(`INSERT INTO ledger (code, day, note, amount)
      SELECT (ARRAY['a', 'A', 'a ', 'é', '😀', 'Z'])[g % 6 + 1] || (g / 6)::text,
             date '1950-01-01' + (g % 30000), repeat('x', g % 50), g / 100.0
        FROM generate_series(1, 6000) g`);
    // Keyed by integers, whose text sorts otherwise ('10' before '9').
    await c.query(`CREATE TABLE counts (id bigint PRIMARY KEY, v int, updated_at timestamptz NOT NULL DEFAULT now())`);
    await c.query(`INSERT INTO counts SELECT g, g FROM generate_series(1, 2500) g`);
    await c.query(`CREATE TABLE heap (v text)`);
    await c.query(`INSERT INTO heap SELECT 'v' || g FROM generate_series(1, 3000) g`);
  });
});

const tables = exactPatterns(['ledger', 'counts', 'heap']);
const options = { tables, mode: 'full' as const, concurrency: 2, deletes: true, chunkRows: 700 };
const count = (table: string) =>
  withMysql(dbs.mysql, async (c) =>
    Number((await c.query<mysql.RowDataPacket[]>(`SELECT COUNT(*) AS n FROM \`${table}\``))[0][0]?.['n']),
  );

/** A target killed while loading the ledger's `n`-th chunk, halfway through the chunk's rows. */
class KilledTarget extends MysqlReplicaTarget {
  private loads = 0;
  constructor(private readonly killAt: number) {
    super(dbs.mysql);
  }
  override loadChunk(spec: ReplicaSpec, chunk: number, rows: AsyncIterable<Buffer | string>, sent: () => number) {
    const kill = spec.table === 'ledger' && ++this.loads === this.killAt;
    // Half the chunk's first bytes reach MySQL, then the stream dies.
    async function* cut(): AsyncGenerator<Buffer | string> {
      for await (const r of rows) {
        if (!kill) yield r;
        else {
          yield r.slice(0, Math.floor(r.length / 2));
          throw new Error(`killed loading chunk ${chunk}`);
        }
      }
    }
    return super.loadChunk(spec, chunk, cut(), sent);
  }
}

describe('a full copy by key chunks', () => {
  const source = new PostgresReplicaSource(dbs.pg);

  it('cuts a partitioned, text-keyed table into chunks and copies it equal; a keyless table goes whole', async () => {
    const report = await runReplicate(source, new MysqlReplicaTarget(dbs.mysql), options, { now });
    const ledger = report.tables.find((t) => t.table === 'ledger');
    expect(ledger?.chunks).toBeGreaterThan(4);
    expect(ledger).toMatchObject({ rows: 6000, targetRows: 6000, resumedChunks: 0 });
    expect(report.tables.find((t) => t.table === 'counts')?.chunks).toBeGreaterThan(2);
    expect(report.tables.find((t) => t.table === 'counts')?.targetRows).toBe(2500);
    expect(report.tables.find((t) => t.table === 'heap')).toMatchObject({ chunks: 1, targetRows: 3000 });
    expect(await count('ledger')).toBe(6000);
    expect((await runVerify(source, new MysqlReplicaTarget(dbs.mysql), tables, { now })).equal).toBe(true);
    // Nothing of the copy is left behind once it is swapped in.
    expect(await count('etl_replication_chunks')).toBe(0);
    expect(await count('etl_replication_copies')).toBe(0);
  });

  it('killed midway, leaves the live replica as it was and resumes from the chunks it finished', async () => {
    await withPostgres(dbs.pg, (c) => c.query(`UPDATE ledger SET note = 'second' WHERE code LIKE 'a%'`));
    await expect(runReplicate(source, new KilledTarget(4), options, { now })).rejects.toThrow(/killed loading chunk/);
    // Readers still see the first copy; the stage holds only the chunks that committed.
    expect(await count('ledger')).toBe(6000);
    const done = await withMysql(dbs.mysql, async (c) => {
      const [rows] = await c.query<mysql.RowDataPacket[]>(
        `SELECT COUNT(*) AS n, CAST(SUM(rows_loaded) AS SIGNED) AS r FROM etl_replication_chunks
          WHERE table_name = 'ledger'`,
      );
      return { chunks: Number(rows[0]?.['n']), rows: Number(rows[0]?.['r']) };
    });
    expect(done.chunks).toBeGreaterThanOrEqual(1);
    expect(await count('ledger__etl_stage')).toBe(done.rows);

    // The source moves on before the next run: rows of finished chunks (the first keys: 'A…') go,
    // others change and arrive.
    await withPostgres(dbs.pg, async (c) => {
      await c.query(`UPDATE ledger SET note = 'third', updated_at = now() WHERE code LIKE 'Z%' OR code LIKE 'a%'`);
      await c.query(`DELETE FROM ledger WHERE code LIKE 'A%'`);
      await c.query(`INSERT INTO ledger (code, day) VALUES ('a', '1960-01-01'), ('zz', '2050-01-01')`);
    });
    const report = await runReplicate(source, new MysqlReplicaTarget(dbs.mysql), options, { now });
    const ledger = report.tables.find((t) => t.table === 'ledger');
    expect(ledger?.resumedChunks).toBe(done.chunks);
    expect(ledger?.deleted).toBeGreaterThan(0);
    expect(ledger?.note).toMatch(/^resumed: \d+ of \d+ chunks/);
    expect(await count('ledger')).toBe(6000 - 1000 + 2);
    expect((await runVerify(source, new MysqlReplicaTarget(dbs.mysql), tables, { now })).equal).toBe(true);
    expect(await count('etl_replication_chunks')).toBe(0);
  });

  it('starts over when the table was redefined since the killed run', async () => {
    await expect(runReplicate(source, new KilledTarget(3), options, { now })).rejects.toThrow(/killed loading chunk/);
    await withPostgres(dbs.pg, (c) => c.query(`ALTER TABLE ledger ADD COLUMN extra int`));
    const report = await runReplicate(source, new MysqlReplicaTarget(dbs.mysql), options, { now });
    expect(report.tables.find((t) => t.table === 'ledger')).toMatchObject({ resumedChunks: 0, note: null });
    expect((await runVerify(source, new MysqlReplicaTarget(dbs.mysql), tables, { now })).equal).toBe(true);
  });
});

describe('a row of 50 MB', () => {
  it('arrives whole, byte for byte, without the process holding the table or its chunk', async () => {
    await withPostgres(dbs.pg, async (c) => {
      await c.query(
        `CREATE TABLE wide_rows (id int PRIMARY KEY, body text, updated_at timestamptz NOT NULL DEFAULT now())`,
      );
      await c.query(`INSERT INTO wide_rows (id, body) VALUES (1, 'small'), (3, 'small too')`);
      await c.query(`INSERT INTO wide_rows (id, body) VALUES (2, repeat('é😀x', 50 * 1024 * 1024 / 7) || 'end')`);
    });
    const before = process.memoryUsage().rss;
    const source = new PostgresReplicaSource(dbs.pg);
    const report = await runReplicate(
      source,
      new MysqlReplicaTarget(dbs.mysql),
      { tables: exactPatterns(['wide_rows']), mode: 'full', concurrency: 2, deletes: true },
      { now },
    );
    const grew = process.memoryUsage().rss - before;
    expect(report.tables[0]?.targetRows).toBe(3);
    const [pgSide] = (
      await withPostgres(dbs.pg, (c) =>
        c.query(`SELECT octet_length(body) AS n, md5(body) AS h FROM wide_rows WHERE id = 2`),
      )
    ).rows as { n: number; h: string }[];
    const [mySide] = await withMysql(
      dbs.mysql,
      async (c) =>
        (
          await c.query<mysql.RowDataPacket[]>('SELECT LENGTH(body) AS n, MD5(body) AS h FROM wide_rows WHERE id = 2')
        )[0],
    );
    expect(pgSide?.n).toBeGreaterThan(50_000_000);
    expect({ n: Number(mySide?.['n']), h: mySide?.['h'] }).toEqual({ n: Number(pgSide?.n), h: pgSide?.h });
    // The row passes through in COPY's chunks: the process grows by far less than a few copies of it.
    expect(grew).toBeLessThan(150 * 1024 * 1024);
    expect(
      (await runVerify(source, new MysqlReplicaTarget(dbs.mysql), exactPatterns(['wide_rows']), { now })).equal,
    ).toBe(true);
  }, 120_000);
});
