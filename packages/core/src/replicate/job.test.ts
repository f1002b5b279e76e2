import { describe, expect, it } from 'vitest';
import { UsageError } from '../errors.js';
import type {
  ChunkedCopy,
  KeyBound,
  KeySpan,
  LoadDataText,
  PgCopyBytes,
  ReplicaSource,
  ReplicaState,
  ReplicaStateUpdate,
  ReplicaTarget,
} from '../ports/index.js';
import type { SourceTable } from '../catalog/source-table.js';
import { exactPatterns } from '../catalog/selection.js';
import { shopSourceTable } from '../schema/shop-catalog.js';
import { chooseMode, runReplicate, type ReplicateOptions } from './job.js';
import { planMasks } from './masks.js';
import { KEY_RANGE_SIZE, mask, type ReplicaSpec } from './spec.js';

/**
 * A users row as COPY text: user_id, first_name, last_name, email, phone, registration_date, loyalty_status,
 * updated_at.
 */
const user = (id: number, updated = '2025-12-01 00:00:00.000000', phone: string | null = `555-${id}`) =>
  [
    String(id),
    `First${id}`,
    `Last${id}`,
    ` User${id}@Example.org`,
    phone ?? '\\N',
    '2025-01-01 00:00:00.000000',
    'None',
    updated,
  ].join('\t');

/** PostgreSQL in memory: rows as COPY text lines, each with its updated_at. */
class MemorySource implements ReplicaSource {
  readonly endpoint = 'memory-pg';
  rows = new Map<number, string>();
  watermark = '2026-01-01 00:00:00.000000';
  reads: { table: string; since: string | null; span?: KeySpan }[] = [];
  /** The catalog of a database etl seeded: the shop's users, and etl's schema version table. */
  catalog: SourceTable[] = [
    shopSourceTable('users'),
    { ...shopSourceTable('users'), name: { schema: 'etl_state', name: 'schema_migrations' }, columns: [] },
  ];

  async tables(): Promise<SourceTable[]> {
    return this.catalog;
  }

  snapshots = 0;

  async read<T>(
    spec: ReplicaSpec,
    since: string | null,
    consume: (chunks: AsyncIterable<PgCopyBytes>, watermark: string) => Promise<T>,
    _snapshot?: string,
    span?: KeySpan,
  ): Promise<T> {
    this.reads.push({ table: spec.table, since, ...(span === undefined ? {} : { span }) });
    const within = (k: number) =>
      (span?.after == null || k > Number(span.after[0])) && (span?.upTo == null || k <= Number(span.upTo[0]));
    const lines = [...this.rows]
      .sort(([a], [b]) => a - b)
      .filter(([k]) => within(k))
      .map(([, line]) => line)
      .filter((line) => since === null || (line.split('\t').at(-1) ?? '') >= since);
    // Chunks cut mid-row, as COPY delivers them.
    const text = Buffer.from(lines.map((l) => `${l}\n`).join(''));
    async function* chunks(): AsyncGenerator<Buffer> {
      for (let i = 0; i < text.length; i += 7) yield text.subarray(i, i + 7);
    }
    return consume(chunks(), this.watermark);
  }
  /** Every `rows`-th key, as the sample would find it. */
  async chunkBounds(_spec: ReplicaSpec, rows: number): Promise<KeyBound[]> {
    const keys = [...this.rows.keys()].sort((a, b) => a - b);
    const bounds: KeyBound[] = [];
    for (let i = rows; i < keys.length; i += rows) bounds.push([String(keys[i - 1])]);
    return bounds;
  }
  async shareSnapshot<T>(work: (snapshot: { name: string; watermark: string }) => Promise<T>): Promise<T> {
    this.snapshots++;
    return work({ name: `snap-${this.snapshots}`, watermark: this.watermark });
  }
  async count(): Promise<number> {
    return this.rows.size;
  }
  async keyRangeCounts(): Promise<Map<string, number>> {
    return rangeCounts(this.rows.keys());
  }
  async keysIn(_spec: ReplicaSpec, keyRanges: readonly string[]): Promise<Set<string>> {
    return new Set(
      [...this.rows.keys()].filter((k) => keyRanges.includes(String(Math.floor(k / KEY_RANGE_SIZE)))).map(String),
    );
  }
  async keysAbsent(_spec: ReplicaSpec, keys: readonly (readonly string[])[]): Promise<string[]> {
    return keys.map((k) => k[0] ?? '').filter((k) => !this.rows.has(Number(k)));
  }
}

function rangeCounts(keys: Iterable<number>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const k of keys) {
    const r = String(Math.floor(k / KEY_RANGE_SIZE));
    counts.set(r, (counts.get(r) ?? 0) + 1);
  }
  return counts;
}

