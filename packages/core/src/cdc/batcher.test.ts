import { describe, expect, it } from 'vitest';
import type { ChangeRecord, ChangeSink } from '../ports/index.js';
import { KafkaBatcher } from './batcher.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A sink whose every send takes `ms`, recording what reached it in order. */
function slowSink(ms: number): ChangeSink & { sent: string[] } {
  const sent: string[] = [];
  return {
    endpoint: 'test',
    sent,
    ensureTopics: async () => {},
    send: async (records: readonly ChangeRecord[]) => {
      await sleep(ms);
      sent.push(...records.map((r) => r.value));
    },
    close: async () => {},
  };
}

describe('KafkaBatcher', () => {
  it('sends batches in the order they were taken, even when flushes overlap', async () => {
    const sink = slowSink(20);
    const acked: bigint[] = [];
    const batcher = new KafkaBatcher(sink, (lsn) => acked.push(lsn), undefined);
    const take = (value: string, lsn: bigint) => {
      batcher.add({ topic: 't', key: value, value });
      batcher.complete(lsn);
      return batcher.flush();
    };
    // Two on their way, a third waits for room; then, once the first is acknowledged, a
    // fourth flush (the idle timer's) arrives while the third is still waiting.
    const first = [take('1', 1n), take('2', 2n), take('3', 3n)];
    await sleep(30);
    const fourth = take('4', 4n);
    await Promise.all([...first, fourth]);
    await batcher.drain();
    expect(sink.sent).toEqual(['1', '2', '3', '4']);
    expect(acked).toEqual([1n, 2n, 3n, 4n]);
  });

  it('keeps at most two batches on their way', async () => {
    const sink = slowSink(10);
    const batcher = new KafkaBatcher(sink, () => {}, undefined);
    for (let i = 0; i < 6; i++) {
      batcher.add({ topic: 't', key: String(i), value: String(i) });
      await batcher.flush();
      expect(sink.sent.length).toBeGreaterThanOrEqual(i - 1);
    }
    await batcher.drain();
    expect(sink.sent).toEqual(['0', '1', '2', '3', '4', '5']);
  });

  it('tells each acknowledged batch its records and the commit times of the transactions it completes', async () => {
    const sink = slowSink(5);
    const sent: { records: number; committed: readonly number[] }[] = [];
    const batcher = new KafkaBatcher(
      sink,
      () => {},
      undefined,
      (b) => sent.push(b),
    );
    // A transaction split over two batches: its commit time goes with the batch that ends it.
    batcher.add({ topic: 't', key: 'a', value: 'a' });
    await batcher.flush();
    batcher.add({ topic: 't', key: 'b', value: 'b' });
    batcher.complete(2n);
    batcher.committed(1_000);
    batcher.add({ topic: 't', key: 'c', value: 'c' });
    batcher.complete(3n);
    batcher.committed(2_000);
    await batcher.drain();
    expect(sent).toEqual([
      { records: 1, committed: [] },
      { records: 2, committed: [1_000, 2_000] },
    ]);
  });
});
