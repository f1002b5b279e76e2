/**
 * `etl cdc`: row changes (updates, deletes and inserts on orders and orderdetails, in
 * transactions of 1 to 100 rows) committed in PostgreSQL, then captured and applied. Capture
 * is measured against PostgreSQL decoding the same WAL alone (`pg_recvlogical` of the same
 * range into /dev/null); apply against MySQL applying the same final changes alone (the same
 * upserts and deletes, in the same batches, with no Kafka and no offsets).
 */
import {
  applyChanges,
  KafkaChangeSink,
  KafkaEventSource,
  MysqlCdcStore,
  MysqlReplicaTarget,
  PostgresChangeLog,
  PostgresReplicaSource,
  connectMysql,
  createKafka,
  withPostgres,
} from '@etl/connectors';
import { throwawayDatabases, type ThrowawayDatabases } from '@etl/connectors/testing';
import { decodeChange, exactPatterns, runApply, runCapture, slotName, type Change } from '@etl/core';
import { seedShop, shopOfSize, type BenchCase, type BenchContext, type BenchResult } from '../case.js';
import { sh } from '../shell.js';

const TABLES = ['orders', 'orderdetails'];
const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

/** Commits about `n` row changes in transactions of 1–100 rows; returns how many rows changed. */
export function changesSql(n: number, orders: number): string {
  return `DO $$
DECLARE i int := 0; k int; done bigint := 0; rc bigint; at int;
BEGIN
  WHILE done < ${n} LOOP
    k := 1 + (i * 7) % 100;
    at := 1 + (i * 7919) % ${Math.max(1, orders - 100)};
    IF i % 10 < 6 THEN
      UPDATE orders SET status = (ARRAY['Pending','Shipped','Completed'])[1 + i % 3]
       WHERE order_id BETWEEN at AND at + k - 1;
    ELSIF i % 10 < 8 THEN
      UPDATE orderdetails SET quantity = quantity + 1, total_price = (quantity + 1) * price_per_unit
       WHERE order_detail_id BETWEEN at AND at + k - 1;
    ELSIF i % 10 = 8 THEN
      DELETE FROM orderdetails WHERE order_detail_id BETWEEN at * 3 AND at * 3 + k - 1;
    ELSE
      INSERT INTO orderdetails (order_detail_id, order_id, product_id, quantity, price_per_unit, total_price)
      SELECT 1000000000 + i * 100 + g, at, 1, 1, 1.00, 1.00 FROM generate_series(1, k) g;
    END IF;
    GET DIAGNOSTICS rc = ROW_COUNT;
    done := done + rc;
    i := i + 1;
    COMMIT;
  END LOOP;
END $$`;
}

export const cdc: BenchCase = {
  name: 'cdc',
  description:
    'etl cdc capture vs pg_recvlogical of the same WAL; etl cdc apply vs the same upserts and deletes sent ' +
    'straight to MySQL',
  async run({ servers, size, log }) {
    const target = size ?? 500_000;
    const orders = 200_000;
    const dbs = throwawayDatabases(servers, 'etl_bench');
    try {
      return await cdcAgainstLimits({
        name: 'cdc',
        servers,
        log,
        dbs,
        tables: TABLES,
        load: async () => {
          log(`cdc: seeding ${orders.toLocaleString('en-US')} orders, snapshot into MySQL (not timed)`);
          await seedShop(dbs.pg, shopOfSize(orders));
        },
        changes: {
          what: `${target.toLocaleString('en-US')} row changes in transactions of 1–100 rows`,
          sql: changesSql(target, orders),
        },
      });
    } finally {
      await dbs.drop();
    }
  },
};

/**
 * A snapshot of the tables (not timed), the changes committed (not timed), then capture against
 * pg_recvlogical of the same WAL range and apply against the same statements sent straight to
 * MySQL: the measurement every cdc case shares.
 */
