/**
 * `etl doctor` for Kafka: cluster id, brokers, and the events topic's partitions.
 *
 * The Kafka protocol does not report a broker's release, so the version column shows the
 * cluster's shape instead.
 */
import type { ServiceInfo, ServiceProbe } from '@etl/core';
import { createKafka } from './client.js';
import { kafkaError } from './errors.js';

export class KafkaProbe implements ServiceProbe {
  readonly service = 'kafka' as const;
  readonly endpoint: string;

  constructor(
    private readonly brokers: readonly string[],
    private readonly topic: string,
    private readonly connectTimeoutMs = 3000,
  ) {
    this.endpoint = brokers.join(',');
  }

  async describe(): Promise<ServiceInfo> {
    const kafka = createKafka({
      brokers: this.brokers,
      connectTimeoutMs: this.connectTimeoutMs,
      retries: 1,
      clientId: 'etl-doctor',
    });
    const admin = kafka.admin();
    try {
      await admin.connect();
      const cluster = await admin.describeCluster();
      const topics = await admin.listTopics();
      let topicInfo = `topic ${this.topic} not created yet`;
      if (topics.includes(this.topic)) {
        const meta = await admin.fetchTopicMetadata({ topics: [this.topic] });
        const offsets = await admin.fetchTopicOffsets(this.topic);
        const messages = offsets.reduce((sum, p) => sum + (Number(p.high) - Number(p.low)), 0);
        topicInfo = `topic ${this.topic}: ${meta.topics[0]?.partitions.length ?? 0} partitions, ${messages} messages`;
      }
      return {
        version: `KRaft cluster ${cluster.clusterId}`,
        detail: `${cluster.brokers.length} broker(s), controller ${cluster.controller ?? 'none'}; ${topicInfo}`,
      };
    } catch (error) {
      throw kafkaError(error, this.endpoint);
    } finally {
      await admin.disconnect().catch(() => {});
    }
  }
}
