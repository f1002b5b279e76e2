import { describe, expect, it } from 'vitest';
import { DataCheckError, DriverError } from '../errors.js';
import { validateEvent } from '../events/schema.js';
import type { CatalogSource, EventSink, OutgoingRecord } from '../ports/index.js';
import { runProduce, type ProduceOptions } from './job.js';

class MemorySink implements EventSink {
  readonly endpoint = 'memory-kafka';
  readonly topics = new Map<string, OutgoingRecord[][]>();
  async ensureTopic(topic: string): Promise<boolean> {
    if (this.topics.has(topic)) return false;
    this.topics.set(topic, []);
    return true;
  }
  async send(topic: string, records: readonly OutgoingRecord[]): Promise<void> {
    this.topics.get(topic)?.push([...records]);
  }
  records(topic: string): OutgoingRecord[] {
    return (this.topics.get(topic) ?? []).flat();
  }
}

const catalog = (userIds: number[] = [1, 2, 3], productIds: number[] = [10, 11]): CatalogSource => ({
  ids: async () => ({ userIds, productIds }),
});
const options = (extra: Partial<ProduceOptions> = {}): ProduceOptions => ({
  topic: 't',
  partitions: 3,
  count: 100,
  follow: false,
  rate: undefined,
  seed: 42,
  ...extra,
});
function clock() {
  let t = 0;
  const slept: number[] = [];
  return {
    slept,
    run: { now: () => t, sleep: async (ms: number) => void (slept.push(ms), (t += ms)), stopped: () => false },
  };
}

describe('runProduce', () => {
  it('sends exactly the count, keyed by user, each a valid event of a known user and product', async () => {
    const sink = new MemorySink();
    const report = await runProduce(sink, catalog(), options({ count: 1234, batchSize: 500 }), clock().run);
    expect(report).toMatchObject({ topic: 't', topicCreated: true, events: 1234 });
    const records = sink.records('t');
    expect(records).toHaveLength(1234);
    expect(sink.topics.get('t')?.map((b) => b.length)).toEqual([500, 500, 234]);
    for (const r of records) {
      const v = validateEvent(Buffer.from(r.value));
      expect(v.ok).toBe(true);
      if (!v.ok) continue;
      expect(r.key).toBe(String(v.event.userId));
      expect([1, 2, 3]).toContain(v.event.userId);
      if (v.event.productId !== null) expect([10, 11]).toContain(v.event.productId);
    }
  });

  it('creates the topic only when missing', async () => {
    const sink = new MemorySink();
    await runProduce(sink, catalog(), options({ count: 1 }), clock().run);
    expect((await runProduce(sink, catalog(), options({ count: 1 }), clock().run)).topicCreated).toBe(false);
  });

  it('keeps to --rate by sleeping between batches', async () => {
    const { run, slept } = clock();
    const report = await runProduce(new MemorySink(), catalog(), options({ count: 100, rate: 50 }), run);
    expect(report.events).toBe(100);
    expect(slept.reduce((a, b) => a + b, 0)).toBe(2000);
    expect(report.eventsPerSecond).toBeCloseTo(50);
  });

  it('follows until stopped, finishing the batch in hand', async () => {
    const sink = new MemorySink();
    let batches = 0;
    const report = await runProduce(sink, catalog(), options({ count: undefined, follow: true, batchSize: 10 }), {
      ...clock().run,
      stopped: () => batches >= 3,
      onProgress: () => void batches++,
    });
    expect(report.events).toBe(30);
  });

  it('needs users: a missing table or an empty one is a data check (exit 4) naming etl seed', async () => {
    const missing: CatalogSource = {
      ids: () => Promise.reject(new DriverError('missing-table', 'postgres', 'relation "users" does not exist')),
    };
    const noTable = await runProduce(new MemorySink(), missing, options(), clock().run).catch((e: unknown) => e);
    expect(noTable).toBeInstanceOf(DataCheckError);
    expect((noTable as DataCheckError).hint).toContain('etl seed');
    await expect(runProduce(new MemorySink(), catalog([]), options(), clock().run)).rejects.toThrow(/no users/);
  });
});
