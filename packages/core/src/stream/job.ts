/**
 * `etl stream`: Kafka → PostgreSQL, exactly once. Each Kafka batch becomes one PostgreSQL
 * transaction holding its valid events, its rejected records (dead letters, with the reason)
 * and the partition's next offset. On every assignment the consumer starts from the stored
 * offset; the keys (topic, partition, offset) and event_id make any replay harmless.
 */
import type { DeadLetterRow, EventRow, EventSource, EventStore, KafkaRecord, PartitionOffsets, RecordBatch } from '../ports/index.js';
import { isTransient } from '../errors.js';
import { storableReason, validateEvent } from '../events/schema.js';

/** Splits a batch into storable events and dead letters. Pure; never throws on bad data. */
export function classifyBatch(batch: RecordBatch): { events: EventRow[]; deadLetters: DeadLetterRow[]; nextOffset: string } {
  const events: EventRow[] = [];
  const deadLetters: DeadLetterRow[] = [];
  const { topic, partition } = batch;
  for (const { offset, key, value } of batch.records) {
    const v = validateEvent(value);
    if (v.ok) events.push({ topic, partition, offset, event: v.event });
    else deadLetters.push({ topic, partition, offset, key, value, reason: storableReason(v.reason) });
  }
  const last = batch.records[batch.records.length - 1];
  return { events, deadLetters, nextOffset: last === undefined ? '0' : (BigInt(last.offset) + 1n).toString() };
}

/** The end offset of each partition. */
export function endOffsets(offsets: ReadonlyMap<number, PartitionOffsets>): Map<number, string> {
  return new Map([...offsets].map(([partition, o]) => [partition, o.end]));
}

/** What to do with a batch, given the offset this partition must continue from. */
export type Admission = { readonly seek: string } | { readonly records: readonly KafkaRecord[] };

/**
 * PostgreSQL, not Kafka, says where a partition continues (`expected`). A batch that starts
 * later (Kafka's committed offset ran ahead of what was stored) makes the consumer go back,
 * once: if it comes back later again, what is missing was deleted by retention and is gone.
 * Records before `expected` are stored already and are dropped.
 */
export function admit(records: readonly KafkaRecord[], expected: bigint, soughtBefore: boolean): Admission {
  const first = records[0];
  if (first === undefined) return { records };
  if (BigInt(first.offset) > expected && !soughtBefore) return { seek: expected.toString() };
  return { records: BigInt(first.offset) >= expected ? records : records.filter((r) => BigInt(r.offset) >= expected) };
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
  run: {
    readonly now: () => number;
    readonly onProgress?: (p: StreamProgress) => void;
    readonly pollMs?: number;
    /** A batch whose write failed for a transient reason is tried again after 0.5 s, 1 s, 2 s… */
    readonly writeRetries?: number;
    readonly sleep?: (ms: number) => Promise<void>;
    readonly onRetry?: (error: Error, attempt: number, waitMs: number) => void;
  },
): Promise<StreamReport> {
  const started = run.now();
  await store.prepare();
  const startOffsets = await source.topicOffsets(options.topic);
  const startEnds = endOffsets(startOffsets);
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
  // A partition's batch is stored while its next one is fetched and checked: Kafka, this
  // process and PostgreSQL work at once. Batches of one partition are stored one after the
  // other, in order. After a failed write nothing more is stored: the stream stops and fails,
  // and a rerun resumes from the offset stored with the last batch that was.
  const storing = new Map<number, Promise<void>>();
  let failure: { readonly error: unknown } | undefined;
  // Per partition, since the last assignment: the offset to continue from, and whether the
  // consumer was already sent back to it.
  const next = new Map<number, bigint>();
  const sought = new Map<number, bigint>();
  // Where the partitions continue: the offset stored in PostgreSQL, or the earliest Kafka holds.
  const resumeFrom = async (partitions: readonly number[]): Promise<void> => {
    const at = await store.offsets(options.group, options.topic);
    for (const p of partitions) next.set(p, BigInt(at.get(p) ?? startOffsets.get(p)?.earliest ?? '0'));
  };

  const storeBatch = (batch: RecordBatch): Promise<void> => {
    const { events, deadLetters, nextOffset } = classifyBatch(batch);
    const write = async (): Promise<{ readonly inserted: number; readonly deadLettered: number }> => {
      // The batch is one transaction: after a lost connection it is simply written again.
      for (let attempt = 1; ; attempt++) {
        try {
          return await store.write(options.group, batch.topic, batch.partition, events, deadLetters, nextOffset);
        } catch (error) {
          if (attempt > (run.writeRetries ?? 5) || !isTransient(error) || stopping !== undefined) throw error;
          const waitMs = 500 * 2 ** (attempt - 1);
          run.onRetry?.(error instanceof Error ? error : new Error(String(error)), attempt, waitMs);
          await (run.sleep ?? ((ms) => new Promise<void>((resolve) => setTimeout(resolve, ms))))(waitMs);
        }
      }
    };
    return write().then(
      (written) => {
        batches++;
        records += batch.records.length;
        inserted += written.inserted;
        deadLettered += written.deadLettered;
        if (BigInt(nextOffset) > BigInt(stored.get(batch.partition) ?? '0')) stored.set(batch.partition, nextOffset);
        run.onProgress?.(report());
        if (!options.follow && drained(startEnds, stored)) void stop();
      },
      (error: unknown) => {
        failure ??= { error };
        void stop();
      },
    );
  };
  try {
    await source.consume({
      topic: options.topic,
      group: options.group,
      onAssign: async (partitions) => {
        next.clear();
        sought.clear();
        // What this member was still storing counts: PostgreSQL must hold it before it is asked.
        await Promise.all(storing.values());
        await resumeFrom(partitions);
        return new Map(partitions.map((p) => [p, String(next.get(p))]));
      },
      onBatch: async (batch) => {
        const { partition } = batch;
        await storing.get(partition);
        const last = batch.records[batch.records.length - 1];
        if (failure !== undefined || last === undefined) return undefined;
        if (!next.has(partition)) await resumeFrom([partition]);
        const expected = next.get(partition) ?? 0n;
        const admission = admit(batch.records, expected, sought.get(partition) === expected);
        if ('seek' in admission) {
          sought.set(partition, expected);
          return admission.seek;
        }
        const after = BigInt(last.offset) + 1n;
        next.set(partition, after > expected ? after : expected);
        if (admission.records.length > 0) storing.set(partition, storeBatch({ ...batch, records: admission.records }));
        return undefined;
      },
    });
  } finally {
    if (poll !== undefined) clearInterval(poll);
    await Promise.all(storing.values());
  }
  if (failure !== undefined) throw failure.error;
  return finish();

  async function finish(): Promise<StreamReport> {
    const seconds = (run.now() - started) / 1000;
    const ends = endOffsets(await source.topicOffsets(options.topic));
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