async function text(rows: AsyncIterable<LoadDataText>): Promise<string[][]> {
  let all = '';
  for await (const chunk of rows) all += chunk.toString();
  return all
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => l.split('\t'));
}

/** MySQL in memory: the replica's rows by key, and its recorded state. */
class MemoryTarget implements ReplicaTarget {
  readonly endpoint = 'memory-mysql';
  readonly notices: string[] = [];
  rows = new Map<number, string[]>();
  states = new Map<string, ReplicaState>();
  writes = 0;

  cdc: { slot: string; tables: string[] } | undefined;

  async prepare(): Promise<void> {}
  async addColumns(): Promise<void> {
    throw new Error('replicate never adds columns');
  }
  async drift(): Promise<string[]> {
    return [];
  }
  async state(table: string): Promise<ReplicaState | undefined> {
    return this.states.get(table);
  }
  async cdcTables(): Promise<{ slot: string; tables: string[] } | undefined> {
    return this.cdc;
  }
  private save(state: ReplicaStateUpdate): number {
    this.writes++;
    this.states.set(state.table, { ...state, targetRows: this.rows.size });
    return this.rows.size;
  }
  async replace(
    _spec: ReplicaSpec,
    rows: AsyncIterable<LoadDataText>,
    state: () => ReplicaStateUpdate,
  ): Promise<number> {
    const fresh = new Map<number, string[]>();
    for (const row of await text(rows)) fresh.set(Number(row[0]), row);
    this.rows = fresh;
    return this.save(state());
  }
  async upsert(
    _spec: ReplicaSpec,
    rows: AsyncIterable<LoadDataText>,
    state: () => ReplicaStateUpdate,
  ): Promise<number> {
    for (const row of await text(rows)) this.rows.set(Number(row[0]), row);
    return this.save(state());
  }

  /** A chunked copy's stage and record, as a kill leaves them. */
  copy: (Omit<ChunkedCopy, 'done'> & { done: Map<number, number>; stage: Map<number, string[]> }) | undefined;
  /** Test seam: the chunk whose load fails (a kill), once. */
  failChunk: number | undefined;
  chunksLoaded: number[] = [];
  async resumableCopy(): Promise<ChunkedCopy | undefined> {
    return this.copy === undefined ? undefined : { ...this.copy, done: new Map(this.copy.done) };
  }
  async startCopy(_spec: ReplicaSpec, copy: Omit<ChunkedCopy, 'done'>): Promise<void> {
    this.copy = { ...copy, done: new Map(), stage: new Map() };
  }
  async loadChunk(_spec: ReplicaSpec, chunk: number, rows: AsyncIterable<LoadDataText>): Promise<number> {
    const lines = await text(rows);
    if (chunk === this.failChunk) {
      this.failChunk = undefined;
      throw new Error(`killed loading chunk ${chunk}`);
    }
    for (const row of lines) this.copy?.stage.set(Number(row[0]), row);
    this.copy?.done.set(chunk, lines.length);
    this.chunksLoaded.push(chunk);
    return lines.length;
  }
  async finishCopy(_spec: ReplicaSpec, state: () => ReplicaStateUpdate): Promise<number> {
    this.rows = this.copy?.stage ?? new Map();
    this.copy = undefined;
    return this.save(state());
  }
  async keyRangeCounts(): Promise<Map<string, number>> {
    return rangeCounts(this.rows.keys());
  }
  async keysIn(_spec: ReplicaSpec, keyRanges: readonly string[]): Promise<Set<string>> {
    return new Set(
      [...this.rows.keys()].filter((k) => keyRanges.includes(String(Math.floor(k / KEY_RANGE_SIZE)))).map(String),
    );
  }
  async deleteKeys(_spec: ReplicaSpec, keys: readonly string[]): Promise<number> {
    for (const k of keys) this.rows.delete(Number(k));
    const state = this.states.get('users');
    if (state !== undefined) this.states.set('users', { ...state, targetRows: this.rows.size });
    return keys.length;
  }
}

const options = (extra: Partial<ReplicateOptions> = {}): ReplicateOptions => ({
  tables: exactPatterns(['users']),
  mode: undefined,
  concurrency: 1,
  deletes: true,
  ...extra,
});
const run = { now: () => 0 };
function shop(n: number): { source: MemorySource; target: MemoryTarget } {
  const source = new MemorySource();
  for (let id = 1; id <= n; id++) source.rows.set(id, user(id));
  return { source, target: new MemoryTarget() };
}

