/**
 * Kafka for `etl produce` (an idempotent producer, acks from all in-sync replicas) and
 * `etl stream` (a consumer in a group that resumes each partition where PostgreSQL says).
 */
import {
  parsePartitionId,
  partitionId,
  type ChangeRecord,
  type ChangeSink,
  type ChangeSource,
  type EventSink,
  type EventSource,
  type OutgoingRecord,
  type PartitionOffsets,
  type RecordBatch,
} from '@etl/core';
import type { Consumer, Kafka, Producer, TopicMessages } from 'kafkajs';
import { createKafka, kafkajs, type KafkaClientOptions } from './client.js';
import { kafkaError } from './errors.js';
import { keyPartitioner } from './partitioner.js';

/**
 * What `etl produce` and `etl cdc capture` share: an idempotent producer (acks from all in-sync
 * replicas) connected on first use, and topics created when missing.
 */
class IdempotentProducer {
  readonly endpoint: string;
  private readonly kafka: Kafka;
  private producer: Producer | undefined;

  constructor(clientId: string, options: KafkaClientOptions) {
    this.kafka = createKafka({ clientId, ...options });
    this.endpoint = options.brokers.join(',');
  }

  /** Creates those of the topics that are missing; returns the ones it created. */
  protected async createMissing(topics: readonly string[], partitions: number): Promise<string[]> {
    const admin = this.kafka.admin();
    try {
      await admin.connect();
      const existing = new Set(await admin.listTopics());
      const missing = topics.filter((t) => !existing.has(t));
      if (missing.length === 0) return [];
      const created = await admin.createTopics({
        topics: missing.map((topic) => ({ topic, numPartitions: partitions, replicationFactor: -1 })),
        waitForLeaders: true,
      });
      return created ? missing : [];
    } catch (error) {
      throw kafkaError(error, this.endpoint);
    } finally {
      await admin.disconnect().catch(() => {});
    }
  }

  /** Sends the messages of each topic in one request; resolves when all of them are acknowledged. */
  protected async sendTopics(topicMessages: TopicMessages[]): Promise<void> {
    try {
      if (this.producer === undefined) {
        this.producer = this.kafka.producer({
          idempotent: true,
          maxInFlightRequests: 5,
          allowAutoTopicCreation: false,
          createPartitioner: keyPartitioner,
        });
        await this.producer.connect();
      }
      await this.producer.sendBatch({ acks: -1, compression: kafkajs().CompressionTypes.None, topicMessages });
    } catch (error) {
      // A producer that lost its broker stays disconnected ("The producer is disconnected" on
      // every later send): the caller's retry gets a new one (a new producer id, so a record
      // Kafka already had may come again: at least once, as the consumers expect).
      const broken = this.producer;
      this.producer = undefined;
      await broken?.disconnect().catch(() => {});
      throw kafkaError(error, this.endpoint);
    }
  }

  async close(): Promise<void> {
    await this.producer?.disconnect().catch(() => {});
  }
}

export class KafkaEventSink extends IdempotentProducer implements EventSink {
  constructor(options: KafkaClientOptions) {
    super('etl-produce', options);
  }

  async ensureTopic(topic: string, partitions: number): Promise<boolean> {
    return (await this.createMissing([topic], partitions)).length > 0;
  }

  send(topic: string, records: readonly OutgoingRecord[]): Promise<void> {
    return this.sendTopics([{ topic, messages: records.map((r) => ({ key: r.key, value: r.value })) }]);
  }
}

/** `etl cdc capture`'s producer: one request per batch, whatever the tables in it. */
export class KafkaChangeSink extends IdempotentProducer implements ChangeSink {
  constructor(options: KafkaClientOptions) {
    super('etl-cdc-capture', options);
  }

  async ensureTopics(topics: readonly string[], partitions: number): Promise<void> {
    await this.createMissing(topics, partitions);
  }

  send(records: readonly ChangeRecord[]): Promise<void> {
    const byTopic = new Map<string, { key: string; value: string }[]>();
    for (const r of records) {
      const messages = byTopic.get(r.topic) ?? [];
      messages.push({ key: r.key, value: r.value });
      byTopic.set(r.topic, messages);
    }
    return this.sendTopics([...byTopic].map(([topic, messages]) => ({ topic, messages })));
  }
}

