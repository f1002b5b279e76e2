/**
 * `etl produce` then `etl stream` of 1,000,000 events, against a consume-only drain of the
 * same topic by the same Kafka client (no validation, no PostgreSQL) in the same run. Also
 * measures PostgreSQL alone storing the same rows (psql \copy from files into an identical
 * empty table, one session per partition): no drain can be faster than that on this machine.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runProduce, type DatabaseEndpoint, type StreamReport } from '@etl/core';
import { KafkaEventSink, KafkaEventSource, PostgresEventStore, withPostgres } from '@etl/connectors';
import { throwawayDatabases } from '@etl/connectors/testing';
import { rate, seedShop, type BenchCase, type Measurement } from '../case.js';
import { runEtl } from '@etl/cli/testing';
import { psql } from '../shell.js';

const PARTITIONS = 3;
const COLUMNS =
  'topic, partition, "offset", event_id, event_type, user_id, occurred_at, page_url, ip_address, product_id, payload';

/** psql \copy of the rows etl stored into an identical table (keys, index, trigger), one session per partition. */
async function postgresAlone(db: DatabaseEndpoint): Promise<Measurement> {
  const dir = mkdtempSync(join(tmpdir(), 'etl-bench-'));
  try {
    await withPostgres(db, async (c) => {
      await c.query('CREATE TABLE kafka_events_alone (LIKE kafka_events INCLUDING ALL)');
      await c.query(
        'CREATE TRIGGER alone_touch BEFORE INSERT OR UPDATE ON kafka_events_alone FOR EACH ROW EXECUTE FUNCTION ' +
          'etl_touch_updated_at()',
      );
    });
    const files = Array.from({ length: PARTITIONS }, (_, p) => join(dir, `p${p}.tsv`));
    for (const [p, file] of files.entries())
      await psql(db, `\\copy (SELECT ${COLUMNS} FROM kafka_events WHERE partition = ${p}) TO '${file}'`);
    await withPostgres(db, (c) => c.query('CHECKPOINT'));
    const started = performance.now();
    await Promise.all(files.map((file) => psql(db, `\\copy kafka_events_alone (${COLUMNS}) FROM '${file}'`)));
    const seconds = (performance.now() - started) / 1000;
    const count = await withPostgres(db, async (c) =>
      Number((await c.query<{ n: string }>('SELECT count(*) AS n FROM kafka_events_alone')).rows[0]?.n),
    );
    return {
      label: 'PostgreSQL alone: psql \\copy of the same rows from files, one session per partition',
      count,
      seconds,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const stream: BenchCase = {
  name: 'stream',
  description:
    'etl stream: 1M events drained into PostgreSQL vs a consume-only drain of the same topic by the same client',
  async run({ servers, size, log }) {
    const events = size ?? 1_000_000;
    const dbs = throwawayDatabases(servers, 'etl_bench');
    const now = () => performance.now();
    const brokers = servers.kafkaBrokers;
    try {
      await seedShop(dbs.pg, { users: 10_000, products: 1_000, orders: 0 });

      log(`stream: producing ${events.toLocaleString('en-US')} events`);
      const store = new PostgresEventStore(dbs.pg);
      const sink = new KafkaEventSink({ brokers });
      const produced = await runProduce(
        sink,
        store,
        { topic: dbs.topic, partitions: 3, count: events, follow: false, rate: undefined, seed: 1 },
        {
          now,
          sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
          stopped: () => false,
        },
      );
      await sink.close();

      await store.close();

      // The command itself, in its own process, as a user runs it; its report times the drain
      // (the CLI's start-up is printed apart).
      log('stream: etl stream --json (drain into PostgreSQL)');
      const cli = await runEtl(['stream', '--json'], {
        env: {
          ETL_PG_URL: dbs.pg.url,
          ETL_MYSQL_URL: dbs.mysql.url,
          ETL_KAFKA_BROKERS: brokers.join(','),
          ETL_KAFKA_TOPIC: dbs.topic,
          ETL_STREAM_GROUP: 'bench-etl',
        },
        timeoutMs: 30 * 60_000,
      });
      if (cli.code !== 0)
        throw new Error(`etl stream exited ${cli.code}: ${cli.stderr.trim().split('\n').pop() ?? ''}`);
      const drained = JSON.parse(cli.stdout) as StreamReport;

      log('stream: consume-only drain of the same topic');
      const source = new KafkaEventSource({ brokers });
      let seen = 0;
      const consumeStarted = now();
      await source.consume({
        topic: dbs.topic,
        group: 'bench-consume-only',
        onAssign: async () => new Map(),
        onBatch: async (batch) => {
          seen += batch.records.length;
          if (seen >= events) void source.stop();
          return undefined;
        },
      });
      const consumeSeconds = (now() - consumeStarted) / 1000;
      const peak = process.resourceUsage().maxRSS / 1024;

      log('stream: PostgreSQL alone, the same rows from files');
      const alone = await postgresAlone(dbs.pg);
      const ours = {
        label: 'etl stream: validate, then one COPY and one offset update per batch, in one transaction',
        count: drained.records,
        seconds: drained.seconds,
      };
      const limit = {
        label: 'kafkajs consume-only drain of the same topic, same client settings',
        count: seen,
        seconds: consumeSeconds,
      };
      const events_s = (m: Measurement) => `${Math.round(rate(m)).toLocaleString('en-US')} events/s`;
      return {
        unit: 'events',
        goal: 0.5,
        ours,
        limit,
        notes: [
          `${alone.label}: ${alone.count.toLocaleString('en-US')} rows in ${alone.seconds.toFixed(2)} s = ` +
            `${events_s(alone)} = ${(rate(alone) / rate(limit)).toFixed(2)}× the consume-only drain; ` +
            `etl stream runs at ${(rate(ours) / rate(alone)).toFixed(2)}× of PostgreSQL alone`,
          `produce: ${produced.events.toLocaleString('en-US')} events in ${produced.seconds.toFixed(1)} s = ` +
            `${Math.round(produced.eventsPerSecond).toLocaleString('en-US')} events/s (idempotent producer, acks=all)`,
          `etl stream stored ${drained.inserted.toLocaleString('en-US')} events in ${drained.batches} batches; ` +
            `the whole command took ${(cli.ms / 1000).toFixed(2)} s with its start-up`,
          `peak RSS of the bench process (producer, consume-only drain) ${peak.toFixed(0)} MB`,
        ],
      };
    } finally {
      await dbs.drop();
    }
  },
};
