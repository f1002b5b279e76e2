/**
 * `etl stream`: Kafka → PostgreSQL, exactly once. Each Kafka batch becomes one PostgreSQL
 * transaction holding its valid events, its rejected records (dead letters, with the reason)
 * and the partition's next offset. On every assignment the consumer starts from the stored
 * offset; the keys (topic, partition, offset) and event_id make any replay harmless.
 */
import { storableReason, validateEvent, type AcceptedEvent } from './schema.js';

export interface KafkaRecord {
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
}

export interface RecordBatch {
  readonly topic: string;
  readonly partition: number;
  readonly records: readonly KafkaRecord[];
}

export interface EventRow {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly event: AcceptedEvent;
}

export interface DeadLetterRow {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly reason: string;
}

/** Splits a batch into storable events and dead letters. Pure; never throws on bad data. */
export function classifyBatch(batch: RecordBatch): { events: EventRow[]; deadLetters: DeadLetterRow[]; nextOffset: string } {
  const events: EventRow[] = [];
  const deadLetters: DeadLetterRow[] = [];
  for (const record of batch.records) {
    const v = validateEvent(record.value);
    const at = { topic: batch.topic, partition: batch.partition, offset: record.offset };
    if (v.ok) events.push({ ...at, event: v.event });
    else deadLetters.push({ ...at, key: record.key, value: record.value, reason: storableReason(v.reason) });
  }
  const last = batch.records[batch.records.length - 1];
  return { events, deadLetters, nextOffset: last === undefined ? '0' : (BigInt(last.offset) + 1n).toString() };
}

/** Where events land; connectors implements it for PostgreSQL. */
export interface EventStore {
  readonly endpoint: string;
  prepare(): Promise<void>;
  /** Next offset to read per partition, as stored with the rows. */
  offsets(group: string, topic: string): Promise<Map<number, string>>;
  /** One transaction: the events, the dead letters and the partition's next offset. */
  write(group: string, topic: string, partition: number, events: readonly EventRow[], deadLetters: readonly DeadLetterRow[], nextOffset: string): Promise<{ readonly inserted: number; readonly deadLettered: number }>;
}

/** The Kafka side: a consumer in a group; connectors implements it with kafkajs. */
export interface EventSource {
  readonly endpoint: string;
  /** End offset (next offset to be written) of every partition of the topic, now. */
  endOffsets(topic: string): Promise<Map<number, string>>;
  /**
   * Consumes until `stop` is called: `startAt` tells where to resume each assigned partition,
   * `onBatch` must finish (store the batch) before the next batch of that partition arrives.
   */
  consume(options: {
    readonly topic: string;
    readonly group: string;
    readonly startAt: (partition: number) => Promise<string | undefined>;
    readonly onBatch: (batch: RecordBatch) => Promise<void>;
  }): Promise<void>;
  /** Finishes the batch in hand and stops consuming; `consume` then resolves. */
  stop(): Promise<void>;
}

export interface StreamOptions {
  readonly topic: string;
  readonly group: string;
  /** Keep going until stopped; otherwise drain to the end offsets that existed at the start. */
  readonly follow: boolean;
}

export interface StreamReport {
  readonly topic: string;
  readonly group: string;
  readonly mode: 'drain' | 'follow';
  readonly batches: number;
  readonly records: number;
  readonly inserted: number;
  readonly deadLettered: number;
  /** Valid records already stored (a replay, or an event re-sent under the same event_id). */
  readonly duplicates: number;
  readonly seconds: number;
  readonly eventsPerSecond: number;
  readonly partitions: readonly PartitionStatus[];
}

export interface PartitionStatus {
  readonly partition: number;
  readonly endOffset: string;
  readonly storedOffset: string | null;
  readonly lag: string;
}

export type StreamProgress = {
  readonly records: number;
  readonly inserted: number;
  readonly deadLettered: number;
  readonly eventsPerSecond: number;
  readonly lag: string;
};

