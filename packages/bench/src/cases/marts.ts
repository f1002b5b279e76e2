/**
 * `etl marts` at the seed benchmark's size: each mart's build (stage + INSERT … SELECT +
 * data tests + RENAME) next to its bare SELECT … GROUP BY fetched by a client, on the same data
 * in the same run.
 */
import { exactPatterns, MARTS, REPLICATED_TABLES, runMarts, runReplicate } from '@etl/core';
import { MysqlReplicaTarget, MysqlWarehouse, PostgresReplicaSource, withMysql } from '@etl/connectors';
import { throwawayDatabases } from '@etl/connectors/testing';
import { seedShop, shopOfSize, type BenchCase } from '../case.js';

export const marts: BenchCase = {
  name: 'marts',
  description: 'etl marts: each mart built, tested and swapped vs its bare SELECT … GROUP BY',
  async run({ servers, size, log }) {
    const orders = size ?? 1_000_000;
    const dbs = throwawayDatabases(servers, 'etl_bench');
    const now = () => performance.now();
    try {
      log(`marts: seeding ${orders.toLocaleString('en-US')} orders and replicating them (not timed)`);
      await seedShop(dbs.pg, shopOfSize(orders));
      await runReplicate(
        new PostgresReplicaSource(dbs.pg),
        new MysqlReplicaTarget(dbs.mysql),
        { tables: exactPatterns(REPLICATED_TABLES), mode: 'full', concurrency: 2, deletes: true },
        { now },
      );
      await withMysql(dbs.mysql, (c) =>
        c.query('ANALYZE TABLE users, products, productcategories, orders, orderdetails'),
      );

      const warehouse = new MysqlWarehouse(dbs.mysql);
      const notes: string[] = [];
      let oursSeconds = 0;
      let bareSeconds = 0;
      let rows = 0;
      for (const mart of MARTS) {
        log(`marts: ${mart.name}`);
        // Warm both paths once so neither pays for a cold buffer pool alone.
        await withMysql(dbs.mysql, (c) => c.query(mart.select));
        const bareStarted = now();
        const [result] = await withMysql(dbs.mysql, (c) => c.query(mart.select));
        const bare = (now() - bareStarted) / 1000;
        const built = await runMarts(warehouse, [mart], { now });
        const ours = built.marts[0]?.buildSeconds ?? built.seconds;
        const tests = built.marts[0]?.testSeconds ?? 0;
        const n = Array.isArray(result) ? result.length : 0;
        oursSeconds += ours;
        bareSeconds += bare;
        rows += n;
        notes.push(
          `${mart.name}: ${n.toLocaleString('en-US')} rows, build ${ours.toFixed(2)} s vs bare query ` +
            `${bare.toFixed(2)} s = ${(ours / bare).toFixed(2)}× (goal ≤ 1.2×); data tests ${tests.toFixed(2)} s more`,
        );
      }
      return {
        unit: 'mart rows',
        goal: 1 / 1.2,
        ours: {
          label: 'etl marts: stage + INSERT … SELECT + RENAME (data tests reported apart), all four marts',
          count: rows,
          seconds: oursSeconds,
        },
        limit: {
          label: 'the same four SELECT … GROUP BY queries, rows fetched by a client',
          count: rows,
          seconds: bareSeconds,
        },
        notes,
      };
    } finally {
      await dbs.drop();
    }
  },
};
