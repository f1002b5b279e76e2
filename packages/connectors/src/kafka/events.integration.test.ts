import { afterAll, describe, expect, it } from 'vitest';
import { TEST_KAFKA_BROKERS, throwawayDatabases } from '../testing/index.js';
import { KafkaEventSink, KafkaEventSource } from './events.js';

const dbs = throwawayDatabases();
afterAll(() => dbs.drop());

describe('KafkaEventSource.stop', () => {
  it('ends a consume that starts after it (a SIGTERM during start-up), instead of consuming forever', async () => {
    const sink = new KafkaEventSink({ brokers: TEST_KAFKA_BROKERS });
    await sink.ensureTopic(dbs.topic, 1);
    await sink.close();
    const options = {
      topic: dbs.topic,
      group: `${dbs.topic}-stop`,
      onAssign: async () => new Map<number, string>(),
      onBatch: async () => undefined,
    };
    const before = new KafkaEventSource({ brokers: TEST_KAFKA_BROKERS });
    await before.stop();
    await expect(before.consume(options)).resolves.toBeUndefined();

    // Stopped while it connects.
    const during = new KafkaEventSource({ brokers: TEST_KAFKA_BROKERS });
    const consuming = during.consume(options);
    await during.stop();
    const settled = await Promise.race([
      consuming.then(() => 'ended'),
      new Promise((r) => setTimeout(r, 15_000, 'hung')),
    ]);
    expect(settled).toBe('ended');
  });
});
