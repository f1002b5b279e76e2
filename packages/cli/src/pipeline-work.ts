/**
 * What each pipeline task does: the same jobs the single commands run, on the same adapters,
 * without their UI. Keyed by task name, so a task without work is a compile error.
 */
import {
  exactPatterns,
  REPLICATED_TABLES,
  runInit,
  runMarts,
  runProduce,
  runReplicate,
  runSeed,
  runStream,
  runVerify,
  runApply,
  runCapture,
  slotName,
  verifyFailedError,
  type MartsProject,
  type PipelineWork,
  type SeedOptions,
  type TableName,
  type TaskResult,
} from '@etl/core';
import { using, type Adapters } from './adapters.js';

export interface PipelineSettings {
  /** The marts task builds this project's models (read when it runs). */
  readonly project: () => MartsProject;
  readonly seed: SeedOptions;
  readonly events: number;
  readonly group: string;
  /** Topics of a first capture are <prefix>.<table> (ETL_CDC_TOPIC_PREFIX). */
  readonly cdcTopicPrefix: string;
  /** The consumer group of cdc-apply (ETL_CDC_GROUP). */
  readonly cdcGroup: string;
}

const now = () => performance.now();
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function pipelineWork(adapters: Adapters, settings: PipelineSettings): PipelineWork {
  const { seed, events, group } = settings;
  const { config } = adapters;
  // No mask request: every replica keeps the masks it was made with (see `etl replicate --mask`).
  const replicate = async (tables: readonly TableName[], concurrency: number): Promise<TaskResult> => {
    const r = await runReplicate(
      adapters.replicaSource(),
      adapters.replicaTarget(),
      { tables: exactPatterns(tables), mode: undefined, concurrency, deletes: true },
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
        const r = await runSeed(store, seed, { now, spool: () => adapters.spool() });
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
      const project = settings.project();
      const r = await runMarts(adapters.warehouse(), project, project.models, {
        now,
        concurrency: 2,
      });
      return { rows: r.marts.reduce((n, m) => n + m.rows, 0), message: `${r.marts.length} marts, all tests passed` };
    },
    'cdc-capture': () =>
      using(adapters.changeSink(), async (sink) => {
        const r = await runCapture(
          {
            log: adapters.changeLog(),
            sink,
            source: adapters.replicaSource(),
            target: adapters.replicaTarget(),
            store: adapters.cdcStore(),
          },
          {
            tables: undefined,
            follow: false,
            topicPrefix: settings.cdcTopicPrefix,
            partitions: 3,
            slot: slotName(config.pg.database),
          },
          { now },
        );
        const snapshot = r.snapshots.length > 0 ? `, snapshot of ${r.snapshots.length} tables` : '';
        return { rows: r.changes, message: `${r.changes} changes to Kafka${snapshot}, slot at ${r.confirmedLsn}` };
      }),
    'cdc-apply': async () => {
      const source = adapters.eventSource();
      try {
        const r = await runApply(source, adapters.cdcStore(), { group: settings.cdcGroup, follow: false }, { now });
        return { rows: r.applied, message: `${r.applied} changes applied, ${r.skipped} already applied` };
      } finally {
        await source.stop();
      }
    },
    verify: async () => {
      const r = await runVerify(adapters.replicaSource(), adapters.replicaTarget(), exactPatterns(REPLICATED_TABLES), {
        now,
      });
      if (!r.equal) throw verifyFailedError(r, 'Run `etl verify` for the differing keys, then `etl replicate`.');
      return { rows: r.tables.reduce((n, t) => n + t.sourceRows, 0), message: 'all replicas equal' };
    },
  };
}
