import { afterAll, describe, expect, it } from 'vitest';
import { TEST_KAFKA_BROKERS, throwawayDatabases } from '../testing/index.js';
import { createKafka } from './client.js';
import { kafkaError } from './errors.js';

const dbs = throwawayDatabases();
const topic = dbs.topic;
afterAll(() => dbs.drop());

describe('the project Kafka client against the pinned broker', () => {
  it('produces with the idempotent producer and consumes every record back, in order per partition', async () => {
    const kafka = createKafka({ brokers: TEST_KAFKA_BROKERS, clientId: 'etl-test' });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
    await admin.disconnect();

    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const sent = Array.from({ length: 300 }, (_, i) => ({ key: String(i % 7), value: JSON.stringify({ i }) }));
    await producer.send({ topic, acks: -1, messages: sent });
    await producer.disconnect();

    const consumer = kafka.consumer({ groupId: `${topic}-group` });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const received: { key: string; i: number }[] = [];
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`only ${received.length} of ${sent.length} records arrived`)),
        60_000,
      );
      void consumer.run({
        eachMessage: async ({ message }) => {
          received.push({
            key: message.key?.toString() ?? '',
            i: (JSON.parse(message.value?.toString() ?? '{}') as { i: number }).i,
          });
          if (received.length === sent.length) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
    await consumer.disconnect();

    expect(received.map((r) => r.i).sort((a, b) => a - b)).toEqual(sent.map((_, i) => i));
    for (const key of new Set(received.map((r) => r.key))) {
      const sameKey = received.filter((r) => r.key === key).map((r) => r.i);
      expect(sameKey).toEqual([...sameKey].sort((a, b) => a - b));
    }
  });

  it('reports an unreachable broker as a service error within seconds', async () => {
    const started = Date.now();
    const admin = createKafka({ brokers: ['127.0.0.1:1'], retries: 1, connectTimeoutMs: 1000 }).admin();
    const error = await admin.connect().then(
      () => undefined,
      (e: unknown) => kafkaError(e, '127.0.0.1:1'),
    );
    expect(error).toMatchObject({
      exitCode: 3,
      message: expect.stringContaining('Kafka at 127.0.0.1:1 could not be reached'),
    });
    expect(Date.now() - started).toBeLessThan(15_000);
  });
});
