/**
 * `etl marts` at the seed benchmark's size: each model of the built-in project built (CREATE
 * TABLE … AS SELECT into a stage + RENAME; its tests reported apart) next to its bare SELECT
 * fetched by a client, on the same data in the same run. Then an incremental model over
 * orderdetails: its full build, and its incremental build after 1% of the orders changed.
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DEMO_PROJECT_DIR,
  exactPatterns,
  REPLICATED_TABLES,
  renderTemplate,
  runMarts,
  runReplicate,
  type MartReport,
} from '@etl/core';
import { MysqlReplicaTarget, MysqlWarehouse, PostgresReplicaSource, withMysql } from '@etl/connectors';
import { throwawayDatabases } from '@etl/connectors/testing';
import { loadMartsProject } from '@etl/cli/marts-project';
import { seedShop, shopOfSize, type BenchCase } from '../case.js';

/**
 * Order lines with their order's status and date, merged by line when their order changes (the
 * shop changes a line with its order). Its watermark column is indexed, so MAX() is one lookup.
 */
const INCREMENTAL_MODEL = `{{ config(materialized='incremental', unique_key='order_detail_id',
                  indexes=[{'columns': ['order_updated_at']}]) }}
SELECT d.order_detail_id, d.order_id, d.product_id, d.quantity, d.total_price, o.status, o.order_date,
       o.updated_at AS order_updated_at
  FROM {{ source('orderdetails') }} d
  JOIN {{ source('orders') }} o ON o.order_id = d.order_id
{% if is_incremental() %}
 WHERE o.updated_at > (SELECT MAX(order_updated_at) FROM {{ this }})
{% endif %}
`;

export const marts: BenchCase = {
  name: 'marts',
  description:
    'etl marts: each model built, tested and swapped vs its bare SELECT; an incremental model vs its full build',
  async run({ servers, size, log }) {
    const orders = size ?? 1_000_000;
    const dbs = throwawayDatabases(servers, 'etl_bench');
    const now = () => performance.now();
    const scratch = mkdtempSync(join(tmpdir(), 'etl-bench-marts-'));
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
      const project = loadMartsProject(DEMO_PROJECT_DIR, process.cwd());
      const notes: string[] = [];
      let oursSeconds = 0;
      let bareSeconds = 0;
      let rows = 0;
      for (const model of project.models) {
        log(`marts: ${model.name}`);
        const select = renderTemplate(model.template, model.file, { ref: (n) => n, self: model.name });
        // Warm both paths once so neither pays for a cold buffer pool alone.
        await withMysql(dbs.mysql, (c) => c.query(select));
        const bareStarted = now();
        const [result] = await withMysql(dbs.mysql, (c) => c.query(select));
        const bare = (now() - bareStarted) / 1000;
        const built = await runMarts(warehouse, project, [model], { now });
        const ours = built.marts[0]?.buildSeconds ?? built.seconds;
        const tests = built.marts[0]?.testSeconds ?? 0;
        const n = Array.isArray(result) ? result.length : 0;
        oursSeconds += ours;
        bareSeconds += bare;
        rows += n;
        notes.push(
          `${model.name}: ${n.toLocaleString('en-US')} rows, build ${ours.toFixed(2)} s vs bare query ` +
            `${bare.toFixed(2)} s = ${(ours / bare).toFixed(2)}× (goal ≤ 1.1×); its tests ${tests.toFixed(2)} s more`,
        );
      }

      log('marts: an incremental model over orderdetails, whole then after 1% of orders changed');
      mkdirSync(join(scratch, 'models'));
      writeFileSync(join(scratch, 'models', 'order_lines.sql'), INCREMENTAL_MODEL);
      const own = loadMartsProject(scratch, process.cwd());
      const full = await runMarts(warehouse, own, own.models, { now, fullRefresh: true });
      await withMysql(dbs.mysql, (c) =>
        c.query(`UPDATE orders SET status = 'Shipped', updated_at = CURRENT_TIMESTAMP(6) + INTERVAL 1 SECOND
                  WHERE order_id % 100 = 0`),
      );
      const incremental = await runMarts(warehouse, own, own.models, { now });
      // The same share of orders, the newest ones (those a shop's statuses move): their lines lie
      // on a few pages. The spread 1% above touches nearly every page of orderdetails, which a
      // 128 MB buffer pool cannot hold at 1M orders: read back from the OS, not from memory.
      // And the index a user who filters a replica by its cursor column adds to it (etl replicate
      // keeps an index added to a replica): the new orders are found without reading them all.
      await withMysql(dbs.mysql, async (c) => {
        await c.query('CREATE INDEX orders_updated_at_user_idx ON orders (updated_at)');
        await c.query(`UPDATE orders SET status = 'Completed', updated_at = CURRENT_TIMESTAMP(6) + INTERVAL 2 SECOND
                        WHERE order_id > ${orders - Math.round(orders / 100)}`);
      });
      const recent = await runMarts(warehouse, own, own.models, { now });
      const f = full.marts[0];
      const describe = (label: string, i: MartReport | undefined, whole: number) =>
        i === undefined || f === undefined
          ? `${label}: not built`
          : `${label} ${i.seconds.toFixed(2)} s (${(i.mergedRows ?? 0).toLocaleString('en-US')} rows merged) = ` +
            `${((100 * i.seconds) / f.seconds).toFixed(1)}% of the full build (goal ≤ 5%): selecting the new rows ` +
            `${(i.buildSeconds - (i.mergeSeconds ?? 0)).toFixed(2)} s, testing them ${i.testSeconds.toFixed(2)} s, ` +
            `merging them ${(i.mergeSeconds ?? 0).toFixed(2)} s; the whole etl marts ${whole.toFixed(2)} s`;
      if (f !== undefined)
        notes.push(
          `order_lines (incremental): full build ${f.seconds.toFixed(2)} s (${f.rows.toLocaleString('en-US')} rows, ` +
            `the whole etl marts ${full.seconds.toFixed(2)} s); ` +
            describe('after 1% of orders changed, spread over all orders', incremental.marts[0], incremental.seconds) +
            '; ' +
            describe(
              'after the newest 1% of orders changed, orders.updated_at indexed',
              recent.marts[0],
              recent.seconds,
            ),
        );
      return {
        unit: 'mart rows',
        goal: 1 / 1.1,
        ours: {
          label: 'etl marts: stage (CREATE TABLE … AS SELECT) + RENAME (tests reported apart), the four demo models',
          count: rows,
          seconds: oursSeconds,
        },
        limit: {
          label: 'the same four SELECT queries, rows fetched by a client',
          count: rows,
          seconds: bareSeconds,
        },
        notes,
      };
    } finally {
      rmSync(scratch, { recursive: true, force: true });
      await dbs.drop();
    }
  },
};
