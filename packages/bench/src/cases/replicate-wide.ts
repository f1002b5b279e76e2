/**
 * `etl replicate` of a table that is not the shop's: 30 columns mixing every type family (text
 * up to 200 kB in one row of a thousand, jsonb, json, arrays, numeric with and without a
 * precision, floats, timestamptz, interval, bytea, uuid, inet, an enum, a range) under a text
 * primary key. Timed as the user waits for it: the whole `etl replicate` command. The limit is
 * PostgreSQL and MySQL doing the same conversion alone: `psql COPY (SELECT <the same export
 * expressions>) TO STDOUT | mysql LOAD DATA` into a table of the same MySQL column types with
 * only the primary key. Then `etl verify` of it beside `etl verify` of the same rows under an
 * integer key.
 */
import { spawn } from 'node:child_process';
import { loadDataColumns, MysqlReplicaTarget, PostgresReplicaSource, withMysql, withPostgres } from '@etl/connectors';
import { throwawayDatabases } from '@etl/connectors/testing';
import { ETL_BIN } from '@etl/cli/testing';
import { exactPatterns, PG_EXPORT_SETTINGS, pgExportColumn, planReplicas, type ReplicateReport } from '@etl/core';
import { checkpoint, etlEnvFor, type BenchCase } from '../case.js';
import { psqlCommand, sh } from '../shell.js';

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

/** The wide table's columns, filled from the row number `i` (deterministic); `cdc-wide` uses them too. */
export const WIDE_COLUMNS = `
  id text PRIMARY KEY, c_int int, c_big bigint, c_small smallint, c_num numeric(12,2), c_free numeric,
  c_float double precision, c_real real, c_bool boolean, c_date date, c_ts timestamp(3), c_tstz timestamptz,
  c_time time, c_span interval, c_uuid uuid, c_json json, c_jsonb jsonb, c_tags text[], c_ints int[],
  c_bytes bytea, c_ip inet, c_name varchar(100), c_code char(10), c_body text, c_mood wide_mood, c_bits bit(8),
  c_range int4range, c_note text, c_flag boolean, updated_at timestamptz NOT NULL`;

export const WIDE_FILL = (from: number | string, to: number | string, key: string) => `
SELECT ${key}, i, i * 7919::bigint, (i % 30000)::smallint, (i % 100000) / 100.0, (i * 1.000001)::numeric,
  i / 7.0, (i % 1000) / 3.0, i % 2 = 0, DATE '2000-01-01' + (i % 9000), TIMESTAMP '2020-01-01' + i * INTERVAL '1.5 s',
  TIMESTAMPTZ '2021-01-01 00:00:00+00' + i * INTERVAL '1.000001 s', TIME '00:00' + (i % 86400) * INTERVAL '1 s',
  (i % 1000) * INTERVAL '1 day 2 hours', md5(i::text)::uuid,
  ('{"i": ' || i || ', "tags": ["a", "b"], "ok": true}')::json,
  jsonb_build_object('i', i, 'price', (i % 1000) / 100.0, 'name', 'item ' || i),
  ARRAY['t' || (i % 10), 't' || (i % 7)], ARRAY[i, i + 1, i + 2],
  decode(md5(i::text), 'hex'), ('10.' || (i % 256) || '.' || (i / 256 % 256) || '.1')::inet,
  'name ' || i, lpad((i % 1000)::text, 10), CASE WHEN i % 1000 = 0 THEN repeat('long text ', 20000)
  ELSE 'body of row ' || i END, (ARRAY['sad', 'ok', 'happy'])[1 + i % 3]::wide_mood, (i % 256)::bit(8),
  int4range(i, i + 10), CASE WHEN i % 5 = 0 THEN NULL ELSE 'note ' || i END, i % 3 = 0, now()
FROM generate_series(${from}, ${to}) AS i`;

/** Runs `etl <args> --json` against the databases; resolves with its result and the seconds it took. */
function etlJson<T>(args: string[], env: NodeJS.ProcessEnv): Promise<{ body: T; seconds: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [ETL_BIN, ...args, '--json'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`etl ${args.join(' ')} exited ${code}: ${err.trim()}`));
      else resolve({ body: JSON.parse(out) as T, seconds: (performance.now() - started) / 1000 });
    });
  });
}

