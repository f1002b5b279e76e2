/**
 * patches/kafkajs@2.2.4.patch makes kafkajs' producer encode a batch's records in one buffer,
 * group messages by partition in one pass and compute CRC32C eight bytes at a time. Each must
 * write exactly the bytes the code it replaces wrote (the broker rejects a batch whose CRC is
 * wrong, consumers misread a record whose varints are).
 */
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);
interface Encoder {
  buffer: Buffer;
}
type RecordArgs = { offsetDelta: number; timestampDelta: number; key?: unknown; value?: unknown; headers?: object };
const Record = require('kafkajs/src/protocol/recordBatch/record/v0') as (args: RecordArgs) => Encoder;
const encodeRecords = require('kafkajs/src/protocol/recordBatch/record/v0/encodeRecords') as (
  messages: object[],
  timestampDelta: (m: { timestamp?: number }) => number,
) => Buffer | null;
const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0') as {
  RecordBatch: (args: object) => Promise<Encoder>;
};
const produceRequest = require('kafkajs/src/protocol/requests/produce/v7/request') as (args: object) => {
  encode: () => Promise<Encoder>;
};
const Decoder = require('kafkajs/src/protocol/decoder') as new (b: Buffer) => KafkaDecoder;
interface KafkaDecoder {
  readString(): string;
  readInt16(): number;
  readInt32(): number;
  offset: number;
}
const decodeRecordBatch = require('kafkajs/src/protocol/recordBatch/v0/decoder') as (d: KafkaDecoder) => Promise<{
  lastOffsetDelta: number;
  firstSequence: number;
  records: { key: Buffer | null; value: Buffer | null; offset: string }[];
}>;
const crc32C = require('kafkajs/src/protocol/recordBatch/crc32C/crc32C') as (b: Buffer) => number;
const groupMessagesPerPartition = require('kafkajs/src/producer/groupMessagesPerPartition') as (args: {
  topic: string;
  partitionMetadata: object[];
  messages: { key: string }[];
  partitioner: (args: { message: { key: string } }) => number;
}) => Record<string, { key: string }[]>;

/** CRC32C one bit at a time: the definition, not a table. */
function crc32cReference(bytes: Buffer): number {
  let crc = ~0;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = (crc >>> 1) ^ (0x82f63b78 & -(crc & 1));
  }
  return ~crc >>> 0;
}

const messages = (): { key?: unknown; value?: unknown; timestamp?: number }[] => [
  { key: '{"order_id":"1"}', value: '{"op":"insert"}' },
  { key: null, value: 'no key' },
  { key: undefined, value: null },
  { key: '', value: '' },
  { key: 'ü€😀', value: '😀'.repeat(40) },
  { key: Buffer.from([0, 255, 7]), value: randomBytes(300) },
  { key: 'k', value: 'x'.repeat(20_000) },
  { key: 'k', value: 'y'.repeat(3_000_000) },
  { key: 'late', value: 'v', timestamp: 1_700_000_900_000 },
  { key: 'early', value: 'v', timestamp: 1_699_000_000_000 },
  ...Array.from({ length: 300 }, (_, i) => ({ key: `key-${i}`, value: JSON.stringify({ i }) })),
];