export async function cdcAgainstLimits(run: {
  readonly name: string;
  readonly servers: BenchContext['servers'];
  readonly log: BenchContext['log'];
  readonly dbs: ThrowawayDatabases;
  readonly tables: readonly string[];
  /** Fills the source tables (not timed). */
  readonly load: () => Promise<void>;
  readonly changes: { readonly what: string; readonly sql: string };
}): Promise<BenchResult> {
  const { servers, log, dbs, tables } = run;
  const now = () => performance.now();
  const kafka = { brokers: servers.kafkaBrokers, retries: 5 };
  const sink = new KafkaChangeSink(kafka);
  const source = new KafkaEventSource(kafka);
  const store = new MysqlCdcStore(dbs.mysql);
  const deps = {
    log: new PostgresChangeLog(dbs.pg),
    sink,
    source: new PostgresReplicaSource(dbs.pg),
    target: new MysqlReplicaTarget(dbs.mysql),
    store,
  };
  const options = {
    tables: exactPatterns(tables),
    follow: false,
    topicPrefix: dbs.topic,
    partitions: 3,
    slot: slotName(dbs.pg.database),
  };
  try {
    await run.load();
    const snapshot = await runCapture(deps, options, { now });
    log(`${run.name}: snapshot of ${snapshot.snapshots.map((t) => `${t.table} ${fmt(t.rows)}`).join(', ')} rows`);
    const limitSlot = `${slotName(dbs.pg.database).slice(0, 50)}_limit`;
    await withPostgres(dbs.pg, (c) =>
      c.query(`SELECT pg_create_logical_replication_slot($1, 'pgoutput')`, [limitSlot]),
    );

    log(`${run.name}: committing ${run.changes.what} (not timed)`);
    await withPostgres(dbs.pg, (c) => c.query(run.changes.sql));
    const end = await withPostgres(
      dbs.pg,
      async (c) => (await c.query<{ l: string }>('SELECT pg_current_wal_lsn()::text AS l')).rows[0]?.l ?? '',
    );

    log(`${run.name}: pg_recvlogical of the same WAL range into /dev/null`);
    const decodeStarted = now();
    await sh(
      `pg_recvlogical -h ${dbs.pg.host} -p ${dbs.pg.port} -U ${dbs.pg.user} -d ${dbs.pg.database} ` +
        `--slot ${limitSlot} --start --endpos ${end} --no-loop -o proto_version=1 ` +
        `-o publication_names=etl_cdc -f /dev/null`,
      { PGPASSWORD: dbs.pg.password ?? '' },
    );
    const decodeSeconds = (now() - decodeStarted) / 1000;

    log(`${run.name}: etl cdc capture (drain)`);
    const captured = await runCapture(deps, options, { now });

    // The limit applies to copies of the replicas as the snapshot left them, in a database of its own.
    const limitDb = { ...dbs.mysql, database: `${dbs.mysql.database}_limit` };
    const admin = await connectMysql(dbs.mysql);
    try {
      await admin.query(`CREATE DATABASE \`${limitDb.database}\``);
      for (const t of tables) {
        await admin.query(`CREATE TABLE \`${limitDb.database}\`.\`${t}\` LIKE \`${t}\``);
        await admin.query(`INSERT INTO \`${limitDb.database}\`.\`${t}\` SELECT * FROM \`${t}\``);
      }
    } finally {
      await admin.end();
    }

    log(`${run.name}: etl cdc apply (drain)`);
    const applied = await runApply(source, store, { group: `${dbs.topic}_apply`, follow: false }, { now });

    log(`${run.name}: the same changes, batch by batch, straight into MySQL`);
    const recorded = new Map((await store.state())?.tables.map((t) => [t.table, t]));
    const batches = await readBatches(
      servers.kafkaBrokers,
      tables.map((t) => `${dbs.topic}.${t}`),
    );
    const c = await connectMysql(limitDb);
    let mysqlSeconds = 0;
    try {
      const started = now();
      for (const batch of batches) {
        await c.query('START TRANSACTION');
        await applyChanges(c, batch, recorded);
        await c.query('COMMIT');
      }
      mysqlSeconds = (now() - started) / 1000;
    } finally {
      await c.query(`DROP DATABASE \`${limitDb.database}\``).catch(() => {});
      await c.end();
    }
    const applyRatio = mysqlSeconds / applied.seconds;
    return {
      unit: 'changes',
      goal: 0.5,
      ours: {
        label: 'etl cdc capture (pgoutput → envelope → Kafka, slot acknowledged after Kafka)',
        count: captured.changes,
        seconds: captured.seconds,
      },
      limit: {
        label: 'pg_recvlogical of the same WAL range to /dev/null',
        count: captured.changes,
        seconds: decodeSeconds,
      },
      notes: [
        `apply: etl cdc apply ${fmt(applied.records)} records in ${applied.seconds.toFixed(2)} s ` +
          `(${fmt(applied.records / applied.seconds)}/s, ${applied.batches} batches); ` +
          `the same statements straight to MySQL ${mysqlSeconds.toFixed(2)} s: ${applyRatio.toFixed(2)}× ` +
          `(goal ≥ 0.5×)`,
        `capture: ${captured.transactions.toLocaleString('en-US')} transactions; the limit decodes the same range ` +
          `with the same plugin and publication`,
      ],
    };
  } finally {
    await sink.close();
    await source.stop();
  }
}

/** Every change of the topics, grouped the way apply met them: per partition, in batches of up to 500. */
async function readBatches(brokers: readonly string[], topics: readonly string[]): Promise<Change[][]> {
  const kafka = createKafka({ brokers });
  const admin = kafka.admin();
  await admin.connect();
  let total = 0;
  for (const topic of topics) {
    for (const o of await admin.fetchTopicOffsets(topic)) total += Number(o.high) - Number(o.low);
  }
  await admin.disconnect();
  const byPartition = new Map<string, Change[]>();
  const consumer = kafka.consumer({ groupId: `bench_reader_${Date.now()}`, maxBytesPerPartition: 2 * 1024 * 1024 });
  await consumer.connect();
  await consumer.subscribe({ topics: [...topics], fromBeginning: true });
  let seen = 0;
  await new Promise<void>((resolve) => {
    void consumer.run({
      eachBatch: async ({ batch }) => {
        const id = `${batch.topic}:${batch.partition}`;
        const list = byPartition.get(id) ?? [];
        for (const m of batch.messages) {
          const change = decodeChange(m.value);
          if (change !== undefined) list.push(change);
        }
        byPartition.set(id, list);
        seen += batch.messages.length;
        if (seen >= total) resolve();
      },
    });
  });
  await consumer.disconnect();
  const batches: Change[][] = [];
  for (const list of byPartition.values()) {
    for (let i = 0; i < list.length; i += 500) batches.push(list.slice(i, i + 500));
  }
  return batches;
}
