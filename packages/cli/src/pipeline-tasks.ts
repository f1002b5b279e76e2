/**
 * What each pipeline task does: the same jobs the single commands run, wired to the same
 * connectors, without their UI.
 */
import {
  KafkaEventSink,
  KafkaEventSource,
  MysqlReplicaTarget,
  MysqlSchemaTarget,
  MysqlWarehouse,
  PostgresEventStore,
  PostgresReplicaSource,
  PostgresSchemaTarget,
  PostgresSeedStore,
} from '@etl/connectors';
import {
  DataCheckError,
  MARTS,
  REPLICATED_TABLES,
  runInit,
  runMarts,
  runProduce,
  runReplicate,
  runSeed,
  runStream,
  runVerify,
  type EtlConfig,
  type SeedOptions,
  type TaskResult,
} from '@etl/core';

export interface PipelineSettings {
  readonly config: EtlConfig;
  readonly seed: SeedOptions;
  readonly events: number;
  readonly group: string;
  readonly log: (line: string) => void;
}

const now = () => performance.now();

export function pipelineWork({ config, seed, events, group, log }: PipelineSettings): Record<string, () => Promise<TaskResult>> {
  const kafka = { brokers: config.kafka.brokers, retries: 3, log };
  return {
    init: async () => {
      const r = await runInit([new PostgresSchemaTarget(config.pg), new MysqlSchemaTarget(config.mysql)]);
      return { rows: 0, message: r.changed ? 'schemas migrated' : 'schemas already up to date' };
    },
    seed: async () => {
      const store = new PostgresSeedStore(config.pg);
      try {
        const r = await runSeed(store, seed, { now });
        return { rows: r.tables.reduce((n, t) => n + t.added, 0), message: r.changed ? `seed ${r.seed}` : 'nothing to add' };
      } finally {
        await store.close();
      }
    },
    produce: async () => {
      const store = new PostgresEventStore(config.pg);
      const sink = new KafkaEventSink(kafka);
      try {
        const r = await runProduce(sink, store, { topic: config.topic, partitions: 3, count: events, follow: false, rate: undefined, seed: seed.seed }, {
          now,
          sleep: (ms) => new Promise((res) => setTimeout(res, ms)),
          stopped: () => false,
        });
        return { rows: r.events, message: `${r.events} events to ${r.topic}` };
      } finally {
        await sink.close();
        await store.close();
      }
    },
    stream: async () => {
      const store = new PostgresEventStore(config.pg);
      const source = new KafkaEventSource(kafka);
      try {
        const r = await runStream(source, store, { topic: config.topic, group, follow: false }, { now });
        return { rows: r.inserted, message: `${r.inserted} stored, ${r.deadLettered} to the DLQ` };
      } finally {
        await source.stop();
        await store.close();
      }
    },
    replicate: async () => {
      const tables = REPLICATED_TABLES.filter((t) => t !== 'kafka_events');
      const r = await runReplicate(new PostgresReplicaSource(config.pg), new MysqlReplicaTarget(config.mysql), { tables, mode: undefined, concurrency: 2, masks: [], deletes: true }, { now });
      return { rows: r.tables.reduce((n, t) => n + t.rows, 0), message: r.tables.map((t) => `${t.table} ${t.mode}`).join(', ') };
    },
    'replicate-events': async () => {
      const r = await runReplicate(new PostgresReplicaSource(config.pg), new MysqlReplicaTarget(config.mysql), { tables: ['kafka_events'], mode: undefined, concurrency: 1, masks: [], deletes: true }, { now });
      return { rows: r.tables.reduce((n, t) => n + t.rows, 0), message: r.tables.map((t) => `${t.table} ${t.mode}`).join(', ') };
    },
    marts: async () => {
      const r = await runMarts(new MysqlWarehouse(config.mysql), MARTS, { now });
      return { rows: r.marts.reduce((n, m) => n + m.rows, 0), message: `${r.marts.length} marts, all tests passed` };
    },
    verify: async () => {
      const target = new MysqlReplicaTarget(config.mysql);
      await target.prepare();
      const r = await runVerify(new PostgresReplicaSource(config.pg), target, [...REPLICATED_TABLES], {
        now,
        masksOf: async (table) => (await target.state(table))?.masked ?? [],
      });
      if (!r.equal) {
        throw new DataCheckError(`replicas differ: ${r.tables.filter((t) => !t.equal).map((t) => t.table).join(', ')}`, { hint: 'Run `etl verify` for the differing keys.' });
      }
      return { rows: r.tables.reduce((n, t) => n + t.sourceRows, 0), message: 'all replicas equal' };
    },
  };
}
