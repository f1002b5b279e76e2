/** `etl stream`: a Kafka consumer in a group. Implemented by KafkaEventSource. */

export interface KafkaRecord {
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
}

export interface RecordBatch {
  readonly topic: string;
  readonly partition: number;
  readonly records: readonly KafkaRecord[];
  /** The partition's end offset when the batch was fetched (Kafka's high watermark), for lag. */
  readonly highWatermark?: string;
}

export interface PartitionOffsets {
  readonly earliest: string;
  /** The next offset to be written. */
  readonly end: string;
}

/** The Kafka side: a consumer in a group; connectors implements it with kafkajs. */
export interface EventSource {
  readonly endpoint: string;
  /** Every partition of the topic, now: its earliest offset still held and its end offset. */
  topicOffsets(topic: string): Promise<Map<number, PartitionOffsets>>;
  /**
   * Consumes until `stop` is called. On every (re)assignment, before any batch of it, `onAssign`
   * says where each assigned partition continues. The next batch of a partition is not handed
   * over before `onBatch` of the last one resolved; when that returns an offset, the partition
   * is read again from there and the batch counts as not consumed.
   */
  consume(options: {
    readonly topic: string;
    readonly group: string;
    readonly onAssign: (partitions: readonly number[]) => Promise<ReadonlyMap<number, string>>;
    readonly onBatch: (batch: RecordBatch) => Promise<string | undefined>;
  }): Promise<void>;
  /** Finishes the batch in hand and stops consuming; `consume` then resolves. */
  stop(): Promise<void>;
}
