/**
 * `etl seed`: adds the rows of the requested dataset that the source database does not hold
 * yet, in id batches, each batch one transaction. Orders and their lines travel in the same
 * transaction, so no order ever exists without its lines. Rerunning adds nothing; larger
 * counts add only the missing ids; a run killed midway is completed by the next.
 */
import type { IdRange, LoadPart, SeedStore, Spool } from '../ports/index.js';
import { forEachConcurrently } from '../concurrency.js';
import { CATEGORIES } from './categories.js';
import { ShopGenerator, type SeedSizes } from './generators.js';
import type { SeedOptions } from './options.js';
import { CopyBinaryWriter } from '../copy-binary.js';
import {
  categoryCopy,
  orderBinary,
  orderLineBinary,
  productCopy,
  seedColumns,
  userCopy,
  type SeedTable,
} from './rows.js';

export interface SeedTableReport {
  readonly table: SeedTable;
  readonly added: number;
  readonly present: number;
  readonly seconds: number;
  readonly rowsPerSecond: number;
}

export interface SeedReport {
  readonly endpoint: string;
  readonly seed: number;
  readonly requested: { readonly users: number; readonly products: number; readonly orders: number };
  readonly reset: boolean;
  readonly changed: boolean;
  readonly seconds: number;
  readonly tables: readonly SeedTableReport[];
}

export type SeedProgress =
  | { readonly type: 'start'; readonly table: SeedTable; readonly toAdd: number }
  | {
      readonly type: 'batch';
      readonly table: SeedTable;
      readonly added: number;
      readonly toAdd: number;
      readonly rowsPerSecond: number;
    }
  | { readonly type: 'done'; readonly report: SeedTableReport };

export interface SeedRunOptions {
  readonly now: () => number;
  readonly onProgress?: (event: SeedProgress) => void;
  /**
   * Where a bulk load of orders sets the orders aside while their lines load, so that each
   * order is drawn once rather than twice (connectors' FileSpool). Without it, two passes.
   */
  readonly spool?: () => Spool;
}

const CHUNK_CHARS = 128 * 1024;

/** Concatenates row texts into chunks of about CHUNK_CHARS for COPY. */
export function* chunked(lines: Iterable<string>): Generator<string> {
  let buffer = '';
  for (const line of lines) {
    buffer += line;
    if (buffer.length >= CHUNK_CHARS) {
      yield buffer;
      buffer = '';
    }
  }
  if (buffer !== '') yield buffer;
}

/** Writes each item's binary COPY tuples, handing over chunks of about CHUNK_CHARS bytes. */
export function* binaryChunks<T>(items: Iterable<T>, write: (w: CopyBinaryWriter, item: T) => void): Generator<Buffer> {
  const writer = new CopyBinaryWriter();
  for (const item of items) {
    write(writer, item);
    if (writer.size >= CHUNK_CHARS) yield writer.take();
  }
  if (writer.size > 0) yield writer.take();
}

/** Splits ranges into batches of at most `size` ids. */
export function batches(ranges: readonly IdRange[], size: number): IdRange[] {
  const out: IdRange[] = [];
  for (const range of ranges) {
    for (let from = range.from; from <= range.to; from += size)
      out.push({ from, to: Math.min(range.to, from + size - 1) });
  }
  return out;
}

export function countIds(ranges: readonly IdRange[]): number {
  return ranges.reduce((n, r) => n + (r.to - r.from + 1), 0);
}

function* ids(range: IdRange): Generator<number> {
  for (let id = range.from; id <= range.to; id++) yield id;
}

function* map<T, U>(items: Iterable<T>, f: (item: T) => U): Generator<U> {
  for (const item of items) yield f(item);
}

