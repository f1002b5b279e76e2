import { describe, expect, it } from 'vitest';
import type { DeadLetterRow, EventRow, EventSource, EventStore, KafkaRecord } from '../ports/index.js';
import { PartitionCursors, admit, classifyBatch, drained, partitionStatus, runStream } from './job.js';
import { ServiceUnreachableError } from '../errors.js';

const at = (...offsets: number[]): KafkaRecord[] => offsets.map((o) => ({ offset: String(o), key: null, value: null }));

describe('admit', () => {
  it('takes a batch that starts where PostgreSQL says the partition continues', () => {
    expect(admit(at(10, 11, 12), 10n)).toEqual({ records: at(10, 11, 12) });
  });
  it('drops the records already stored from a batch that starts earlier (a replay)', () => {
    expect(admit(at(8, 9, 10, 11), 10n)).toEqual({ records: at(10, 11) });
    expect(admit(at(3, 4), 10n)).toEqual({ records: [] });
  });
  it('sends the consumer back when Kafka ran ahead of what was stored', () => {
    expect(admit(at(20, 21), 10n)).toEqual({ seek: '10' });
  });
  it('goes back again while Kafka still holds the gap (a batch fetched before the seek)', () => {
    expect(admit(at(20, 21), 10n, 0n)).toEqual({ seek: '10' });
    expect(admit(at(20, 21), 10n, 10n)).toEqual({ seek: '10' });
  });
  it('goes on without the gap when retention deleted it', () => {
    expect(admit(at(20, 21), 10n, 15n)).toEqual({ records: at(20, 21) });
  });
  it('compares offsets as numbers, not text', () => {
    expect(admit(at(9, 10), 10n)).toEqual({ records: at(10) });
    expect(admit(at(100), 99n)).toEqual({ seek: '99' });
  });
});

describe('PartitionCursors', () => {
  const offsets = new Map([[0, { earliest: '0', end: '100' }]]);
  it('sends a stale batch back every time while Kafka holds the gap, and never skips it', async () => {
    const asked: number[] = [];
    const cursors = new PartitionCursors(
      async () => new Map([[0, '10']]),
      offsets,
      async (p) => {
        asked.push(p);
        return '0';
      },
    );
    await cursors.resume([0]);
    expect(await cursors.admit(0, at(50, 51))).toEqual({ seek: '10' });
    // Batches fetched before that seek still arrive: each is sent back, none is taken.
    expect(await cursors.admit(0, at(52, 53))).toEqual({ seek: '10' });
    expect(await cursors.admit(0, at(54))).toEqual({ seek: '10' });
    expect(asked).toEqual([0, 0]);
    expect(await cursors.admit(0, at(10, 11))).toEqual({ records: at(10, 11) });
    expect(await cursors.admit(0, at(12))).toEqual({ records: at(12) });
  });
  it('goes on past a gap that retention deleted', async () => {
    const cursors = new PartitionCursors(
      async () => new Map([[0, '10']]),
      offsets,
      async () => '40',
    );
    await cursors.resume([0]);
    expect(await cursors.admit(0, at(40, 41))).toEqual({ seek: '10' });
    expect(await cursors.admit(0, at(40, 41))).toEqual({ records: at(40, 41) });
  });
});

describe('classifyBatch', () => {
  it('splits records into events and dead letters with their coordinates and the next offset', () => {
    const good = {
      event_id: '3f1c2a9e-5b7d-4c1e-9a2b-0d4e6f8a1b2c',
      event_type: 'login',
      user_id: 1,
      timestamp: '2025-03-01T10:00:00Z',
      page_url: '/',
      ip_address: '10.0.0.1',
    };
    const r = classifyBatch({
      topic: 't',
      partition: 2,
      records: [
        { offset: '41', key: Buffer.from('1'), value: Buffer.from(JSON.stringify(good)) },
        { offset: '42', key: Buffer.from('k'), value: Buffer.from('nope') },
      ],
    });
    expect(r.events).toEqual([
      {
        topic: 't',
        partition: 2,
        offset: '41',
        event: expect.objectContaining({ eventType: 'login', occurredAt: '2025-03-01T10:00:00.000Z' }) as unknown,
      },
    ]);
    expect(r.deadLetters).toEqual([
      {
        topic: 't',
        partition: 2,
        offset: '42',
        key: Buffer.from('k'),
        value: Buffer.from('nope'),
        reason: expect.stringMatching(/^not JSON/) as unknown,
      },
    ]);
    expect(r.nextOffset).toBe('43');
  });
});