describe('runReplicate', () => {
  it('copies in full the first time, normalising emails, and records the state', async () => {
    const { source, target } = shop(3);
    const report = await runReplicate(source, target, options(), run);
    expect(report.tables[0]).toMatchObject({
      table: 'users',
      mode: 'full',
      rows: 3,
      targetRows: 3,
      masked: [],
      note: null,
    });
    expect(target.rows.get(2)?.[3]).toBe('user2@example.org');
    expect(target.states.get('users')).toMatchObject({
      mode: 'full',
      watermark: source.watermark,
      masked: [],
      targetRows: 3,
    });
  });

  it('switches to incremental once replicated, reading only from the watermark', async () => {
    const { source, target } = shop(3);
    await runReplicate(source, target, options(), run);
    source.watermark = '2026-02-01 00:00:00.000000';
    source.rows.set(2, user(2, '2026-01-15 00:00:00.000000', '999'));
    const report = await runReplicate(source, target, options(), run);
    expect(report.tables[0]).toMatchObject({ mode: 'incremental', rows: 1, deleted: 0, targetRows: 3 });
    expect(source.reads.at(-1)).toEqual({ table: 'users', since: '2026-01-01 00:00:00.000000' });
    expect(target.rows.get(2)?.[4]).toBe('999');
  });

  it('falls back to a full copy, and says why, when incremental is asked of a table never replicated', async () => {
    const { source, target } = shop(2);
    const report = await runReplicate(source, target, options({ mode: 'incremental' }), run);
    expect(report.tables[0]).toMatchObject({ mode: 'full', note: 'never replicated before: full copy' });
  });

  it('deletes from the replica the rows gone from the source, unless told not to', async () => {
    const { source, target } = shop(5);
    await runReplicate(source, target, options(), run);
    source.rows.delete(4);
    const kept = await runReplicate(source, target, options({ deletes: false }), run);
    expect(kept.tables[0]?.deleted).toBe(0);
    expect(target.rows.has(4)).toBe(true);
    const report = await runReplicate(source, target, options(), run);
    expect(report.tables[0]).toMatchObject({ deleted: 1, targetRows: 4 });
    expect(target.rows.has(4)).toBe(false);
  });

  it('keeps the recorded masks when no mask is asked for (the pipeline never unmasks)', async () => {
    const { source, target } = shop(3);
    const first = await runReplicate(source, target, options({ masks: { set: ['users.phone'] } }), run);
    expect(first.tables[0]).toMatchObject({ mode: 'full', masked: ['users.phone'], note: null });
    const later = await runReplicate(source, target, options(), run);
    expect(later.tables[0]).toMatchObject({ mode: 'incremental', masked: ['users.phone'] });
    source.watermark = '2026-03-01 00:00:00.000000';
    source.rows.set(3, user(3, '2026-02-01 00:00:00.000000', '123'));
    await runReplicate(source, target, options(), run);
    expect(target.rows.get(3)?.[4]).toBe(mask.js('123'));
  });

  it('refuses to unmask without confirmation, writing nothing, and copies in full when confirmed', async () => {
    const { source, target } = shop(3);
    await runReplicate(source, target, options({ masks: { set: ['users.phone', 'users.email'] } }), run);
    const writes = target.writes;
    const refused = await runReplicate(source, target, options({ masks: { unmask: ['users.phone'] } }), run).catch(
      (e: unknown) => e,
    );
    expect(refused).toBeInstanceOf(UsageError);
    expect((refused as Error).message).toContain('users.phone');
    const narrowed = await runReplicate(source, target, options({ masks: { set: ['users.email'] } }), {
      ...run,
      confirmUnmask: async () => false,
    }).catch((e: unknown) => e);
    expect(narrowed).toBeInstanceOf(UsageError);
    expect(target.writes).toBe(writes);
    expect(target.rows.get(1)?.[4]).toBe(mask.js('555-1'));

    const asked: string[][] = [];
    const confirmed = await runReplicate(source, target, options({ masks: { unmask: ['users.phone'] } }), {
      ...run,
      confirmUnmask: async (columns) => (asked.push([...columns]), true),
    });
    expect(asked).toEqual([['users.phone']]);
    expect(confirmed.tables[0]).toMatchObject({
      mode: 'full',
      masked: ['users.email'],
      note: 'masked columns changed: full copy',
    });
    expect(target.rows.get(1)?.[4]).toBe('555-1');
  });

  it('refuses a concurrency below 1 before touching anything', async () => {
    const { source, target } = shop(1);
    await expect(runReplicate(source, target, options({ concurrency: 0 }), run)).rejects.toThrow(/--concurrency/);
    expect(target.writes).toBe(0);
  });
});

