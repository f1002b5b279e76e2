/**
 * `etl cdc apply`: Kafka → the MySQL replicas, exactly once in effect. Each batch of a
 * partition is one MySQL transaction holding its upserts and deletes together with the
 * partition's next offset and last applied source position (CdcStore.apply). Records at or
 * before that position (a replay, a capture that re-sent after a restart) and records of
 * another epoch are dropped there, under the partition's row lock, which also fences a
 * consumer that lost the partition in a rebalance.
 */
import { DataCheckError, UsageError } from '../errors.js';
import type { CdcState, CdcStore, ChangeSource, KafkaRecord, PartitionOffsets, RecordBatch } from '../ports/index.js';
import { parsePartitionId, partitionId } from '../ports/index.js';
import {
  PartitionCursors,
  batchLag,
  drained,
  pollStoredOffsets,
  writeWithRetries,
  type StreamRun,
} from '../stream/job.js';
import type { CapturedTable } from './captured.js';
import { decodeChange, type Change } from './change.js';
import type { Lsn } from './pgoutput.js';

export interface ApplyOptions {
  readonly group: string;
  readonly follow: boolean;
}

export interface ApplyReport {
  readonly group: string;
  readonly mode: 'drain' | 'follow';
  readonly epoch: string;
  readonly batches: number;
  readonly records: number;
  readonly applied: number;
  readonly skipped: number;
  readonly seconds: number;
  readonly changesPerSecond: number;
  readonly lag: string;
}

export type ApplyProgress = {
  readonly records: number;
  readonly applied: number;
  readonly changesPerSecond: number;
  readonly lag: string;
};

/** One applied batch, for metrics: bounded labels only (topic, partition, table). */
export interface ApplyBatchStats {
  readonly topic: string;
  readonly partition: number;
  readonly changes: number;
  readonly applied: number;
  /** Changes applied per replica table. */
  readonly tables: Readonly<Record<string, number>>;
  readonly seconds: number;
  readonly lag?: number;
  /** The commit time of each change of the batch (ISO), now visible in MySQL. */
  readonly committed: readonly string[];
}

export type ApplyRun = Omit<StreamRun, 'onProgress' | 'onBatch'> & {
  readonly onProgress?: (p: ApplyProgress) => void;
  readonly onBatch?: (b: ApplyBatchStats) => void;
};

/** The changes of a batch; a record that is not a change envelope stops the apply (exit 4). */
export function decodeBatch(batch: RecordBatch): { offset: string; change: Change }[] {
  return batch.records.map((r: KafkaRecord) => {
    const change = decodeChange(r.value);
    if (change === undefined) {
      throw new DataCheckError(
        `${batch.topic} partition ${batch.partition} offset ${r.offset} is not an etl change record`,
        { hint: 'Only etl cdc capture should write to its topics; remove the record or reset the capture.' },
      );
    }
    return { offset: r.offset, change };
  });
}

/**
 * The captured tables as recorded in MySQL, read again when a record names a column (or a
 * table) they lack: the capture records a column it added before it sends the first change
 * that carries it, so a column still unknown after that is not etl's, and stops the apply.
 * Records from before a table's latest snapshot (etl cdc resnapshot) are dropped by the store,
 * so the shape they had is not checked.
 */
class RecordedTables {
  private tables: ReadonlyMap<string, CapturedTable> = new Map();
  private columns: ReadonlyMap<string, ReadonlySet<string>> = new Map();
  private snapshots: ReadonlyMap<string, Lsn> = new Map();

  constructor(
    private readonly store: Pick<CdcStore, 'state' | 'tables'>,
    private state: CdcState,
  ) {
    this.take(state);
  }

  private take(state: CdcState): void {
    this.state = state;
    this.tables = new Map(state.tables.map((t) => [t.table, t]));
    this.columns = new Map(state.tables.map((t) => [t.table, new Set(t.columns.map((c) => c.name))]));
  }

  private unknown(records: readonly { change: Change }[]): string | undefined {
    for (const { change } of records) {
      if (change.epoch !== this.state.epoch || change.lsn < (this.snapshots.get(change.table) ?? 0n)) continue;
      const columns = this.columns.get(change.table);
      if (columns === undefined) return `table ${change.table}`;
      for (const name of Object.keys(change.after ?? {})) {
        if (!columns.has(name)) return `column ${name} of ${change.table}`;
      }
    }
    return undefined;
  }

  async covering(
    records: readonly { offset: string; change: Change }[],
    batch: Pick<RecordBatch, 'topic' | 'partition'>,
  ): Promise<ReadonlyMap<string, CapturedTable>> {
    if (this.unknown(records) === undefined) return this.tables;
    const now = await this.store.state();
    if (now !== undefined) this.take(now);
    this.snapshots = new Map(
      (await this.store.tables()).filter((t) => t.epoch === this.state.epoch).map((t) => [t.table, t.snapshotLsn]),
    );
    const missing = this.unknown(records);
    if (missing !== undefined) {
      throw new DataCheckError(
        `${batch.topic} partition ${batch.partition} carries a change of ${missing}, which the capture did not record`,
        { hint: 'Only etl cdc capture should write to its topics; remove the record or reset the capture.' },
      );
    }
    return this.tables;
  }
}

