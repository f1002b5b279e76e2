import { describe, expect, it } from 'vitest';
import { admit, classifyBatch, drained, partitionStatus, type KafkaRecord } from './stream.js';

const at = (...offsets: number[]): KafkaRecord[] => offsets.map((o) => ({ offset: String(o), key: null, value: null }));

describe('admit', () => {
  it('takes a batch that starts where PostgreSQL says the partition continues', () => {
    expect(admit(at(10, 11, 12), 10n, false)).toEqual({ records: at(10, 11, 12) });
  });
  it('drops the records already stored from a batch that starts earlier (a replay)', () => {
    expect(admit(at(8, 9, 10, 11), 10n, false)).toEqual({ records: at(10, 11) });
    expect(admit(at(3, 4), 10n, false)).toEqual({ records: [] });
  });
  it('sends the consumer back when Kafka ran ahead of what was stored', () => {
    expect(admit(at(20, 21), 10n, false)).toEqual({ seek: '10' });
  });
  it('goes back only once: a batch that still starts later means retention deleted the gap', () => {
    expect(admit(at(20, 21), 10n, true)).toEqual({ records: at(20, 21) });
  });
  it('compares offsets as numbers, not text', () => {
    expect(admit(at(9, 10), 10n, false)).toEqual({ records: at(10) });
    expect(admit(at(100), 99n, false)).toEqual({ seek: '99' });
  });
});

describe('classifyBatch', () => {
  it('splits records into events and dead letters with their coordinates and the next offset', () => {
    const good = { event_id: '3f1c2a9e-5b7d-4c1e-9a2b-0d4e6f8a1b2c', event_type: 'login', user_id: 1, timestamp: '2025-03-01T10:00:00Z', page_url: '/', ip_address: '10.0.0.1' };
    const r = classifyBatch({
      topic: 't',
      partition: 2,
      records: [
        { offset: '41', key: Buffer.from('1'), value: Buffer.from(JSON.stringify(good)) },
        { offset: '42', key: Buffer.from('k'), value: Buffer.from('nope') },
      ],
    });
    expect(r.events).toEqual([{ topic: 't', partition: 2, offset: '41', event: expect.objectContaining({ eventType: 'login', occurredAt: '2025-03-01T10:00:00.000Z' }) as unknown }]);
    expect(r.deadLetters).toEqual([{ topic: 't', partition: 2, offset: '42', key: Buffer.from('k'), value: Buffer.from('nope'), reason: expect.stringMatching(/^not JSON/) as unknown }]);
    expect(r.nextOffset).toBe('43');
  });
});

describe('partitionStatus and drained', () => {
  it('reports lag per partition and knows when every partition reached its end', () => {
    const ends = new Map([[0, '10'], [1, '5']]);
    expect(partitionStatus(ends, new Map([[0, '7']]))).toEqual([
      { partition: 0, endOffset: '10', storedOffset: '7', lag: '3' },
      { partition: 1, endOffset: '5', storedOffset: null, lag: '5' },
    ]);
    expect(drained(ends, new Map([[0, '10']]))).toBe(false);
    expect(drained(ends, new Map([[0, '10'], [1, '5']]))).toBe(true);
  });
});