/** How one table is seeded: its ids 1…upTo, the rows of an id range, and a table loaded with it. */
export interface TablePlan {
  readonly table: SeedTable;
  readonly upTo: number;
  readonly partsFor: (range: IdRange) => LoadPart[];
  /** A table whose rows travel in the same transaction (order lines with their orders). */
  readonly companion?: { readonly table: SeedTable; readonly added: () => number };
  /**
   * The parts of a bulk load of all `ranges` that can set rows aside in a spool, in the order
   * they are loaded; `onBatch` hears when a range has been drawn.
   */
  readonly spooledParts?: (ranges: readonly IdRange[], spool: Spool, onBatch: (range: IdRange) => void) => LoadPart[];
}

// Orders and their lines go in binary: PostgreSQL then parses no numbers, instants or numerics.
const ORDERS = { table: 'orders', columns: seedColumns('orders'), format: 'binary', ascending: ['order_id'] } as const;
const LINES = {
  table: 'orderdetails',
  columns: seedColumns('orderdetails'),
  format: 'binary',
  // Line ids are (order_id - 1) * 5 + 1…5: both grow with the order.
  ascending: ['order_detail_id', 'order_id'],
} as const;

/** Pure: the tables to seed, in foreign-key order, each generating its rows lazily from the seed. */
export function seedPlan(options: SeedOptions): TablePlan[] {
  const generator = new ShopGenerator(options.seed);
  const sizes: SeedSizes = { users: options.users, products: options.products };
  const part = <T>(table: SeedTable, range: IdRange, row: (id: number) => T, text: (row: T) => string): LoadPart => ({
    table,
    columns: seedColumns(table),
    chunks: chunked(map(ids(range), (id) => text(row(id)))),
  });
  let linesAdded = 0;
  return [
    {
      table: 'productcategories',
      upTo: CATEGORIES.length,
      partsFor: (r) => [part('productcategories', r, (id) => generator.category(id), categoryCopy)],
    },
    { table: 'users', upTo: options.users, partsFor: (r) => [part('users', r, (id) => generator.user(id), userCopy)] },
    {
      table: 'products',
      upTo: options.products,
      partsFor: (r) => [part('products', r, (id) => generator.product(id), productCopy)],
    },
    {
      table: 'orders',
      upTo: options.orders,
      partsFor: (range) => [
        { ...ORDERS, chunks: binaryChunks(ids(range), (w, id) => orderBinary(w, generator.order(id, sizes))) },
        {
          ...LINES,
          // A second pass over the same orders: recomputing is cheaper than holding them.
          chunks: binaryChunks(ids(range), (w, id) => {
            for (const line of generator.orderLines(id, sizes)) {
              linesAdded++;
              orderLineBinary(w, line);
            }
          }),
        },
      ],
      companion: { table: 'orderdetails', added: () => linesAdded },
      // One pass draws each order once: its lines go to the database while the order itself
      // waits in the spool, loaded right after (the orders' COPY was bound by drawing them).
      spooledParts: (ranges, spool, onBatch) => {
        let spooled = false;
        return [
          {
            ...LINES,
            chunks: (function* () {
              const orders = new CopyBinaryWriter();
              for (const range of ranges) {
                yield* binaryChunks(ids(range), (w, id) => {
                  const order = generator.order(id, sizes);
                  orderBinary(orders, order);
                  if (orders.size >= CHUNK_CHARS) spool.write(orders.take());
                  for (const line of order.lines) {
                    linesAdded++;
                    orderLineBinary(w, line);
                  }
                });
                onBatch(range);
              }
              if (orders.size > 0) spool.write(orders.take());
              spooled = true;
            })(),
          },
          {
            ...ORDERS,
            chunks: (function* () {
              if (!spooled) throw new Error('the orders were to be loaded before their lines had been drawn');
              yield* spool.read();
            })(),
          },
        ];
      },
    },
  ];
}

/** Every id of the plan is missing: the table (and its companion) is empty. */
const isEmpty = (plan: TablePlan, missing: readonly IdRange[]): boolean =>
  plan.upTo > 0 && missing.length === 1 && missing[0]?.from === 1 && missing[0].to === plan.upTo;

