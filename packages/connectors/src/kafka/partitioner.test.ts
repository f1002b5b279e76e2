import { Partitioners, type PartitionMetadata } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { keyPartition, keyPartitioner, murmur2 } from './partitioner.js';

const metadata = (n: number): PartitionMetadata[] =>
  Array.from({ length: n }, (_, partitionId) => ({
    partitionId,
    leader: 1,
    replicas: [1],
    isr: [1],
    offlineReplicas: [],
    partitionErrorCode: 0,
  }));

describe('keyPartitioner', () => {
  it('matches the Java client: murmur2 of known inputs', () => {
    // Values from org.apache.kafka.common.utils.UtilsTest.testMurmur2.
    const cases: [string, number][] = [
      ['21', -973932308],
      ['foobar', -790332482],
      ['a-little-bit-long-string', -985981536],
      ['a-little-bit-longer-string', -1486304829],
      ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
      ['abc', 479470107],
    ];
    for (const [input, hash] of cases) expect(murmur2(Buffer.from(input))).toBe(hash);
  });

  it("chooses the partition kafkajs' DefaultPartitioner chooses, for every kind of key", () => {
    const theirs = Partitioners.DefaultPartitioner();
    const ours = keyPartitioner();
    const keys: (string | Buffer)[] = [
      '',
      'a',
      'ab',
      'abc',
      'abcd',
      '{"order_id":"12345"}',
      'ü€😀',
      Buffer.from([255, 0, 7]),
    ];
    for (let i = 0; i < 5000; i++)
      keys.push(JSON.stringify({ order_detail_id: String(i * 7919), x: 'é'.repeat(i % 5) }));
    for (const partitions of [1, 3, 7, 64]) {
      for (const key of keys) {
        const args = { topic: 't', partitionMetadata: metadata(partitions), message: { key, value: 'v' } };
        expect(ours(args)).toBe(theirs(args));
        expect(keyPartition(key, partitions)).toBe(theirs(args));
      }
    }
  });

  it('keeps an explicit partition and spreads unkeyed records over the partitions with a leader', () => {
    const choose = keyPartitioner();
    const partitionMetadata = metadata(3);
    expect(choose({ topic: 't', partitionMetadata, message: { key: 'k', value: 'v', partition: 2 } })).toBe(2);
    partitionMetadata[1] = { ...partitionMetadata[1]!, leader: -1 };
    const seen = new Set(
      Array.from({ length: 6 }, () => choose({ topic: 't', partitionMetadata, message: { value: 'v' } })),
    );
    expect([...seen].sort()).toEqual([0, 2]);
  });
});