describe('kafkajs patch', () => {
  const first = 1_700_000_000_000;
  const delta = (m: { timestamp?: number }): number => (m.timestamp ?? first) - first;

  it("encodes a batch's records byte for byte as Record() does, one by one", () => {
    const list = messages();
    const expected = Buffer.concat(
      list.map((m, i) => Record({ ...m, offsetDelta: i, timestampDelta: delta(m) }).buffer),
    );
    const actual = encodeRecords(list, delta);
    expect(actual).not.toBeNull();
    expect(actual!.equals(expected)).toBe(true);
  });

  it('builds the same record batch (header, CRC, records) from records encoded in one buffer', async () => {
    const list = messages();
    const common = { firstTimestamp: first, maxTimestamp: first + 900_000, producerEpoch: 3, firstSequence: 41 };
    const general = await RecordBatch({
      ...common,
      records: list.map((m, i) => Record({ ...m, offsetDelta: i, timestampDelta: delta(m) })),
      lastOffsetDelta: list.length - 1,
    });
    const fast = await RecordBatch({
      ...common,
      records: [],
      encodedRecords: encodeRecords(list, delta),
      recordCount: list.length,
      lastOffsetDelta: list.length - 1,
    });
    expect(fast.buffer.equals(general.buffer)).toBe(true);
  });

  it('sends a produce request whose batch decodes back to the messages, its offsets and CRC right', async () => {
    const list = messages().filter((m) => m.timestamp === undefined);
    const request = produceRequest({
      acks: -1,
      timeout: 30_000,
      producerEpoch: 0,
      topicData: [{ topic: 'orders', partitions: [{ partition: 2, firstSequence: 7, messages: list }] }],
    });
    const bytes = (await request.encode()).buffer;
    const d = new Decoder(bytes);
    d.readString(); // transactional id
    expect([d.readInt16(), d.readInt32(), d.readInt32(), d.readString(), d.readInt32()]).toEqual([
      -1,
      30_000,
      1,
      'orders',
      1,
    ]);
    expect(d.readInt32()).toBe(2);
    const size = d.readInt32();
    const batch = bytes.subarray(d.offset, d.offset + size);
    // The broker checks the CRC over everything after it (attributes onwards).
    expect(batch.readUInt32BE(17)).toBe(crc32cReference(batch.subarray(21)));
    const decoded = await decodeRecordBatch(new Decoder(batch));
    expect(decoded.lastOffsetDelta).toBe(list.length - 1);
    expect(decoded.firstSequence).toBe(7);
    expect(decoded.records.map((r) => r.offset)).toEqual(list.map((_, i) => String(i)));
    const asBuffer = (v: unknown): Buffer | null =>
      v == null ? null : Buffer.isBuffer(v) ? v : Buffer.from(v as string, 'utf8');
    const same = (a: Buffer | null, b: Buffer | null): boolean => (a === null ? b === null : b !== null && a.equals(b));
    const differing = decoded.records.filter(
      (r, i) => !same(r.key, asBuffer(list[i]!.key)) || !same(r.value, asBuffer(list[i]!.value)),
    );
    expect(differing).toEqual([]);
  });

  it('leaves headers, a number as key, or a timestamp delta beyond ±2^30 ms to the general path', () => {
    expect(encodeRecords([{ key: 'k', value: 'v', headers: { h: 'x' } }], delta)).toBeNull();
    expect(encodeRecords([{ key: 'k', value: 'v', timestamp: first + 2 ** 31 }], delta)).toBeNull();
    expect(encodeRecords([{ key: 12345, value: 'v' }], delta)).toBeNull();
    expect(encodeRecords([{ key: 'k', value: 'v', headers: {} }], delta)).not.toBeNull();
  });

  it('computes CRC32C as the definition does, for every length around the 8-byte steps', () => {
    expect(crc32C(Buffer.from('123456789'))).toBe(0xe3069283);
    for (let n = 0; n < 70; n++) {
      const bytes = randomBytes(n);
      expect(crc32C(bytes)).toBe(crc32cReference(bytes));
    }
    const large = randomBytes(1 << 20);
    expect(crc32C(large)).toBe(crc32cReference(large));
  });

  it('groups messages by partition keeping their order within each', () => {
    const list = Array.from({ length: 50_000 }, (_, i) => ({ key: String(i) }));
    const grouped = groupMessagesPerPartition({
      topic: 't',
      partitionMetadata: [{}, {}, {}],
      messages: list,
      partitioner: ({ message }) => Number(message.key) % 3,
    });
    expect(Object.keys(grouped).sort()).toEqual(['0', '1', '2']);
    for (const [p, ms] of Object.entries(grouped)) {
      expect(ms.length).toBe(list.filter((m) => Number(m.key) % 3 === Number(p)).length);
      expect(ms.every((m, i) => i === 0 || Number(m.key) > Number(ms[i - 1]!.key))).toBe(true);
    }
  });
});
