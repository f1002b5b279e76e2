/**
 * `etl replicate` at the seed benchmark's size: the full copy of orderdetails (≈3M rows)
 * against `psql COPY TO | mysql LOAD DATA LOCAL` of the same rows in the same run, and the
 * time of an incremental run after 1% of the orders changed against the full run.
 */
import { exactPatterns, pgExportColumn, REPLICATED_TABLES, replicaSpec, runReplicate } from '@etl/core';
import { MysqlReplicaTarget, PostgresReplicaSource, secondaryIndexes, withMysql, withPostgres } from '@etl/connectors';
import { throwawayDatabases } from '@etl/connectors/testing';
import { seedShop, shopOfSize, type BenchCase } from '../case.js';
import { sh } from '../shell.js';

export const replicate: BenchCase = {
  name: 'replicate',
  description:
    'etl replicate: full copy of orderdetails vs psql COPY TO | mysql LOAD DATA LOCAL into a table with only its ' +
    'primary key; incremental after 1% of orders changed',
  async run({ servers, size, log }) {
    const orders = size ?? 1_000_000;
    const dbs = throwawayDatabases(servers, 'etl_bench');
    const now = () => performance.now();
    try {
      log(`replicate: seeding ${orders.toLocaleString('en-US')} orders (not timed)`);
      await seedShop(dbs.pg, shopOfSize(orders));
      await withPostgres(dbs.pg, (c) => c.query('VACUUM ANALYZE'));

      const source = new PostgresReplicaSource(dbs.pg);
      const target = new MysqlReplicaTarget(dbs.mysql);
      const all = { tables: exactPatterns(REPLICATED_TABLES), mode: 'full' as const, concurrency: 2, deletes: true };
      log('replicate: etl replicate --mode full (all tables)');
      const fullStarted = now();
      const full = await runReplicate(source, target, all, { now });
      const fullSeconds = (now() - fullStarted) / 1000;
      const details = full.tables.find((t) => t.table === 'orderdetails');
      if (details === undefined) throw new Error('orderdetails was not replicated');

      log('replicate: psql COPY TO | mysql LOAD DATA LOCAL of the same rows');
      const spec = replicaSpec('orderdetails');
      // The bare database: a table with only its primary key (no secondary indexes to maintain).
      await withMysql(dbs.mysql, async (c) => {
        await c.query('CREATE TABLE od_limit LIKE orderdetails');
        const indexes = await secondaryIndexes(c, 'od_limit');
        await c.query(`ALTER TABLE od_limit ${indexes.map((i) => `DROP INDEX \`${i.name}\``).join(', ')}`);
      });
      const select = `COPY (SELECT ${spec.columns.map((c) => pgExportColumn(spec, c)).join(', ')} FROM orderdetails
        ORDER BY order_detail_id) TO STDOUT`;
      const mysqlClient = 'command -v mariadb >/dev/null && echo mariadb || echo mysql';
      const limitStarted = now();
      await sh(
        `psql -X -q -h ${dbs.pg.host} -p ${dbs.pg.port} -U ${dbs.pg.user} -d ${dbs.pg.database} ` +
          `-c "${select.replace(/"/g, '\\"')}" | ` +
          `$(${mysqlClient}) --local-infile=1 -h ${dbs.mysql.host} -P ${dbs.mysql.port} -u ${dbs.mysql.user} ` +
          `${dbs.mysql.database} ` +
          `-e "LOAD DATA LOCAL INFILE '/dev/stdin' INTO TABLE od_limit CHARACTER SET utf8mb4 ` +
          `(${spec.columns.map((c) => c.name).join(', ')})"`,
        { PGPASSWORD: dbs.pg.password ?? '', MYSQL_PWD: dbs.mysql.password ?? '' },
      );
      const limitSeconds = (now() - limitStarted) / 1000;

      log('replicate: 1% of orders changed, then etl replicate (incremental, all tables)');
      await withPostgres(dbs.pg, (c) =>
        c.query(`UPDATE orders SET status = 'Cancelled', delivery_date = NULL WHERE order_id % 100 = 7`),
      );
      const incStarted = now();
      const inc = await runReplicate(source, target, { ...all, mode: undefined }, { now });
      const incSeconds = (now() - incStarted) / 1000;
      const changed = inc.tables.find((t) => t.table === 'orders')?.rows ?? 0;

      return {
        unit: 'rows',
        goal: 0.5,
        ours: {
          label: 'etl replicate --mode full, orderdetails (COPY TO → transform → LOAD DATA LOCAL, stage + RENAME)',
          count: details.rows,
          seconds: details.seconds,
        },
        limit: {
          label: 'psql COPY TO | mysql LOAD DATA LOCAL, same rows, primary key only',
          count: details.rows,
          seconds: limitSeconds,
        },
        notes: [
          `full run of all tables: ${fullSeconds.toFixed(1)} s (${full.tables
            .map((t) => `${t.table} ${t.rows.toLocaleString('en-US')}`)
            .join(', ')})`,
          `incremental run after ${changed.toLocaleString('en-US')} orders changed: ${incSeconds.toFixed(2)} s = ` +
            `${((100 * incSeconds) / fullSeconds).toFixed(1)}% of the full run (goal < 5%)`,
        ],
      };
    } finally {
      await dbs.drop();
    }
  },
};
