/** `etl produce`: the Kafka topic events are sent to. Implemented by KafkaEventSink. */

export interface OutgoingRecord {
  readonly key: string;
  readonly value: string;
}

/** The Kafka side of `etl produce`; connectors implements it with kafkajs. */
export interface EventSink {
  readonly endpoint: string;
  /** Creates the topic with this many partitions when missing; true when it created it. */
  ensureTopic(topic: string, partitions: number): Promise<boolean>;
  send(topic: string, records: readonly OutgoingRecord[]): Promise<void>;
}
