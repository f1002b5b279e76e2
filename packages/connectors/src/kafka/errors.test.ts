import { describe, expect, it } from 'vitest';
import { DriverError } from '@etl/core';
import { KafkaJSProtocolError } from 'kafkajs';
import { kafkaError } from './errors.js';

describe('kafkaError', () => {
  it("takes a broker's retriable answer (a restart: no leader yet) for Kafka not being there, exit 3", () => {
    // What kafkajs raises while a restarted broker elects its partitions' leaders.
    const notLeader = new KafkaJSProtocolError({
      message: 'This server is not the leader for that topic-partition',
      type: 'NOT_LEADER_FOR_PARTITION',
      code: 6,
      retriable: true,
    } as unknown as string);
    const mapped = kafkaError(notLeader, '127.0.0.1:9092');
    expect(mapped).toBeInstanceOf(DriverError);
    expect(mapped).toMatchObject({ kind: 'unreachable', exitCode: 3 });
  });

  it('leaves an answer kafkajs does not retry as it is', () => {
    const refused = new KafkaJSProtocolError({
      message: 'Not authorized to access topics: [Topic authorization failed.]',
      type: 'TOPIC_AUTHORIZATION_FAILED',
      code: 29,
      retriable: false,
    } as unknown as string);
    expect(kafkaError(refused, '127.0.0.1:9092')).not.toBeInstanceOf(DriverError);
  });
});
