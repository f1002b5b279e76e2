/**
 * What each pipeline task does: the same jobs the single commands run, on the same adapters,
 * without their UI. Keyed by task name, so a task without work is a compile error.
 */
import {
  MARTS,
  REPLICATED_TABLES,
  runInit,
  runMarts,
  runProduce,
  runReplicate,
  runSeed,
  runStream,
  runVerify,
  verifyFailedError,
  type PipelineWork,
  type SeedOptions,
  type TableName,
  type TaskResult,
} from '@etl/core';
import { using, type Adapters } from './adapters.js';

export interface PipelineSettings {
  readonly seed: SeedOptions;
  readonly events: number;
  readonly group: string;
}

const now = () => performance.now();
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function pipelineWork(adapters: Adapters, { seed, events, group }: PipelineSettings): PipelineWork {
  const { config } = adapters;
  // No mask request: every replica keeps the masks it was made with (see `etl replicate --mask`).
  const replicate = async (tables: readonly TableName[], concurrency: number): Promise<TaskResult> => {
    const r = await runReplicate(
      adapters.replicaSource(),
      adapters.replicaTarget(),
      { tables, mode: undefined, concurrency, deletes: true },
      { now },
    );
    return {
      rows: r.tables.reduce((n, t) => n + t.rows, 0),
      message: r.tables.map((t) => `${t.table} ${t.mode}`).join(', '),
    };
  };
  return {
    init: async () => {
      const r = await runInit(adapters.schemaTargets());
      return { rows: 0, message: r.changed ? 'schemas migrated' : 'schemas already up to date' };
    },
    seed: () =>
      using(adapters.seedStore(), async (store) => {
        const r = await runSeed(store, seed, { now });
        return {
          rows: r.tables.reduce((n, t) => n + t.added, 0),
          message: r.changed ? `seed ${r.seed}` : 'nothing to add',
        };
      }),
    produce: () =>
      using(adapters.eventStore(), (store) =>
        using(adapters.eventSink(), async (sink) => {
          const options = {
            topic: config.topic,
            partitions: 3,
            count: events,
            follow: false,
            rate: undefined,
            seed: seed.seed,
          };
          const r = await runProduce(sink, store, options, { now, sleep, stopped: () => false });
          return { rows: r.events, message: `${r.events} events to ${r.topic}` };
        }),
      ),
    stream: () =>
      using(adapters.eventStore(), async (store) => {
        const source = adapters.eventSource();
        try {
          const r = await runStream(source, store, { topic: config.topic, group, follow: false }, { now });
          return { rows: r.inserted, message: `${r.inserted} stored, ${r.deadLettered} to the DLQ` };
        } finally {
          await source.stop();
        }
      }),
    replicate: () =>
      replicate(
        REPLICATED_TABLES.filter((t) => t !== 'kafka_events'),
        2,
      ),
    'replicate-events': () => replicate(['kafka_events'], 1),
    marts: async () => {
      const r = await runMarts(adapters.warehouse(), MARTS, { now });
      return { rows: r.marts.reduce((n, m) => n + m.rows, 0), message: `${r.marts.length} marts, all tests passed` };
    },
    verify: async () => {
      const r = await runVerify(adapters.replicaSource(), adapters.replicaTarget(), [...REPLICATED_TABLES], { now });
      if (!r.equal) throw verifyFailedError(r, 'Run `etl verify` for the differing keys, then `etl replicate`.');
      return { rows: r.tables.reduce((n, t) => n + t.sourceRows, 0), message: 'all replicas equal' };
    },
  };
}
