import { describe, expect, it } from 'vitest';
import type { IdRange, LoadPart, SeedStore, Spool } from '../ports/index.js';
import { runSeed, type SeedProgress } from './job.js';
import { SEED_DEFAULTS, type SeedOptions } from './options.js';
import type { SeedTable } from './rows.js';

/** Binary COPY tuples as lines: the first field as its integer (the id), the others in hex. */
function binaryLines(bytes: Buffer): string[] {
  const lines: string[] = [];
  let at = 0;
  while (at < bytes.length) {
    const fields = bytes.readInt16BE(at);
    at += 2;
    const values: string[] = [];
    for (let f = 0; f < fields; f++) {
      const length = bytes.readInt32BE(at);
      at += 4;
      if (length === -1) {
        values.push('\\N');
        continue;
      }
      const field = bytes.subarray(at, at + length);
      at += length;
      if (f > 0) values.push(field.toString('hex'));
      else values.push(String(length === 4 ? field.readInt32BE(0) : Number(field.readBigInt64BE(0))));
    }
    lines.push(values.join('\t'));
  }
  return lines;
}

/** PostgreSQL in memory: each table's rows (COPY text lines) by their first column, the id. */
class MemorySeedStore implements SeedStore {
  readonly endpoint = 'memory-pg';
  readonly tables = new Map<string, Map<string, string>>();
  /** Loads after this many succeed fail, as a kill would stop them. */
  failAfter = Infinity;
  loads = 0;

  private table(name: string): Map<string, string> {
    let t = this.tables.get(name);
    if (t === undefined) this.tables.set(name, (t = new Map<string, string>()));
    return t;
  }
  async prepare(): Promise<void> {}
  async reset(): Promise<void> {
    this.tables.clear();
  }
  async missing(table: SeedTable, upTo: number): Promise<IdRange[]> {
    const have = this.table(table);
    const out: IdRange[] = [];
    for (let id = 1; id <= upTo; id++) {
      if (have.has(String(id))) continue;
      const last = out.at(-1);
      if (last !== undefined && last.to === id - 1) out[out.length - 1] = { from: last.from, to: id };
      else out.push({ from: id, to: id });
    }
    return out;
  }
  async count(table: SeedTable): Promise<number> {
    return this.table(table).size;
  }
  /** All parts or none, like the one transaction PostgreSQL runs. */
  async load(parts: readonly LoadPart[]): Promise<void> {
    if (this.loads >= this.failAfter) throw new Error('killed');
    const staged = parts.map((p) => ({
      table: p.table,
      lines:
        p.format === 'binary'
          ? binaryLines(Buffer.concat([...p.chunks].map((c) => (typeof c === 'string' ? Buffer.from(c) : c))))
          : [...p.chunks]
              .join('')
              .split('\n')
              .filter((l) => l !== ''),
    }));
    for (const { table, lines } of staged) {
      const t = this.table(table);
      for (const line of lines) {
        const key = table === 'orderdetails' ? line : (line.split('\t')[0] ?? '');
        if (t.has(key)) throw new Error(`duplicate key ${key} in ${table}`);
        t.set(key, line);
      }
    }
    this.loads++;
  }
  /** Like PostgreSQL's: all or nothing, only into empty tables. */
  /** Bulk loads to refuse, after the categories', as if a table had stopped being empty. */
  refuseBulk = 0;
  async loadIntoEmpty(tables: readonly SeedTable[], parts: readonly LoadPart[]): Promise<boolean> {
    if (tables.some((t) => this.table(t).size > 0)) return false;
    if (this.refuseBulk > 0 && !tables.includes('productcategories')) {
      this.refuseBulk--;
      return false;
    }
    this.bulkLoads++;
    try {
      await this.load(parts);
    } catch (error) {
      for (const t of tables) this.table(t).clear();
      throw error;
    }
    return true;
  }
  bulkLoads = 0;

  snapshot(): Record<string, string[]> {
    return Object.fromEntries([...this.tables].map(([name, rows]) => [name, [...rows.values()].sort()]));
  }
}

