/**
 * Kafka for `etl produce` (an idempotent producer, acks from all in-sync replicas) and
 * `etl stream` (a consumer in a group that resumes each partition where PostgreSQL says).
 */
import type { EventSink, EventSource, OutgoingRecord, RecordBatch } from '@etl/core';
import { CompressionTypes, type Consumer, type Kafka, type Producer } from 'kafkajs';
import { createKafka, type KafkaClientOptions } from './client.js';
import { kafkaError } from './errors.js';

export class KafkaEventSink implements EventSink {
  readonly endpoint: string;
  private readonly kafka: Kafka;
  private producer: Producer | undefined;

  constructor(options: KafkaClientOptions) {
    this.kafka = createKafka({ clientId: 'etl-produce', ...options });
    this.endpoint = options.brokers.join(',');
  }

  async ensureTopic(topic: string, partitions: number): Promise<boolean> {
    const admin = this.kafka.admin();
    try {
      await admin.connect();
      if ((await admin.listTopics()).includes(topic)) return false;
      return await admin.createTopics({ topics: [{ topic, numPartitions: partitions, replicationFactor: -1 }], waitForLeaders: true });
    } catch (error) {
      throw kafkaError(error, this.endpoint);
    } finally {
      await admin.disconnect().catch(() => {});
    }
  }

  async send(topic: string, records: readonly OutgoingRecord[]): Promise<void> {
    try {
      if (this.producer === undefined) {
        this.producer = this.kafka.producer({ idempotent: true, maxInFlightRequests: 5, allowAutoTopicCreation: false });
        await this.producer.connect();
      }
      await this.producer.send({ topic, acks: -1, compression: CompressionTypes.None, messages: records.map((r) => ({ key: r.key, value: r.value })) });
    } catch (error) {
      throw kafkaError(error, this.endpoint);
    }
  }

  async close(): Promise<void> {
    await this.producer?.disconnect().catch(() => {});
  }
}

export class KafkaEventSource implements EventSource {
  readonly endpoint: string;
  private readonly kafka: Kafka;
  private consumer: Consumer | undefined;
  private finished: (() => void) | undefined;

  constructor(options: KafkaClientOptions) {
    this.kafka = createKafka({ clientId: 'etl-stream', ...options });
    this.endpoint = options.brokers.join(',');
  }

  async endOffsets(topic: string): Promise<Map<number, string>> {
    const admin = this.kafka.admin();
    try {
      await admin.connect();
      const offsets = await admin.fetchTopicOffsets(topic);
      return new Map(offsets.map((o) => [o.partition, o.high]));
    } catch (error) {
      throw kafkaError(error, this.endpoint);
    } finally {
      await admin.disconnect().catch(() => {});
    }
  }

  /** Where the group would start each partition (Kafka's committed offset, or the earliest). */
  private async startingPoints(topic: string, group: string): Promise<{ low: Map<number, string>; committed: Map<number, string> }> {
    const admin = this.kafka.admin();
    try {
      await admin.connect();
      const low = new Map((await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, o.low]));
      const fetched = await admin.fetchOffsets({ groupId: group, topics: [topic] });
      const committed = new Map((fetched[0]?.partitions ?? []).map((p) => [p.partition, p.offset]));
      return { low, committed };
    } finally {
      await admin.disconnect().catch(() => {});
    }
  }

  async consume(options: Parameters<EventSource['consume']>[0]): Promise<void> {
    const consumer = this.kafka.consumer({
      groupId: options.group,
      // Offsets live in PostgreSQL; what Kafka keeps is only a hint for other tools.
      sessionTimeout: 30_000,
      heartbeatInterval: 3_000,
      maxBytesPerPartition: 2 * 1024 * 1024,
      retry: { retries: 8 },
    });
    this.consumer = consumer;
    const done = new Promise<void>((resolve, reject) => {
      this.finished = resolve;
      consumer.on(consumer.events.CRASH, (event) => {
        const payload = event.payload as { error: unknown; restart: boolean };
        if (!payload.restart) reject(kafkaError(payload.error, this.endpoint));
      });
    });
    // On every assignment, resume each partition at the offset stored with the rows.
    consumer.on(consumer.events.GROUP_JOIN, (event) => {
      const assignment = event.payload.memberAssignment;
      void (async () => {
        const { low, committed } = await this.startingPoints(options.topic, options.group);
        for (const partition of assignment[options.topic] ?? []) {
          const stored = await options.startAt(partition);
          const kafkaStart = committed.get(partition) ?? '-1';
          // Seek only where Kafka's idea differs from PostgreSQL's (a seek mid-fetch re-reads a batch).
          if (stored === undefined ? kafkaStart === '-1' : kafkaStart === stored) continue;
          consumer.seek({ topic: options.topic, partition, offset: stored ?? low.get(partition) ?? '0' });
        }
      })().catch(() => {});
    });
    try {
      await consumer.connect();
      await consumer.subscribe({ topic: options.topic, fromBeginning: true });
      await consumer.run({
        autoCommit: true,
        eachBatchAutoResolve: false,
        // Batches of different partitions overlap: one is validated while another is stored.
        partitionsConsumedConcurrently: 3,
        eachBatch: async (payload) => {
          const { batch } = payload;
          if (!payload.isRunning() || payload.isStale() || batch.messages.length === 0) return;
          const records: RecordBatch = {
            topic: batch.topic,
            partition: batch.partition,
            records: batch.messages.map((m) => ({ offset: m.offset, key: m.key ?? null, value: m.value ?? null })),
          };
          await options.onBatch(records);
          payload.resolveOffset(batch.lastOffset());
          await payload.heartbeat();
        },
      });
    } catch (error) {
      await consumer.disconnect().catch(() => {});
      throw kafkaError(error, this.endpoint);
    }
    return done;
  }

  async stop(): Promise<void> {
    // disconnect() lets the batch in hand finish (and be stored) first.
    await this.consumer?.disconnect().catch(() => {});
    this.finished?.();
  }
}