describe('runReplicate by key chunks', () => {
  it('copies a table larger than a chunk by chunks in one snapshot, and says how many', async () => {
    const { source, target } = shop(10);
    const report = await runReplicate(source, target, options({ chunkRows: 3, concurrency: 2 }), run);
    expect(report.tables[0]).toMatchObject({ mode: 'full', rows: 10, targetRows: 10, chunks: 4, resumedChunks: 0 });
    expect(source.snapshots).toBe(1);
    expect(source.reads.map((r) => r.span)).toEqual([
      { after: null, upTo: ['3'] },
      { after: ['3'], upTo: ['6'] },
      { after: ['6'], upTo: ['9'] },
      { after: ['9'], upTo: null },
    ]);
    expect([...target.rows.keys()].sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(target.rows.get(2)?.[3]).toBe('user2@example.org');
    expect(target.states.get('users')).toMatchObject({ mode: 'full', rows: 10, targetRows: 10 });
  });

  it('after a kill, loads only the chunks not done, then copies again what changed and deletes what went', async () => {
    const { source, target } = shop(10);
    target.failChunk = 2;
    await expect(runReplicate(source, target, options({ chunkRows: 3 }), run)).rejects.toThrow(/chunk 2/);
    expect(target.rows.size).toBe(0); // nothing swapped in
    expect([...(target.copy?.done.keys() ?? [])]).toEqual([0, 1]);
    // Meanwhile the source moves on: a row of a done chunk changes, another goes.
    const firstWatermark = source.watermark;
    source.watermark = '2026-02-01 00:00:00.000000';
    source.rows.set(2, user(2, '2026-01-15 00:00:00.000000', '999'));
    source.rows.delete(5);
    target.chunksLoaded = [];
    const report = await runReplicate(source, target, options({ chunkRows: 3 }), run);
    expect(target.chunksLoaded).toEqual([2, 3]);
    expect(report.tables[0]).toMatchObject({ mode: 'full', chunks: 4, resumedChunks: 2, deleted: 1, targetRows: 9 });
    expect(report.tables[0]?.note).toMatch(/resumed: 2 of 4 chunks/);
    expect(source.reads.at(-1)).toEqual({ table: 'users', since: firstWatermark });
    expect(target.rows.get(2)?.[4]).toBe('999');
    expect(target.rows.has(5)).toBe(false);
    expect(target.states.get('users')).toMatchObject({ watermark: source.watermark, targetRows: 9 });
  });

  it('refuses a chunk size below 1', async () => {
    const { source, target } = shop(1);
    await expect(runReplicate(source, target, options({ chunkRows: 0 }), run)).rejects.toThrow(/--chunk-rows/);
  });
});

describe('chooseMode and planMasks', () => {
  const state = (masked: string[]): ReplicaState => ({
    table: 'users',
    mode: 'full',
    watermark: 'w',
    masked,
    rows: 1,
    targetRows: 1,
  });
  it('chooses the mode from what was asked and what the replica holds', () => {
    expect(chooseMode(undefined, undefined, [])).toEqual({ mode: 'full', note: null });
    expect(chooseMode('incremental', undefined, [])).toEqual({
      mode: 'full',
      note: 'never replicated before: full copy',
    });
    expect(chooseMode(undefined, state([]), [])).toEqual({ mode: 'incremental', note: null });
    expect(chooseMode('full', state([]), ['users.email'])).toEqual({ mode: 'full', note: null });
    expect(chooseMode('incremental', state(['users.email']), [])).toEqual({
      mode: 'full',
      note: 'masked columns changed: full copy',
    });
  });
  it('keeps, replaces and removes masks per table, naming what would be unmasked', () => {
    const recorded = new Map<string, readonly string[]>([['users', ['users.email', 'users.phone']]]);
    const keep = planMasks(['users', 'orders'], recorded, {});
    expect(Object.fromEntries(keep.byTable)).toEqual({ users: ['users.email', 'users.phone'], orders: [] });
    expect(keep.unmasked).toEqual([]);
    expect(planMasks(['users'], recorded, { set: ['users.email'] }).unmasked).toEqual(['users.phone']);
    expect(planMasks(['users'], recorded, { unmask: ['users.email'] }).byTable.get('users')).toEqual(['users.phone']);
    expect(
      planMasks(['users'], new Map(), { set: ['users.phone', 'products.description'] }).byTable.get('users'),
    ).toEqual(['users.phone']);
  });
});

describe('runReplicate beside etl cdc', () => {
  it('refuses the tables cdc keeps current (exit 2, with the way out) before writing anything', async () => {
    const { source, target } = shop(3);
    target.cdc = { slot: 'etl_cdc_etl', tables: ['users', 'orders'] };
    const refused = runReplicate(source, target, options(), run);
    await expect(refused).rejects.toThrow(/users is kept current by etl cdc \(slot etl_cdc_etl\)/);
    await expect(refused).rejects.toMatchObject({ exitCode: 2, hint: expect.stringMatching(/etl cdc reset --yes/) });
    expect(target.writes).toBe(0);
    expect(target.rows.size).toBe(0);
  });

  it('copies the tables cdc does not keep', async () => {
    const { source, target } = shop(3);
    target.cdc = { slot: 'etl_cdc_etl', tables: ['orders'] };
    const report = await runReplicate(source, target, options(), run);
    expect(report.tables.map((t) => t.table)).toEqual(['users']);
  });
});