/**
 * The parts of the whole plan as one stream per table, built batch by batch while the database
 * reads them; `onBatch` hears when the first table has taken a batch.
 */
function streamedParts(plan: TablePlan, ranges: readonly IdRange[], onBatch: (range: IdRange) => void): LoadPart[] {
  const first = ranges[0];
  if (first === undefined) return [];
  return plan.partsFor(first).map((shape, index) => ({
    table: shape.table,
    columns: shape.columns,
    ...(shape.format === undefined ? {} : { format: shape.format }),
    // Batches follow one another in id order, so what each batch's rows ascend in, the whole stream does.
    ...(shape.ascending === undefined ? {} : { ascending: shape.ascending }),
    chunks: (function* () {
      for (const range of ranges) {
        const part = index === 0 && range === first ? shape : plan.partsFor(range)[index];
        if (part !== undefined) yield* part.chunks;
        if (index === 0) onBatch(range);
      }
    })(),
  }));
}

/**
 * Loads the missing ids of one table (and its companion's rows), and reports each table. An
 * empty table is filled in one transaction with its indexes and constraints built after; a
 * table that has rows gets the missing ones in concurrent batches, a transaction each.
 */
async function seedTable(
  store: SeedStore,
  plan: TablePlan,
  options: SeedOptions,
  run: SeedRunOptions,
): Promise<SeedTableReport[]> {
  const progress = run.onProgress ?? (() => {});
  const { table } = plan;
  const started = run.now();
  const missing = plan.upTo > 0 ? await store.missing(table, plan.upTo) : [];
  const toAdd = countIds(missing);
  progress({ type: 'start', table, toAdd });
  let added = 0;
  const tick = (range: IdRange): void => {
    added += range.to - range.from + 1;
    const seconds = (run.now() - started) / 1000;
    progress({ type: 'batch', table, added, toAdd, rowsPerSecond: seconds > 0 ? added / seconds : 0 });
  };
  const ranges = batches(missing, options.batchSize);
  const tables = plan.companion === undefined ? [table] : [table, plan.companion.table];
  let bulk = false;
  if (isEmpty(plan, missing)) {
    const spool = plan.spooledParts === undefined ? undefined : run.spool?.();
    try {
      const parts =
        spool === undefined || plan.spooledParts === undefined
          ? streamedParts(plan, ranges, tick)
          : plan.spooledParts(ranges, spool, tick);
      bulk = await store.loadIntoEmpty(tables, parts);
    } finally {
      spool?.close();
    }
  }
  if (!bulk) {
    await forEachConcurrently(ranges, options.concurrency, async (range) => {
      await store.load(plan.partsFor(range));
      tick(range);
    });
  }
  const reports: SeedTableReport[] = [];
  const finish = async (name: SeedTable, count: number): Promise<void> => {
    const seconds = (run.now() - started) / 1000;
    const report = {
      table: name,
      added: count,
      // A bulk load filled an empty table in one transaction that held it alone: it committed
      // exactly the rows it added (counting 9M lines again took half a second).
      present: bulk ? count : await store.count(name),
      seconds,
      rowsPerSecond: seconds > 0 ? count / seconds : 0,
    };
    reports.push(report);
    progress({ type: 'done', report });
  };
  await finish(table, added);
  if (plan.companion !== undefined) await finish(plan.companion.table, plan.companion.added());
  return reports;
}

export async function runSeed(store: SeedStore, options: SeedOptions, run: SeedRunOptions): Promise<SeedReport> {
  const started = run.now();
  await store.prepare();
  if (options.reset) await store.reset();
  const reports: SeedTableReport[] = [];
  for (const plan of seedPlan(options)) reports.push(...(await seedTable(store, plan, options, run)));
  return {
    endpoint: store.endpoint,
    seed: options.seed,
    requested: { users: options.users, products: options.products, orders: options.orders },
    reset: options.reset,
    changed: options.reset || reports.some((r) => r.added > 0),
    seconds: (run.now() - started) / 1000,
    tables: reports,
  };
}