export function partitionStatus(ends: ReadonlyMap<number, string>, stored: ReadonlyMap<number, string>): PartitionStatus[] {
  return [...ends.keys()]
    .sort((a, b) => a - b)
    .map((partition) => {
      const end = BigInt(ends.get(partition) ?? '0');
      const at = stored.get(partition);
      const lag = end - (at === undefined ? 0n : BigInt(at));
      return { partition, endOffset: end.toString(), storedOffset: at ?? null, lag: (lag < 0n ? 0n : lag).toString() };
    });
}

/** True when every partition's stored offset has reached the given end offset. */
export function drained(ends: ReadonlyMap<number, string>, stored: ReadonlyMap<number, string>): boolean {
  return [...ends].every(([partition, end]) => BigInt(stored.get(partition) ?? '0') >= BigInt(end));
}

export async function runStream(
  source: EventSource,
  store: EventStore,
  options: StreamOptions,
  run: { readonly now: () => number; readonly onProgress?: (p: StreamProgress) => void; readonly pollMs?: number },
): Promise<StreamReport> {
  const started = run.now();
  await store.prepare();
  const startEnds = await source.endOffsets(options.topic);
  const stored = await store.offsets(options.group, options.topic);
  let batches = 0;
  let records = 0;
  let inserted = 0;
  let deadLettered = 0;
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => (stopping ??= source.stop());

  const report = (): StreamProgress => {
    const seconds = (run.now() - started) / 1000;
    const lag = partitionStatus(startEnds, stored).reduce((n, p) => n + BigInt(p.lag), 0n);
    return { records, inserted, deadLettered, eventsPerSecond: seconds > 0 ? records / seconds : 0, lag: lag.toString() };
  };

  // Draining and nothing to do: stop at once.
  if (!options.follow && drained(startEnds, stored)) {
    return finish();
  }

  // In drain mode other members of the group may take the partitions: look at the stored
  // offsets now and then, not only after our own batches.
  let poll: ReturnType<typeof setInterval> | undefined;
  if (!options.follow) {
    poll = setInterval(() => {
      void store.offsets(options.group, options.topic).then((latest) => {
        for (const [p, o] of latest) if (BigInt(o) > BigInt(stored.get(p) ?? '0')) stored.set(p, o);
        if (drained(startEnds, stored)) void stop();
      }, () => {});
    }, run.pollMs ?? 1000);
  }
  try {
    await source.consume({
      topic: options.topic,
      group: options.group,
      startAt: async (partition) => (await store.offsets(options.group, options.topic)).get(partition),
      onBatch: async (batch) => {
        if (batch.records.length === 0) return;
        const { events, deadLetters, nextOffset } = classifyBatch(batch);
        const written = await store.write(options.group, batch.topic, batch.partition, events, deadLetters, nextOffset);
        batches++;
        records += batch.records.length;
        inserted += written.inserted;
        deadLettered += written.deadLettered;
        if (BigInt(nextOffset) > BigInt(stored.get(batch.partition) ?? '0')) stored.set(batch.partition, nextOffset);
        run.onProgress?.(report());
        if (!options.follow && drained(startEnds, stored)) void stop();
      },
    });
  } finally {
    if (poll !== undefined) clearInterval(poll);
  }
  return finish();

  async function finish(): Promise<StreamReport> {
    const seconds = (run.now() - started) / 1000;
    const ends = await source.endOffsets(options.topic);
    const latest = await store.offsets(options.group, options.topic);
    return {
      topic: options.topic,
      group: options.group,
      mode: options.follow ? 'follow' : 'drain',
      batches,
      records,
      inserted,
      deadLettered,
      duplicates: records - inserted - deadLettered,
      seconds,
      eventsPerSecond: seconds > 0 ? records / seconds : 0,
      partitions: partitionStatus(ends, latest),
    };
  }
}