export const replicateWide: BenchCase = {
  name: 'replicate-wide',
  description:
    'etl replicate of a 30-column table of every type family under a text key vs psql COPY (SELECT …) | mysql ' +
    'LOAD DATA into the same column types; etl verify of it vs of the same rows under an integer key',
  async run({ servers, size, log }) {
    const rows = size ?? 1_000_000;
    const dbs = throwawayDatabases(servers, 'etl_bench');
    const env = etlEnvFor(dbs, servers);
    try {
      await withPostgres(dbs.pg, (c) => c.query(`CREATE DATABASE ${dbs.pg.database}`), { database: 'postgres' });
      await withMysql(dbs.mysql, (c) => c.query(`CREATE DATABASE ${dbs.mysql.database}`), { noDatabase: true });
      log(`replicate-wide: filling ${fmt(rows)} rows of 30 columns (not timed)`);
      await withPostgres(dbs.pg, async (c) => {
        await c.query(`CREATE TYPE wide_mood AS ENUM ('sad', 'ok', 'happy')`);
        await c.query(`CREATE TABLE wide (${WIDE_COLUMNS})`);
        await c.query(
          `CREATE TABLE wide_int (${WIDE_COLUMNS.replace('id text PRIMARY KEY', 'id bigint PRIMARY KEY')})`,
        );
        // Keys in an order unlike the insertion order, and unlike between the two databases' collations.
        for (let from = 1; from <= rows; from += 250_000) {
          const to = Math.min(rows, from + 249_999);
          await c.query(`INSERT INTO wide ${WIDE_FILL(from, to, `'K-' || md5(i::text) || '-' || i`)}`);
          await c.query(`INSERT INTO wide_int ${WIDE_FILL(from, to, 'i')}`);
        }
        await c.query('VACUUM ANALYZE wide');
        await c.query('VACUUM ANALYZE wide_int');
      });
      await checkpoint(dbs.pg);

      log('replicate-wide: etl replicate --tables wide --mode full (the whole command)');
      const full = await etlJson<ReplicateReport>(['replicate', '--tables', 'wide', '--mode', 'full'], env);
      const table = full.body.tables[0];
      if (table === undefined || table.targetRows !== rows) throw new Error('wide was not replicated in full');

      log('replicate-wide: psql COPY (SELECT …) TO STDOUT | mysql LOAD DATA into the same column types');
      const plan = planReplicas(await new PostgresReplicaSource(dbs.pg).tables(), exactPatterns(['wide']));
      const source = plan.tables[0];
      if (source === undefined) throw new Error('wide is not in the catalog');
      const spec = plan.spec(source, []);
      await withMysql(dbs.mysql, (c) => c.query('CREATE TABLE wide_limit LIKE wide'));
      const select = `COPY (SELECT ${spec.columns.map((c) => pgExportColumn(spec, c)).join(', ')} FROM wide
        ORDER BY id COLLATE "C") TO STDOUT`;
      const mysqlClient = 'command -v mariadb >/dev/null && echo mariadb || echo mysql';
      // The export session's settings, as etl sets them (codec.ts).
      const pgOptions = Object.entries(PG_EXPORT_SETTINGS)
        .map(([name, value]) => `-c ${name}=${value.replace(/ /g, '\\ ')}`)
        .join(' ');
      // The same column list etl's LOAD DATA uses, its backticks escaped for the shell's double quotes.
      const columns = loadDataColumns(spec).replace(/`/g, '\\`');
      await checkpoint(dbs.pg);
      const limitStarted = performance.now();
      await sh(
        `${psqlCommand(dbs.pg, select)} | ` +
          `$(${mysqlClient}) --local-infile=1 -h ${dbs.mysql.host} -P ${dbs.mysql.port} -u ${dbs.mysql.user} ` +
          `${dbs.mysql.database} -e "SET time_zone = '+00:00'; LOAD DATA LOCAL INFILE '/dev/stdin' INTO TABLE ` +
          `wide_limit CHARACTER SET utf8mb4 ${columns}"`,
        { PGPASSWORD: dbs.pg.password ?? '', PGOPTIONS: pgOptions, MYSQL_PWD: dbs.mysql.password ?? '' },
      );
      const limitSeconds = (performance.now() - limitStarted) / 1000;

      log('replicate-wide: etl verify of the text-keyed table, then of the integer-keyed one');
      await etlJson(['replicate', '--tables', 'wide_int', '--mode', 'full'], env);
      const verifyText = await etlJson(['verify', '--tables', 'wide'], env);
      const verifyInt = await etlJson(['verify', '--tables', 'wide_int'], env);
      const stored = await new MysqlReplicaTarget(dbs.mysql).count(spec);
      return {
        unit: 'rows',
        goal: 0.5,
        ours: { label: 'etl replicate --tables wide --mode full (whole command)', count: rows, seconds: full.seconds },
        limit: {
          label: 'psql COPY (SELECT the same exports) | mysql LOAD DATA into the same column types, primary key only',
          count: rows,
          seconds: limitSeconds,
        },
        notes: [
          `etl's own report: ${table.seconds.toFixed(2)} s of the ${full.seconds.toFixed(2)} s command ` +
            `(${fmt(table.rowsPerSecond)} rows/s); ${table.stored.length} of 30 columns stored as text or JSON; ` +
            `${fmt(stored)} rows in MySQL`,
          `etl verify, text key: ${verifyText.seconds.toFixed(2)} s; the same rows under an integer key: ` +
            `${verifyInt.seconds.toFixed(2)} s (${(verifyText.seconds / verifyInt.seconds).toFixed(2)}×)`,
        ],
      };
    } finally {
      await dbs.drop();
    }
  },
};
