/**
 * `etl stream`: Kafka → PostgreSQL, exactly once. Each Kafka batch becomes one PostgreSQL
 * transaction holding its valid events, its rejected records (dead letters, with the reason)
 * and the partition's next offset. On every assignment the consumer starts from the stored
 * offset; the keys (topic, partition, offset) and event_id make any replay harmless.
 */
import type {
  DeadLetterRow,
  EventRow,
  EventSource,
  EventStore,
  KafkaRecord,
  PartitionOffsets,
  RecordBatch,
} from '../ports/index.js';
import { isTransient } from '../errors.js';
import { deadLetterKind, storableReason, validateEvent } from '../events/schema.js';

/** Splits a batch into storable events and dead letters. Pure; never throws on bad data. */
export function classifyBatch(batch: RecordBatch): {
  events: EventRow[];
  deadLetters: DeadLetterRow[];
  nextOffset: string;
} {
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
 * The database, not Kafka, says where a partition continues (`expected`). A batch that starts
 * later (Kafka's committed offset ran ahead of what was stored, or a batch fetched before the
 * last seek) sends the consumer back — unless the records in between are gone: `earliest`,
 * when known, is the first offset Kafka still holds, and a gap below it was deleted by
 * retention. Records before `expected` are stored already and are dropped.
 */
export function admit(records: readonly KafkaRecord[], expected: bigint, earliest?: bigint): Admission {
  const first = records[0];
  if (first === undefined) return { records };
  if (BigInt(first.offset) > expected && (earliest === undefined || earliest <= expected)) {
    return { seek: expected.toString() };
  }
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

/** One stored batch, for metrics: bounded labels only (topic, partition, kinds). */
export interface BatchStats {
  readonly topic: string;
  readonly partition: number;
  readonly records: number;
  readonly stored: number;
  /** The kind of each dead letter (deadLetterKind). */
  readonly deadLetters: readonly string[];
  readonly seconds: number;
  /** Records of the partition not stored yet (its high watermark minus the next offset). */
  readonly lag?: number;
}

/** A partition's lag from its high watermark and the next offset to read. */
export function batchLag(batch: RecordBatch, nextOffset: string): number | undefined {
  if (batch.highWatermark === undefined) return undefined;
  const lag = Number(BigInt(batch.highWatermark) - BigInt(nextOffset));
  return lag > 0 ? lag : 0;
}

export type StreamProgress = {
  readonly records: number;
  readonly inserted: number;
  readonly deadLettered: number;
  readonly eventsPerSecond: number;
  readonly lag: string;
};

export function partitionStatus(
  ends: ReadonlyMap<number, string>,
  stored: ReadonlyMap<number, string>,
): PartitionStatus[] {
  return [...ends.keys()]
    .sort((a, b) => a - b)
    .map((partition) => {
      const end = BigInt(ends.get(partition) ?? '0');
      const at = stored.get(partition);
      const lag = end - (at === undefined ? 0n : BigInt(at));
      return { partition, endOffset: end.toString(), storedOffset: at ?? null, lag: (lag < 0n ? 0n : lag).toString() };
    });
}

/** `etl stream status --json`, and the web page's stream view: where each partition stands. */
export interface StreamStatus {
  readonly topic: string;
  readonly group: string;
  readonly lag: string;
  readonly partitions: readonly PartitionStatus[];
}

export async function streamStatus(
  source: Pick<EventSource, 'topicOffsets'>,
  store: Pick<EventStore, 'offsets'>,
  topic: string,
  group: string,
): Promise<StreamStatus> {
  const [ends, stored] = await Promise.all([source.topicOffsets(topic).then(endOffsets), store.offsets(group, topic)]);
  const partitions = partitionStatus(ends, stored);
  return { topic, group, lag: partitions.reduce((n, p) => n + BigInt(p.lag), 0n).toString(), partitions };
}

/** True when every partition's stored offset has reached the given end offset. */
export function drained<K>(ends: ReadonlyMap<K, string>, stored: ReadonlyMap<K, string>): boolean {
  return [...ends].every(([partition, end]) => BigInt(stored.get(partition) ?? '0') >= BigInt(end));
}

export interface StreamRun {
  readonly now: () => number;
  readonly onProgress?: (p: StreamProgress) => void;
  readonly pollMs?: number;
  /** After each stored batch: what it held and how long storing it took (metrics). */
  readonly onBatch?: (b: BatchStats) => void;
  /** Once consuming has begun (health: ready). */
  readonly onReady?: () => void;
  /** A batch whose write failed for a transient reason is tried again after 0.5 s, 1 s, 2 s… */
  readonly writeRetries?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly onRetry?: (error: Error, attempt: number, waitMs: number) => void;
}

type Written = { readonly inserted: number; readonly deadLettered: number };

/**
 * Store it: one batch in one transaction, written again after a transient failure (the
 * transaction rolled back, so nothing is doubled), unless the stream is stopping.
 */
export async function writeWithRetries<T>(
  write: () => Promise<T>,
  run: Pick<StreamRun, 'sleep' | 'writeRetries' | 'onRetry'>,
  stopping: () => boolean,
): Promise<T> {
  const sleep = run.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  for (let attempt = 1; ; attempt++) {
    try {
      return await write();
    } catch (error) {
      if (attempt > (run.writeRetries ?? 5) || !isTransient(error) || stopping()) throw error;
      const waitMs = 500 * 2 ** (attempt - 1);
      run.onRetry?.(error instanceof Error ? error : new Error(String(error)), attempt, waitMs);
      await sleep(waitMs);
    }
  }
}

/**
 * Resume offsets and admit a batch: per partition (K: a partition number, or `topic:partition`)
 * since the last assignment, the offset the consumer continues from (the database's, never
 * Kafka's). Shared by etl stream and etl cdc apply.
 */
export class PartitionCursors<K> {
  private readonly next = new Map<K, bigint>();
  private readonly sought = new Map<K, bigint>();

  constructor(
    private readonly storedOffsets: () => Promise<ReadonlyMap<K, string>>,
    private readonly earliest: ReadonlyMap<K, PartitionOffsets>,
    /** The first offset Kafka holds now for the partition (asked only when a gap must be explained). */
    private readonly earliestNow: (key: K) => Promise<string | undefined>,
  ) {}

  /** Forgets every partition: a new assignment starts over. */
  reset(): void {
    this.next.clear();
    this.sought.clear();
  }

  /** Where the partitions continue: the offset stored in the database, or the earliest Kafka holds. */
  async resume(keys: readonly K[]): Promise<ReadonlyMap<K, string>> {
    const at = await this.storedOffsets();
    for (const k of keys) this.next.set(k, BigInt(at.get(k) ?? this.earliest.get(k)?.earliest ?? '0'));
    return new Map(keys.map((k) => [k, String(this.next.get(k))]));
  }

  /** The records of a batch still to store, or where the consumer must seek first. */
  async admit(key: K, records: readonly KafkaRecord[]): Promise<Admission> {
    const last = records[records.length - 1];
    if (last === undefined) return { records };
    if (!this.next.has(key)) await this.resume([key]);
    const expected = this.next.get(key) ?? 0n;
    let admission = admit(records, expected);
    if ('seek' in admission && this.sought.get(key) === expected) {
      // Sent back here before and handed later records again: a batch fetched before that seek
      // (seek again), or the records in between were deleted by retention (go on without them).
      const earliest = await this.earliestNow(key);
      admission = admit(records, expected, earliest === undefined ? undefined : BigInt(earliest));
    }
    if ('seek' in admission) {
      this.sought.set(key, expected);
      return admission;
    }
    const after = BigInt(last.offset) + 1n;
    this.next.set(key, after > expected ? after : expected);
    return admission;
  }
}

/**
 * Poll: in drain mode other members of the group may take partitions, so the stored offsets
 * are looked at now and then, not only after this member's own batches. Returns its cancel.
 */
export function pollStoredOffsets<K>(
  read: () => Promise<ReadonlyMap<K, string>>,
  stored: Map<K, string>,
  onChange: () => void,
  everyMs: number,
): () => void {
  const timer = setInterval(() => {
    void read().then(
      (latest) => {
        for (const [p, o] of latest) if (BigInt(o) > BigInt(stored.get(p) ?? '0')) stored.set(p, o);
        onChange();
      },
      () => {},
    );
  }, everyMs);
  return () => clearInterval(timer);
}

/** What the stream has stored so far, and how far behind it is. */
class StreamTally {
  batches = 0;
  records = 0;
  inserted = 0;
  deadLettered = 0;

  constructor(private readonly started: number) {}

  add(records: number, written: Written): void {
    this.batches++;
    this.records += records;
    this.inserted += written.inserted;
    this.deadLettered += written.deadLettered;
  }

  private rate(now: number): { readonly seconds: number; readonly eventsPerSecond: number } {
    const seconds = (now - this.started) / 1000;
    return { seconds, eventsPerSecond: seconds > 0 ? this.records / seconds : 0 };
  }

  progress(now: number, ends: ReadonlyMap<number, string>, stored: ReadonlyMap<number, string>): StreamProgress {
    const lag = partitionStatus(ends, stored).reduce((n, p) => n + BigInt(p.lag), 0n);
    const { records, inserted, deadLettered } = this;
    return { records, inserted, deadLettered, eventsPerSecond: this.rate(now).eventsPerSecond, lag: lag.toString() };
  }

  report(now: number, options: StreamOptions, partitions: PartitionStatus[]): StreamReport {
    const { batches, records, inserted, deadLettered } = this;
    const duplicates = records - inserted - deadLettered;
    const { topic, group } = options;
    const mode = options.follow ? 'follow' : 'drain';
    return { topic, group, mode, batches, records, inserted, deadLettered, duplicates, ...this.rate(now), partitions };
  }
}

export async function runStream(
  source: EventSource,
  store: EventStore,
  options: StreamOptions,
  run: StreamRun,
): Promise<StreamReport> {
  const tally = new StreamTally(run.now());
  const storedOffsets = () => store.offsets(options.group, options.topic);
  await store.prepare();
  const startOffsets = await source.topicOffsets(options.topic);
  const startEnds = endOffsets(startOffsets);
  const stored = await storedOffsets();
  const finish = async (): Promise<StreamReport> => {
    const ends = endOffsets(await source.topicOffsets(options.topic));
    return tally.report(run.now(), options, partitionStatus(ends, await storedOffsets()));
  };
  // Draining and nothing to do: stop at once.
  if (!options.follow && drained(startEnds, stored)) return finish();

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => (stopping ??= source.stop());
  const stopWhenDrained = (): void => {
    if (!options.follow && drained(startEnds, stored)) void stop();
  };
  // A partition's batch is stored while its next one is fetched and checked: Kafka, this
  // process and PostgreSQL work at once. Batches of one partition are stored one after the
  // other, in order. After a failed write nothing more is stored: the stream stops and fails,
  // and a rerun resumes from the offset stored with the last batch that was.
  const storing = new Map<number, Promise<void>>();
  let failure: { readonly error: unknown } | undefined;
  const storeBatch = async (batch: RecordBatch): Promise<void> => {
    const { events, deadLetters, nextOffset } = classifyBatch(batch);
    const write = () => store.write(options.group, batch.topic, batch.partition, events, deadLetters, nextOffset);
    try {
      const begun = run.now();
      const written = await writeWithRetries(write, run, () => stopping !== undefined);
      tally.add(batch.records.length, written);
      run.onBatch?.({
        topic: batch.topic,
        partition: batch.partition,
        records: batch.records.length,
        stored: written.inserted,
        deadLetters: deadLetters.map((d) => deadLetterKind(d.reason)),
        seconds: (run.now() - begun) / 1000,
        ...(batchLag(batch, nextOffset) === undefined ? {} : { lag: batchLag(batch, nextOffset) }),
      });
      if (BigInt(nextOffset) > BigInt(stored.get(batch.partition) ?? '0')) stored.set(batch.partition, nextOffset);
      run.onProgress?.(tally.progress(run.now(), startEnds, stored));
      stopWhenDrained();
    } catch (error) {
      failure ??= { error };
      void stop();
    }
  };

  const cursors = new PartitionCursors(
    storedOffsets,
    startOffsets,
    async (partition) => (await source.topicOffsets(options.topic)).get(partition)?.earliest,
  );
  const cancelPoll = options.follow
    ? () => {}
    : pollStoredOffsets(storedOffsets, stored, stopWhenDrained, run.pollMs ?? 1000);
  try {
    await source.consume({
      topic: options.topic,
      group: options.group,
      onAssign: async (partitions) => {
        cursors.reset();
        // What this member was still storing counts: PostgreSQL must hold it before it is asked.
        await Promise.all(storing.values());
        const resumed = await cursors.resume(partitions);
        run.onReady?.();
        return resumed;
      },
      onBatch: async (batch) => {
        await storing.get(batch.partition);
        if (failure !== undefined) return undefined;
        const admission = await cursors.admit(batch.partition, batch.records);
        if ('seek' in admission) return admission.seek;
        const { records } = admission;
        if (records.length > 0) storing.set(batch.partition, storeBatch({ ...batch, records }));
        return undefined;
      },
    });
  } finally {
    cancelPoll();
    await Promise.all(storing.values());
  }
  if (failure !== undefined) throw failure.error;
  return finish();
}
