/** `etl cdc`: the Kafka side. Implemented by KafkaChangeSink (producer) and KafkaEventSource (consumer). */
import type { PartitionOffsets, RecordBatch } from './event-source.js';

export interface ChangeRecord {
  readonly topic: string;
  readonly key: string;
  readonly value: string;
}

export interface ChangeSink {
  readonly endpoint: string;
  /** Creates the missing topics with this many partitions. */
  ensureTopics(topics: readonly string[], partitions: number): Promise<void>;
  /** Resolves when every record is acknowledged by all in-sync replicas. */
  send(records: readonly ChangeRecord[]): Promise<void>;
  close(): Promise<void>;
}

/** A topic's partition, named `topic:partition` (Kafka topic names never hold a colon). */
export const partitionId = (topic: string, partition: number): string => `${topic}:${partition}`;
/** The topic and partition a `partitionId` names (topics may hold ':' themselves; partitions never do). */
export function parsePartitionId(id: string): { readonly topic: string; readonly partition: number } {
  const at = id.lastIndexOf(':');
  return { topic: id.slice(0, at), partition: Number(id.slice(at + 1)) };
}

export interface ChangeSource {
  readonly endpoint: string;
  topicOffsets(topic: string): Promise<Map<number, PartitionOffsets>>;
  /** As EventSource.consume, over several topics; partitions are named by `partitionId`. */
  consumeTopics(options: {
    readonly topics: readonly string[];
    readonly group: string;
    readonly onAssign: (partitions: readonly string[]) => Promise<ReadonlyMap<string, string>>;
    readonly onBatch: (batch: RecordBatch) => Promise<string | undefined>;
  }): Promise<void>;
  stop(): Promise<void>;
}
