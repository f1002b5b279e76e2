/**
 * `etl seed`: adds the rows of the requested dataset that the source database does not hold
 * yet, in id batches, each batch one transaction. Orders and their lines travel in the same
 * transaction, so no order ever exists without its lines. Rerunning adds nothing; larger
 * counts add only the missing ids; a run killed midway is completed by the next.
 */
import type { IdRange, LoadPart, PgCopyBinary, SeedStore, Spool } from '../ports/index.js';
import { forEachConcurrently } from '../concurrency.js';
import { CATEGORIES } from './categories.js';
import { ShopGenerator, type SeedSizes } from './generators.js';
import type { SeedOptions } from './options.js';
import { ByteBuilder, CopyBinaryWriter } from '../copy-binary.js';
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
  /**
   * Tables filled together in one transaction (seedTogether), in foreign-key order: how many
   * orders have been drawn, each with its lines and its share of the users and products. At
   * `toAdd`, every row is drawn; the database goes on loading and building indexes and keys.
   */
  | {
      readonly type: 'together';
      readonly tables: readonly SeedTable[];
      readonly orders: number;
      readonly toAdd: number;
      readonly rowsPerSecond: number;
    }
  | { readonly type: 'done'; readonly report: SeedTableReport };

export interface SeedRunOptions {
  readonly now: () => number;
  readonly onProgress?: (event: SeedProgress) => void;
  /**
   * Where a bulk load sets rows aside while the order lines load (connectors' FileSpool): then
   * empty users, products and orders are filled together, each row drawn once (seedTogether).
   * Without it, table by table, the orders drawn twice.
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
  missing: readonly IdRange[],
): Promise<SeedTableReport[]> {
  const progress = run.onProgress ?? (() => {});
  const { table } = plan;
  const started = run.now();
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
  const bulk = isEmpty(plan, missing) && (await store.loadIntoEmpty(tables, streamedParts(plan, ranges, tick)));
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

/** The tables seedTogether may fill beside the orders and their lines. */
type Together = 'users' | 'products';

/**
 * The parts of seedTogether's load, in the order they are loaded: the order lines, drawn in one
 * pass that also draws each order and, in proportion as it goes, the users and products, which
 * wait in their spools; then the orders, users and products from them. `onDrawn` hears how
 * many rows of each table have been drawn, every batchSize orders.
 */
function togetherParts(
  options: SeedOptions,
  together: readonly Together[],
  spools: ReadonlyMap<SeedTable, Spool>,
  onDrawn: (table: SeedTable, rows: number) => void,
): LoadPart[] {
  const generator = new ShopGenerator(options.seed);
  const sizes: SeedSizes = { users: options.users, products: options.products };
  const spool = (table: SeedTable): Spool => {
    const found = spools.get(table);
    if (found === undefined) throw new Error(`no spool for ${table}`);
    return found;
  };
  const textOf = {
    users: (id: number) => userCopy(generator.user(id)),
    products: (id: number) => productCopy(generator.product(id)),
  };
  let drawn = false;
  function* lines(): Generator<PgCopyBinary> {
    const linesOut = new CopyBinaryWriter();
    const ordersOut = new CopyBinaryWriter();
    const textOut = { users: new ByteBuilder(), products: new ByteBuilder() };
    const next = { users: 1, products: 1 };
    let lineCount = 0;
    /** Draws the users and products due by `share` of the orders (all of them at 1). */
    const drawShare = (share: number): void => {
      for (const t of together) {
        const out = textOut[t];
        const due = share >= 1 ? sizes[t] : Math.floor(sizes[t] * share);
        for (; next[t] <= due; next[t]++) out.utf8(textOf[t](next[t]));
        if (out.size >= CHUNK_CHARS || (share >= 1 && out.size > 0)) spool(t).write(out.take());
      }
    };
    const report = (orders: number): void => {
      for (const t of together) onDrawn(t, next[t] - 1);
      onDrawn('orderdetails', lineCount);
      onDrawn('orders', orders);
    };
    for (let id = 1; id <= options.orders; id++) {
      const order = generator.order(id, sizes);
      orderBinary(ordersOut, order);
      for (const line of order.lines) {
        lineCount++;
        orderLineBinary(linesOut, line);
      }
      if (ordersOut.size >= CHUNK_CHARS) spool('orders').write(ordersOut.take());
      if (linesOut.size >= CHUNK_CHARS) {
        // A little of the rest between chunks: the database must not wait for lines meanwhile.
        drawShare(id / options.orders);
        yield linesOut.take();
      }
      if (id % options.batchSize === 0 && id < options.orders) report(id);
    }
    drawShare(1);
    if (ordersOut.size > 0) spool('orders').write(ordersOut.take());
    if (linesOut.size > 0) yield linesOut.take();
    report(options.orders);
    drawn = true;
  }
  function* spooled(table: SeedTable): Generator<PgCopyBinary> {
    if (!drawn) throw new Error(`the ${table} were to be loaded before the order lines had been drawn`);
    yield* spool(table).read();
  }
  return [
    { ...LINES, chunks: lines() },
    { ...ORDERS, chunks: spooled('orders') },
    ...together.map((t) => ({ table: t, columns: seedColumns(t), chunks: spooled(t) })),
  ];
}

/**
 * Fills the empty ones of users and products, and orders with their lines, in one transaction
 * (pg_restore --single-transaction's way): the lines, the longest COPY, are parsed by the
 * database while Node draws every other row, once, into spools loaded right after. A kill
 * leaves all of them empty. Returns undefined, having changed nothing, when one of the tables
 * is not empty any more.
 */
async function seedTogether(
  store: SeedStore,
  together: readonly Together[],
  options: SeedOptions,
  run: SeedRunOptions,
  newSpool: () => Spool,
): Promise<SeedTableReport[] | undefined> {
  const progress = run.onProgress ?? (() => {});
  const started = run.now();
  const tables: SeedTable[] = [...together, 'orders', 'orderdetails'];
  const toAdd: Partial<Record<SeedTable, number>> = {
    users: options.users,
    products: options.products,
    orders: options.orders,
  };
  for (const table of [...together, 'orders'] as const) progress({ type: 'start', table, toAdd: toAdd[table] ?? 0 });
  const added = new Map<SeedTable, number>();
  const onDrawn = (table: SeedTable, rows: number): void => {
    added.set(table, rows);
    if (table !== 'orders') return;
    const seconds = (run.now() - started) / 1000;
    const rowsPerSecond = seconds > 0 ? rows / seconds : 0;
    progress({ type: 'together', tables, orders: rows, toAdd: options.orders, rowsPerSecond });
  };
  const spools = new Map<SeedTable, Spool>();
  try {
    for (const table of ['orders', ...together] as const) spools.set(table, newSpool());
    if (!(await store.loadIntoEmpty(tables, togetherParts(options, together, spools, onDrawn)))) return undefined;
  } finally {
    for (const spool of spools.values()) spool.close();
  }
  const seconds = (run.now() - started) / 1000;
  return tables.map((table) => {
    const count = added.get(table) ?? 0;
    // One transaction that held the tables alone committed exactly the rows it added.
    const report = { table, added: count, present: count, seconds, rowsPerSecond: seconds > 0 ? count / seconds : 0 };
    progress({ type: 'done', report });
    return report;
  });
}

export async function runSeed(store: SeedStore, options: SeedOptions, run: SeedRunOptions): Promise<SeedReport> {
  const started = run.now();
  await store.prepare();
  if (options.reset) await store.reset();
  const reports: SeedTableReport[] = [];
  const missingOf = (plan: TablePlan): Promise<IdRange[]> =>
    plan.upTo > 0 ? store.missing(plan.table, plan.upTo) : Promise.resolve([]);
  const plans = seedPlan(options);
  const missing = new Map<SeedTable, IdRange[]>();
  for (const plan of plans) missing.set(plan.table, await missingOf(plan));
  const empty = (plan: TablePlan): boolean => isEmpty(plan, missing.get(plan.table) ?? []);
  const orders = plans.find((p) => p.table === 'orders');
  let left = plans;
  if (run.spool !== undefined && orders !== undefined && empty(orders)) {
    const together = plans.filter(
      (p): p is TablePlan & { table: Together } => (p.table === 'users' || p.table === 'products') && empty(p),
    );
    // What is not filled together goes first, table by table: the orders' foreign keys need it.
    for (const plan of plans.filter((p) => p !== orders && !together.some((t) => t === p))) {
      reports.push(...(await seedTable(store, plan, options, run, missing.get(plan.table) ?? [])));
    }
    const filled = await seedTogether(
      store,
      together.map((p) => p.table),
      options,
      run,
      run.spool,
    );
    if (filled !== undefined) {
      reports.push(...filled);
      left = [];
    } else {
      // Somebody else wrote into a table meanwhile: table by table, from what is missing now.
      left = [...together, orders];
      for (const plan of left) missing.set(plan.table, await missingOf(plan));
    }
  }
  for (const plan of left) reports.push(...(await seedTable(store, plan, options, run, missing.get(plan.table) ?? [])));
  // In the plan's order, foreign-key order, whichever way each table was filled.
  const order = plans.flatMap((p) => (p.companion === undefined ? [p.table] : [p.table, p.companion.table]));
  reports.sort((a, b) => order.indexOf(a.table) - order.indexOf(b.table));
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