describe('partitionStatus and drained', () => {
  it('reports lag per partition and knows when every partition reached its end', () => {
    const ends = new Map([
      [0, '10'],
      [1, '5'],
    ]);
    expect(partitionStatus(ends, new Map([[0, '7']]))).toEqual([
      { partition: 0, endOffset: '10', storedOffset: '7', lag: '3' },
      { partition: 1, endOffset: '5', storedOffset: null, lag: '5' },
    ]);
    expect(drained(ends, new Map([[0, '10']]))).toBe(false);
    expect(
      drained(
        ends,
        new Map([
          [0, '10'],
          [1, '5'],
        ]),
      ),
    ).toBe(true);
  });
});

/** A partition of records in memory, handed out in batches the way a consumer would. */
class MemorySource implements EventSource {
  readonly endpoint = 'memory';
  private stopped = false;
  constructor(private readonly batches: readonly KafkaRecord[][]) {}
  topicOffsets = async () => new Map([[0, { earliest: '0', end: String(this.batches.flat().length) }]]);
  async consume(options: Parameters<EventSource['consume']>[0]): Promise<void> {
    let at = BigInt((await options.onAssign([0])).get(0) ?? '0');
    while (!this.stopped) {
      const batch = this.batches.find((b) => BigInt(b[0]?.offset ?? -1) >= at);
      if (batch === undefined) break;
      const resume = await options.onBatch({ topic: 't', partition: 0, records: batch });
      at = resume === undefined ? BigInt(batch[batch.length - 1]?.offset ?? 0) + 1n : BigInt(resume);
    }
  }
  stop = async () => {
    this.stopped = true;
  };
}

/** Stores what it is given; `failures` are thrown, one per write, before anything is stored. */
class MemoryStore implements EventStore {
  readonly endpoint = 'memory';
  readonly written: string[] = [];
  readonly stored = new Map<number, string>();
  constructor(private readonly failures: (Error | undefined)[] = []) {}
  prepare = async () => {};
  offsets = async () => new Map(this.stored);
  async write(
    _g: string,
    _t: string,
    partition: number,
    events: readonly EventRow[],
    dead: readonly DeadLetterRow[],
    nextOffset: string,
  ) {
    const failure = this.failures.shift();
    if (failure !== undefined) throw failure;
    this.written.push(nextOffset);
    this.stored.set(partition, nextOffset);
    return { inserted: events.length, deadLettered: dead.length };
  }
}

describe('runStream', () => {
  const batches = [at(0, 1), at(2, 3), at(4, 5)];
  const lost = () =>
    new ServiceUnreachableError(
      'postgres',
      'PostgreSQL at db could not be reached: Connection terminated unexpectedly',
    );
  const run = (retries: string[]) => ({
    now: () => 0,
    sleep: async (ms: number) => void retries.push(`wait ${ms}`),
    pollMs: 5,
  });

  it('writes a batch again when the connection was lost, and stores every batch once, in order', async () => {
    const store = new MemoryStore([undefined, lost(), lost()]);
    const waits: string[] = [];
    const report = await runStream(
      new MemorySource(batches),
      store,
      { topic: 't', group: 'g', follow: false },
      run(waits),
    );
    expect(store.written).toEqual(['2', '4', '6']);
    expect(waits).toEqual(['wait 500', 'wait 1000']);
    expect(report).toMatchObject({ records: 6, deadLettered: 6, batches: 3 });
  });

  it('stops and fails on an error that is not transient, storing nothing after the failed batch', async () => {
    const store = new MemoryStore([undefined, new Error('permission denied for table kafka_events')]);
    await expect(
      runStream(new MemorySource(batches), store, { topic: 't', group: 'g', follow: false }, run([])),
    ).rejects.toThrow(/permission denied/);
    expect(store.written).toEqual(['2']);
    expect(store.stored.get(0)).toBe('2');
  });

  it('gives up after the last retry with the error, the stored offset where the last good batch left it', async () => {
    const store = new MemoryStore([undefined, ...Array.from({ length: 6 }, lost)]);
    const waits: string[] = [];
    await expect(
      runStream(new MemorySource(batches), store, { topic: 't', group: 'g', follow: false }, run(waits)),
    ).rejects.toThrow(/Connection terminated/);
    expect(waits).toHaveLength(5);
    expect(store.stored.get(0)).toBe('2');
  });

  it('resumes at the offset the store holds, storing nothing twice', async () => {
    const store = new MemoryStore();
    store.stored.set(0, '4');
    const report = await runStream(
      new MemorySource(batches),
      store,
      { topic: 't', group: 'g', follow: false },
      run([]),
    );
    expect(store.written).toEqual(['6']);
    expect(report.records).toBe(2);
  });
});
