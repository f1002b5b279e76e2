/**
 * `etl cdc` on a table that is not the shop's: the `replicate-wide` case's 30 columns of every
 * type family under a text key. Row changes (updates of numeric, jsonb, array and timestamptz
 * columns leaving the long text untouched, deletes, inserts of whole new rows) in transactions of
 * 1 to 100 rows, captured and applied against the same limits as the `cdc` case: PostgreSQL
 * decoding the same WAL alone, MySQL applying the same statements alone.
 */
import { withMysql, withPostgres } from '@etl/connectors';
import { throwawayDatabases } from '@etl/connectors/testing';
import type { BenchCase } from '../case.js';
import { cdcAgainstLimits } from './cdc.js';
import { WIDE_COLUMNS, WIDE_FILL } from './replicate-wide.js';

const KEY = `'K-' || md5(i::text) || '-' || i`;

/** Commits about `n` row changes of `wide` (of `rows` rows) in transactions of 1–100 rows. */
function wideChangesSql(n: number, rows: number): string {
  return `DO $$
DECLARE t int := 0; k int; done bigint := 0; rc bigint; at int;
BEGIN
  WHILE done < ${n} LOOP
    k := 1 + (t * 7) % 100;
    at := 1 + (t * 7919) % ${Math.max(1, rows - 100)};
    IF t % 10 < 6 THEN
      UPDATE wide SET c_num = c_num + 1, c_jsonb = c_jsonb || jsonb_build_object('t', t),
             c_tags = c_tags || ('u' || t), c_tstz = c_tstz + INTERVAL '1.000001 s', updated_at = now()
       WHERE c_int BETWEEN at AND at + k - 1;
    ELSIF t % 10 < 8 THEN
      DELETE FROM wide WHERE c_int BETWEEN at AND at + k - 1;
    ELSE
      INSERT INTO wide ${WIDE_FILL(`${rows} + t * 100 + 1`, `${rows} + t * 100 + k`, KEY)};
    END IF;
    GET DIAGNOSTICS rc = ROW_COUNT;
    done := done + rc;
    t := t + 1;
    COMMIT;
  END LOOP;
END $$`;
}

export const cdcWide: BenchCase = {
  name: 'cdc-wide',
  description:
    'etl cdc capture and apply of row changes on a 30-column table of every type family under a text key, ' +
    'against the cdc case limits (pg_recvlogical of the same WAL; the same statements straight to MySQL)',
  async run({ servers, size, log }) {
    const changes = size ?? 200_000;
    const rows = 1_000_000;
    const dbs = throwawayDatabases(servers, 'etl_bench');
    try {
      return await cdcAgainstLimits({
        name: 'cdc-wide',
        servers,
        log,
        dbs,
        tables: ['wide'],
        load: async () => {
          log(`cdc-wide: filling ${rows.toLocaleString('en-US')} rows of 30 columns, snapshot (not timed)`);
          await withPostgres(dbs.pg, (c) => c.query(`CREATE DATABASE ${dbs.pg.database}`), { database: 'postgres' });
          await withMysql(dbs.mysql, (c) => c.query(`CREATE DATABASE ${dbs.mysql.database}`), { noDatabase: true });
          await withPostgres(dbs.pg, async (c) => {
            await c.query(`CREATE TYPE wide_mood AS ENUM ('sad', 'ok', 'happy')`);
            await c.query(`CREATE TABLE wide (${WIDE_COLUMNS})`);
            for (let from = 1; from <= rows; from += 250_000) {
              await c.query(`INSERT INTO wide ${WIDE_FILL(from, Math.min(rows, from + 249_999), KEY)}`);
            }
            // Only for making the changes quickly (not timed); the capture reads the WAL either way.
            await c.query('CREATE INDEX wide_c_int ON wide (c_int)');
            await c.query('VACUUM ANALYZE wide');
          });
        },
        changes: {
          what: `${changes.toLocaleString('en-US')} row changes in transactions of 1–100 rows`,
          sql: wideChangesSql(changes, rows),
        },
      });
    } finally {
      await dbs.drop();
    }
  },
};