/** A spool in memory (connectors' is a file), noting how it was used. */
class MemorySpool implements Spool {
  static made: MemorySpool[] = [];
  readonly chunks: Buffer[] = [];
  closed = false;
  constructor() {
    MemorySpool.made.push(this);
  }
  write(bytes: Buffer): void {
    this.chunks.push(Buffer.from(bytes));
  }
  *read(): Generator<Buffer> {
    yield* this.chunks;
  }
  close(): void {
    this.closed = true;
  }
}

const small = (extra: Partial<SeedOptions> = {}): SeedOptions => ({
  ...SEED_DEFAULTS,
  users: 30,
  products: 12,
  orders: 200,
  reset: false,
  batchSize: 50,
  concurrency: 2,
  ...extra,
});
const run = { now: () => 0 };
const spooled = { ...run, spool: () => new MemorySpool() };
const FK_ORDER = ['productcategories', 'users', 'products', 'orders', 'orderdetails'];

describe('runSeed', () => {
  it('seeds every table in foreign-key order, each order with its lines', async () => {
    const store = new MemorySeedStore();
    const report = await runSeed(store, small(), run);
    expect(report.tables.map((t) => t.table)).toEqual(FK_ORDER);
    expect(report.changed).toBe(true);
    expect(Object.fromEntries(report.tables.map((t) => [t.table, t.present]))).toMatchObject({
      users: 30,
      products: 12,
      orders: 200,
    });
    const lines = report.tables.find((t) => t.table === 'orderdetails');
    expect(lines?.added).toBe(lines?.present);
    const orderIds = new Set([...(store.tables.get('orderdetails')?.values() ?? [])].map((l) => l.split('\t')[1]));
    expect(orderIds.size).toBe(200);
  });

  it('fills empty tables in one load each, then adds to them in batches', async () => {
    const store = new MemorySeedStore();
    await runSeed(store, small({ batchSize: 10 }), run);
    expect(store.bulkLoads).toBe(4);
    const loads = store.loads;
    await runSeed(store, small({ orders: 230, batchSize: 10 }), run);
    expect(store.bulkLoads).toBe(4);
    expect(store.loads - loads).toBe(3);
  });

  it('adds nothing when rerun, and only the missing ids for larger counts', async () => {
    const store = new MemorySeedStore();
    await runSeed(store, small(), run);
    const again = await runSeed(store, small(), run);
    expect(again.changed).toBe(false);
    expect(again.tables.every((t) => t.added === 0)).toBe(true);
    const grown = await runSeed(store, small({ orders: 250 }), run);
    expect(grown.tables.find((t) => t.table === 'orders')).toMatchObject({ added: 50, present: 250 });
  });

  it('gives the same rows whatever the batch size, concurrency or number of runs', async () => {
    const one = new MemorySeedStore();
    await runSeed(one, small({ batchSize: 1000, concurrency: 1 }), run);
    const other = new MemorySeedStore();
    await runSeed(other, small({ orders: 120, batchSize: 7, concurrency: 3 }), run);
    await runSeed(other, small({ batchSize: 13 }), run);
    expect(other.snapshot()).toEqual(one.snapshot());
  });

  it('completes a run stopped midway, with no duplicates and no order without lines', async () => {
    const clean = new MemorySeedStore();
    await runSeed(clean, small(), run);
    const store = new MemorySeedStore();
    store.failAfter = 3; // the fourth load, orders with their lines, is killed
    await expect(runSeed(store, small({ batchSize: 20 }), run)).rejects.toThrow('killed');
    expect(store.tables.get('orders')?.size ?? 0).toBe(0);
    expect(store.tables.get('orderdetails')?.size ?? 0).toBe(0);
    expect(store.tables.get('users')?.size).toBe(30);
    store.failAfter = Infinity;
    await runSeed(store, small({ batchSize: 20 }), run);
    expect(store.snapshot()).toEqual(clean.snapshot());
  });

  it('fills empty users, products and orders in one load with spools: the same rows, every spool closed', async () => {
    const plain = new MemorySeedStore();
    await runSeed(plain, small({ batchSize: 30 }), run);
    MemorySpool.made = [];
    const store = new MemorySeedStore();
    const events: SeedProgress[] = [];
    const report = await runSeed(store, small({ batchSize: 30 }), { ...spooled, onProgress: (e) => events.push(e) });
    expect(store.snapshot()).toEqual(plain.snapshot());
    // Progress of the load together: orders drawn, every 30, then all of them, once.
    const together = events.filter((e) => e.type === 'together');
    expect(together.map((e) => e.orders)).toEqual([30, 60, 90, 120, 150, 180, 200]);
    expect(together.every((e) => e.toAdd === 200)).toBe(true);
    expect(together[0]?.tables).toEqual(['users', 'products', 'orders', 'orderdetails']);
    // The categories, then everything else together.
    expect(store.bulkLoads).toBe(2);
    expect(report.tables.map((t) => [t.table, t.added, t.present])).toEqual([
      ['productcategories', 58, 58],
      ['users', 30, 30],
      ['products', 12, 12],
      ['orders', 200, 200],
      ['orderdetails', store.tables.get('orderdetails')?.size, store.tables.get('orderdetails')?.size],
    ]);
    // Orders, users and products each waited in a spool, closed after the load.
    expect(MemorySpool.made.map((spool) => spool.closed)).toEqual([true, true, true]);
    expect(binaryLines(Buffer.concat(MemorySpool.made[0]?.chunks ?? []))).toHaveLength(200);
    // Growth goes by batches, without spools.
    await runSeed(store, small({ users: 40, orders: 260, batchSize: 30 }), spooled);
    await runSeed(plain, small({ users: 40, orders: 260, batchSize: 30 }), run);
    expect(store.snapshot()).toEqual(plain.snapshot());
    expect(MemorySpool.made).toHaveLength(3);
  });

  it('fills only the empty tables together: users already there are grown first, by batches', async () => {
    const plain = new MemorySeedStore();
    await runSeed(plain, small({ users: 50 }), run);
    MemorySpool.made = [];
    const store = new MemorySeedStore();
    await runSeed(store, small({ orders: 0, products: 0 }), spooled);
    expect(MemorySpool.made).toHaveLength(0);
    await runSeed(store, small({ users: 50 }), spooled);
    expect(store.snapshot()).toEqual(plain.snapshot());
    // Orders and products together, each with its spool.
    expect(MemorySpool.made).toHaveLength(2);
  });

  it('leaves users, products, orders and lines empty when the load together is killed; a rerun completes', async () => {
    const plain = new MemorySeedStore();
    await runSeed(plain, small(), run);
    MemorySpool.made = [];
    const store = new MemorySeedStore();
    store.failAfter = 1;
    await expect(runSeed(store, small(), spooled)).rejects.toThrow('killed');
    expect(MemorySpool.made.every((spool) => spool.closed)).toBe(true);
    for (const table of ['users', 'products', 'orders', 'orderdetails'])
      expect(store.tables.get(table)?.size ?? 0, table).toBe(0);
    expect(store.tables.get('productcategories')?.size).toBe(58);
    store.failAfter = Infinity;
    await runSeed(store, small(), spooled);
    expect(store.snapshot()).toEqual(plain.snapshot());
  });

  it('goes table by table when a table stops being empty before the load together', async () => {
    const plain = new MemorySeedStore();
    await runSeed(plain, small(), run);
    const store = new MemorySeedStore();
    store.refuseBulk = 1; // as if another writer got there first: the load together changes nothing
    const report = await runSeed(store, small(), spooled);
    expect(store.snapshot()).toEqual(plain.snapshot());
    expect(report.tables.map((t) => t.table)).toEqual(FK_ORDER);
  });

  it('empties the tables first with reset, and reports the change', async () => {
    const store = new MemorySeedStore();
    await runSeed(store, small(), run);
    const report = await runSeed(store, small({ users: 5, products: 3, orders: 10, reset: true }), run);
    expect(report.changed).toBe(true);
    expect(Object.fromEntries(report.tables.map((t) => [t.table, t.present]))).toMatchObject({
      users: 5,
      products: 3,
      orders: 10,
    });
  });
});
