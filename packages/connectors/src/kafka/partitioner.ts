/**
 * Which partition a keyed record goes to: Kafka's own rule (the Java client's default
 * partitioner: murmur2 of the key's bytes, made positive, modulo the partition count), so a
 * row's changes land where any Kafka client would put them and stay in order there.
 *
 * kafkajs' default partitioner computes the same hash with a 64-bit Long emulation and filters
 * the partition list once per record; at cdc capture's rates that was a tenth of its CPU. Here
 * the hash runs in 32-bit integer arithmetic (Math.imul), which is all the Java code ever kept.
 */
import type { ICustomPartitioner } from 'kafkajs';

const SEED = 0x9747b28c;
const M = 0x5bd1e995;

/** Kafka's murmur2 (org.apache.kafka.common.utils.Utils.murmur2) of the bytes. */
export function murmur2(data: Uint8Array): number {
  const length = data.length;
  let h = SEED ^ length;
  const whole = length & ~3;
  for (let i = 0; i < whole; i += 4) {
    let k = data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24);
    k = Math.imul(k, M);
    k ^= k >>> 24;
    k = Math.imul(k, M);
    h = Math.imul(h, M) ^ k;
  }
  switch (length & 3) {
    case 3:
      h ^= data[whole + 2]! << 16;
    // falls through
    case 2:
      h ^= data[whole + 1]! << 8;
    // falls through
    case 1:
      h ^= data[whole]!;
      h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

/** The partition of a key among `partitions`, as Kafka's default partitioner chooses it. */
export function keyPartition(key: string | Buffer, partitions: number): number {
  const bytes = typeof key === 'string' ? Buffer.from(key, 'utf8') : key;
  return (murmur2(bytes) & 0x7fffffff) % partitions;
}

/**
 * kafkajs' partitioner with the same choices as its DefaultPartitioner for keyed records (and
 * an explicit partition wins); unkeyed records fall back to kafkajs' own round robin.
 */
export const keyPartitioner: ICustomPartitioner = () => {
  let next = 0;
  return ({ partitionMetadata, message }) => {
    if (message.partition !== null && message.partition !== undefined) return message.partition;
    if (message.key !== null && message.key !== undefined) return keyPartition(message.key, partitionMetadata.length);
    const available = partitionMetadata.filter((p) => p.leader >= 0);
    const from = available.length > 0 ? available : partitionMetadata;
    return from[next++ % from.length]!.partitionId;
  };
};
