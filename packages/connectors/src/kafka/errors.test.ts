import { describe, expect, it } from 'vitest';
import { DriverError } from '@etl/core';
import { KafkaJSProtocolError } from 'kafkajs';
import { kafkaError } from './errors.js';

/** What kafkajs raises for a broker's error code. */
const protocolError = (type: string, code: number, retriable: boolean, message: string) =>
  new KafkaJSProtocolError({ message, type, code, retriable } as unknown as string);

describe('kafkaError', () => {
  it("takes a broker's retriable answer (a restart: no leader yet) for Kafka not being there, exit 3", () => {
    // What kafkajs raises while a restarted broker elects its partitions' leaders.
    const notLeader = protocolError(
      'NOT_LEADER_FOR_PARTITION',
      6,
      true,
      'This server is not the leader for that topic-partition',
    );
    const mapped = kafkaError(notLeader, '127.0.0.1:9092');
    expect(mapped).toBeInstanceOf(DriverError);
    expect(mapped).toMatchObject({ kind: 'unreachable', exitCode: 3 });
  });

  it('leaves an answer kafkajs does not retry as it is', () => {
    const refused = protocolError(
      'TOPIC_AUTHORIZATION_FAILED',
      29,
      false,
      'Not authorized to access topics: [Topic authorization failed.]',
    );
    expect(kafkaError(refused, '127.0.0.1:9092')).not.toBeInstanceOf(DriverError);
  });
});
