/**
 * `etl produce` then `etl stream` of 1,000,000 events, against a consume-only drain of the
 * same topic by the same Kafka client (no validation, no PostgreSQL) in the same run.
 */
import { runProduce, runStream } from '@etl/core';
import { KafkaEventSink, KafkaEventSource, PostgresEventStore } from '@etl/connectors';
import { throwawayDatabases } from '@etl/connectors/testing';
import { seedShop, type BenchCase } from '../case.js';

export const stream: BenchCase = {
  name: 'stream',
  description: 'etl stream: 1M events drained into PostgreSQL vs a consume-only drain of the same topic by the same client',
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
      const produced = await runProduce(sink, store, { topic: dbs.topic, partitions: 3, count: events, follow: false, rate: undefined, seed: 1 }, {
        now,
        sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
        stopped: () => false,
      });
      await sink.close();

      log('stream: etl stream (drain into PostgreSQL)');
      const drained = await runStream(new KafkaEventSource({ brokers }), store, { topic: dbs.topic, group: 'bench-etl', follow: false }, { now });
      await store.close();

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
      return {
        unit: 'events',
        goal: 0.5,
        ours: { label: 'etl stream: validate + one INSERT and one offset update per batch, in one transaction', count: drained.records, seconds: drained.seconds },
        limit: { label: 'kafkajs consume-only drain of the same topic, same client settings', count: seen, seconds: consumeSeconds },
        notes: [
          `produce: ${produced.events.toLocaleString('en-US')} events in ${produced.seconds.toFixed(1)} s = ${Math.round(produced.eventsPerSecond).toLocaleString('en-US')} events/s (idempotent producer, acks=all)`,
          `stored ${drained.inserted.toLocaleString('en-US')} events in ${drained.batches} batches; peak RSS of the bench process ${peak.toFixed(0)} MB`,
        ],
      };
    } finally {
      await dbs.drop();
    }
  },
};