export class KafkaEventSource implements EventSource, ChangeSource {
  readonly endpoint: string;
  private readonly kafka: Kafka;
  private consumer: Consumer | undefined;
  /** Set by stop(): a consume() that has not started yet, or is still connecting, ends at once. */
  private stopped = false;
  private finished: (() => void) | undefined;
  /** Ends `consume` with an error not of Kafka's making (PostgreSQL unreachable on assignment). */
  private fail: ((error: unknown) => void) | undefined;

  constructor(options: KafkaClientOptions) {
    this.kafka = createKafka({ clientId: 'etl-stream', ...options });
    this.endpoint = options.brokers.join(',');
  }

  async topicOffsets(topic: string): Promise<Map<number, PartitionOffsets>> {
    const admin = this.kafka.admin();
    try {
      await admin.connect();
      return new Map(
        (await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, { earliest: o.low, end: o.high }]),
      );
    } catch (error) {
      throw kafkaError(error, this.endpoint, topic);
    } finally {
      await admin.disconnect().catch(() => {});
    }
  }

  async consume(options: Parameters<EventSource['consume']>[0]): Promise<void> {
    const { topic } = options;
    const number = (id: string): number => Number(id.slice(id.lastIndexOf(':') + 1));
    return this.consumeTopics({
      topics: [topic],
      group: options.group,
      onAssign: async (ids) => {
        const at = await options.onAssign(ids.map(number));
        return new Map([...at].map(([p, offset]) => [partitionId(topic, p), offset]));
      },
      onBatch: options.onBatch,
    });
  }

  async consumeTopics(options: Parameters<ChangeSource['consumeTopics']>[0]): Promise<void> {
    if (this.stopped) return;
    const consumer = this.kafka.consumer({
      groupId: options.group,
      // Offsets live in the database; what Kafka keeps is only a hint for other tools.
      // A member killed without leaving holds its partitions until its session times out: a
      // rerun after kill -9 waits that long for them, so the session is short (Kafka's own old
      // default) and heartbeats frequent. A batch is one database transaction, well under it.
      sessionTimeout: 10_000,
      heartbeatInterval: 1_000,
      maxBytesPerPartition: 2 * 1024 * 1024,
      // A fetch waits at most this long for new records; stopping waits for the fetch.
      maxWaitTimeInMs: 200,
      retry: { retries: 8 },
    });
    this.consumer = consumer;
    const done = new Promise<void>((resolve, reject) => {
      this.finished = resolve;
      this.fail = (error) => {
        void consumer.disconnect().catch(() => {});
        reject(error instanceof Error ? error : new Error(String(error)));
      };
      consumer.on(consumer.events.CRASH, (event) => {
        const payload = event.payload as { error: unknown; restart: boolean };
        if (!payload.restart) reject(kafkaError(payload.error, this.endpoint));
      });
    });
    // On every assignment the partitions wait, paused, until each is sent to the offset stored
    // in the database; nothing fetched before that is handed over.
    let generation = 0;
    const all = options.topics.map((topic) => ({ topic }));
    consumer.on(consumer.events.GROUP_JOIN, (event) => {
      const assigned = options.topics.flatMap((topic) =>
        (event.payload.memberAssignment[topic] ?? []).map((p) => partitionId(topic, p)),
      );
      const mine = ++generation;
      consumer.pause(all);
      options
        .onAssign(assigned)
        .then((resumeAt) => {
          if (mine !== generation) return;
          for (const [id, offset] of resumeAt) consumer.seek({ ...parsePartitionId(id), offset });
          consumer.resume(all);
        })
        .catch((error: unknown) => this.fail?.(error));
    });
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: [...options.topics], fromBeginning: true });
      // Stopped while connecting (a SIGTERM during start-up): never start consuming.
      if (this.stopped) {
        await consumer.disconnect().catch(() => {});
        return;
      }
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
            // kafkajs's messages already are { offset, key, value } (null when absent).
            records: batch.messages,
            highWatermark: batch.highWatermark,
          };
          const resumeAt = await options.onBatch(records);
          if (resumeAt !== undefined) {
            consumer.seek({ topic: batch.topic, partition: batch.partition, offset: resumeAt });
            return;
          }
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
    this.stopped = true;
    // disconnect() lets the batch in hand finish (and be stored) first.
    await this.consumer?.disconnect().catch(() => {});
    this.finished?.();
  }
}
