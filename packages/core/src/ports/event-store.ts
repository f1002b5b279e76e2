/**
 * `etl stream`: where events, dead letters and offsets land, in one transaction per batch. Implemented by
 * PostgresEventStore.
 */

import type { AcceptedEvent } from '../events/schema.js';

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

/** Where events land; connectors implements it for PostgreSQL. */
export interface EventStore {
  readonly endpoint: string;
  prepare(): Promise<void>;
  /** Next offset to read per partition, as stored with the rows. */
  offsets(group: string, topic: string): Promise<Map<number, string>>;
  /** One transaction: the events, the dead letters and the partition's next offset. */
  write(
    group: string,
    topic: string,
    partition: number,
    events: readonly EventRow[],
    deadLetters: readonly DeadLetterRow[],
    nextOffset: string,
  ): Promise<{ readonly inserted: number; readonly deadLettered: number }>;
}