const lagOf = (ends: ReadonlyMap<string, string>, stored: ReadonlyMap<string, string>): bigint =>
  [...ends].reduce((n, [id, end]) => {
    const lag = BigInt(end) - BigInt(stored.get(id) ?? '0');
    return n + (lag > 0n ? lag : 0n);
  }, 0n);

export async function runApply(
  source: ChangeSource,
  store: CdcStore,
  options: ApplyOptions,
  run: ApplyRun,
): Promise<ApplyReport> {
  const started = run.now();
  await store.prepare();
  const state = await store.state();
  if (state === undefined) {
    throw new UsageError('nothing is captured yet, so there is nothing to apply', {
      hint: 'Run etl cdc capture first.',
    });
  }
  const topics = state.tables.map((t) => t.topic);
  const recorded = new RecordedTables(store, state);
  const earliest = new Map<string, PartitionOffsets>();
  const ends = new Map<string, string>();
  for (const topic of topics) {
    for (const [p, o] of await source.topicOffsets(topic)) {
      earliest.set(partitionId(topic, p), o);
      ends.set(partitionId(topic, p), o.end);
    }
  }
  const storedOffsets = async (): Promise<Map<string, string>> =>
    new Map((await store.partitions()).map((p) => [partitionId(p.topic, p.partition), p.nextOffset]));
  const stored = await storedOffsets();
  const tally = { batches: 0, records: 0, applied: 0, skipped: 0 };
  const report = async (): Promise<ApplyReport> => {
    const seconds = (run.now() - started) / 1000;
    const now = await storedOffsets();
    const endsNow = new Map<string, string>();
    for (const topic of topics) {
      for (const [p, o] of await source.topicOffsets(topic)) endsNow.set(partitionId(topic, p), o.end);
    }
    return {
      group: options.group,
      mode: options.follow ? 'follow' : 'drain',
      epoch: state.epoch,
      ...tally,
      seconds,
      changesPerSecond: seconds > 0 ? tally.records / seconds : 0,
      lag: lagOf(endsNow, now).toString(),
    };
  };
  const isDrained = (): boolean => drained(ends, stored);
  if (!options.follow && isDrained()) return report();

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => (stopping ??= source.stop());
  const stopWhenDrained = (): void => {
    if (!options.follow && isDrained()) void stop();
  };
  let failure: { readonly error: unknown } | undefined;
  const cursors = new PartitionCursors(storedOffsets, earliest, async (id) => {
    const { topic, partition } = parsePartitionId(id);
    return (await source.topicOffsets(topic)).get(partition)?.earliest;
  });
  // Other members of the group apply other partitions: look at what is stored now and then.
  const cancelPoll = options.follow
    ? () => {}
    : pollStoredOffsets(storedOffsets, stored, stopWhenDrained, run.pollMs ?? 1000);
  try {
    await source.consumeTopics({
      topics,
      group: options.group,
      onAssign: async (ids) => {
        cursors.reset();
        const resumed = await cursors.resume(ids);
        run.onReady?.();
        return resumed;
      },
      onBatch: async (batch) => {
        if (failure !== undefined || batch.records.length === 0) return undefined;
        const id = partitionId(batch.topic, batch.partition);
        const admission = await cursors.admit(id, batch.records);
        if ('seek' in admission) return admission.seek;
        const last = batch.records[batch.records.length - 1];
        const nextOffset = (BigInt(last?.offset ?? '0') + 1n).toString();
        try {
          const records = decodeBatch({ ...batch, records: admission.records });
          const tables = await recorded.covering(records, batch);
          const begun = run.now();
          const written = await writeWithRetries(
            () => store.apply(batch.topic, batch.partition, records, nextOffset, tables),
            run,
            () => stopping !== undefined,
          );
          if (run.onBatch !== undefined) {
            const perTable: Record<string, number> = {};
            for (const r of records) perTable[r.change.table] = (perTable[r.change.table] ?? 0) + 1;
            const lag = batchLag(batch, nextOffset);
            run.onBatch({
              topic: batch.topic,
              partition: batch.partition,
              changes: records.length,
              applied: written.applied,
              tables: perTable,
              seconds: (run.now() - begun) / 1000,
              ...(lag === undefined ? {} : { lag }),
              committed: records.map((r) => r.change.committedAt),
            });
          }
          tally.batches++;
          tally.records += records.length;
          tally.applied += written.applied;
          tally.skipped += written.skipped;
          if (BigInt(nextOffset) > BigInt(stored.get(id) ?? '0')) stored.set(id, nextOffset);
          const seconds = (run.now() - started) / 1000;
          run.onProgress?.({
            records: tally.records,
            applied: tally.applied,
            changesPerSecond: seconds > 0 ? tally.records / seconds : 0,
            lag: lagOf(ends, stored).toString(),
          });
          stopWhenDrained();
        } catch (error) {
          failure ??= { error };
          void stop();
        }
        return undefined;
      },
    });
  } finally {
    cancelPoll();
  }
  if (failure !== undefined) throw failure.error;
  return report();
}
