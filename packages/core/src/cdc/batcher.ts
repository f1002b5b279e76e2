/**
 * Ack-ordered batching for `etl cdc capture`: changes go to Kafka in batches, and the slot is
 * acknowledged only up to positions whose every change Kafka has acknowledged.
 */
import type { ChangeRecord, ChangeSink } from '../ports/index.js';
import type { Lsn } from './pgoutput.js';

/** What one batch carried, once Kafka acknowledged it. */
export interface SentBatch {
  readonly records: number;
  /** When each transaction whose commit the batch completes was committed (Unix ms). */
  readonly committed: readonly number[];
}

/**
 * Records go to Kafka in batches, one batch in flight while the next is read. Each batch
 * carries the highest position that is complete once it is acknowledged (the end of the last
 * transaction in it, or a position the server reported with nothing in hand); the slot is
 * acknowledged up to it only after Kafka acknowledged the batch and every batch before.
 */
export class KafkaBatcher {
  private records: ChangeRecord[] = [];
  private bytes = 0;
  private mark: Lsn | undefined;
  private commits: number[] = [];
  private tail: Promise<void> = Promise.resolve();
  private inFlight = 0;
  failure: { readonly error: unknown } | undefined;

  constructor(
    private readonly sink: ChangeSink,
    private readonly onAcked: (lsn: Lsn) => void,
    private readonly afterKafkaAck: (() => void) | undefined,
    private readonly onSent?: (batch: SentBatch) => void,
  ) {}

  get pending(): number {
    return this.records.length;
  }

  add(record: ChangeRecord): void {
    this.records.push(record);
    this.bytes += record.value.length + record.key.length;
  }

  /** Everything added so far is complete up to this position. */
  complete(lsn: Lsn): void {
    if (this.mark === undefined || lsn > this.mark) this.mark = lsn;
  }

  /** A transaction committed at this time (Unix ms) ends with the records added so far. */
  committed(unixMs: number): void {
    this.commits.push(unixMs);
  }

  full(): boolean {
    return this.records.length >= 5000 || this.bytes >= 1024 * 1024;
  }

  /**
   * Hands the batch over, behind every batch handed over before it: it is chained at once, so
   * batches reach Kafka in the order they were taken even when flushes overlap (the idle timer's
   * and the stream's). Returns once at most two batches are on their way (bounded memory).
   */
  async flush(): Promise<void> {
    if (this.records.length === 0 && this.mark === undefined) return;
    const records = this.records;
    const mark = this.mark;
    const committed = this.commits;
    this.records = [];
    this.bytes = 0;
    this.mark = undefined;
    this.commits = [];
    const before = this.tail;
    this.inFlight++;
    this.tail = before.then(async () => {
      try {
        if (this.failure !== undefined) return;
        if (records.length > 0) {
          await this.sink.send(records);
          this.afterKafkaAck?.();
          this.onSent?.({ records: records.length, committed });
        }
        if (mark !== undefined) this.onAcked(mark);
      } catch (error) {
        this.failure ??= { error };
      } finally {
        this.inFlight--;
      }
    });
    if (this.inFlight > 2) await before;
  }

  async drain(): Promise<void> {
    await this.flush();
    await this.tail;
    if (this.failure !== undefined) throw this.failure.error;
  }
}
