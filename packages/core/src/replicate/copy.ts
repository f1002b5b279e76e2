/**
 * One table's copy from PostgreSQL into its MySQL replica: whole, by key chunks, or its changes.
 *
 * A table larger than a chunk goes by key chunks, several at once, each read in one shared
 * snapshot and committed with its record in the target: a kill resumes from the chunks done.
 * The stage stays unseen until the last chunk is in, as for a table copied whole. A resumed
 * copy mixes chunks of two snapshots, so it is brought level right after its swap: the rows
 * changed since the first attempt's watermark are upserted and the rows gone are deleted,
 * which is why only a table with a cursor column is resumed (any other starts over). A cdc
 * snapshot records its slot position instead, and is brought level from the log (cdc/snapshot.ts).
 */
import type {
  ChunkedCopy,
  KeyBound,
  KeyList,
  KeySpan,
  ReplicaSource,
  ReplicaStateUpdate,
  ReplicaTarget,
  ReplicateMode,
} from '../ports/index.js';
import { forEachConcurrently } from '../concurrency.js';
import { CopyToLoadData } from './copy-to-load.js';
import type { ReplicaSpec } from './spec.js';

/** Runs a unit of work when one of a run's load slots is free (at most --concurrency at once). */
export type Slots = <T>(work: () => Promise<T>) => Promise<T>;

async function* converted(
  chunks: AsyncIterable<Buffer>,
  converter: CopyToLoadData,
  tick: () => void,
): AsyncGenerator<Buffer | string> {
  for await (const chunk of chunks) {
    const out = converter.push(chunk);
    tick();
    if (out.length > 0) yield out;
  }
  const rest = converter.end();
  if (rest !== '') yield rest;
}

/** Keys held in memory at once while finding deleted rows (per side). */
const DELETE_GROUP_ROWS = 200_000;

/** Consecutive groups of the items, each weighing at most `limit` (an item heavier alone is a group). */
export function groupsUpTo<T>(items: readonly T[], limit: number, weight: (item: T) => number): T[][] {
  const groups: T[][] = [];
  let current: T[] = [];
  let sum = 0;
  for (const item of items) {
    const w = weight(item);
    if (current.length > 0 && sum + w > limit) {
      groups.push(current);
      current = [];
      sum = 0;
    }
    current.push(item);
    sum += w;
  }
  if (current.length > 0) groups.push(current);
  return groups;
}

/** Deletes from the target the rows whose keys the source no longer has. */
export async function deleteGone(
  source: ReplicaSource,
  target: ReplicaTarget,
  spec: ReplicaSpec,
  targetCount: number,
): Promise<number> {
  // After the upsert the target holds every source row: equal counts mean nothing to delete.
  if ((await source.count(spec)) === targetCount) return 0;
  const [sourceKeyRanges, targetKeyRanges] = await Promise.all([
    source.keyRangeCounts(spec),
    target.keyRangeCounts(spec),
  ]);
  const differing = [...targetKeyRanges].filter(([keyRange, count]) => (sourceKeyRanges.get(keyRange) ?? 0) !== count);
  // Ranges read together up to about DELETE_GROUP_ROWS keys: a hash's ranges cost a scan each,
  // so 256 ranges with a deletion in each cost 256 scans of both tables (543 s for 1.5M rows).
  let deleted = 0;
  for (const group of groupsUpTo(differing, DELETE_GROUP_ROWS, ([r, n]) => Math.max(n, sourceKeyRanges.get(r) ?? 0))) {
    const ranges = group.map(([keyRange]) => keyRange);
    const [keep, have] = await Promise.all([source.keysIn(spec, ranges), target.keysIn(spec, ranges)]);
    const gone = [...have].filter((k) => !keep.has(k));
    if (gone.length > 0) deleted += await target.deleteKeys(spec, gone);
  }
  return deleted;
}

/** One read of a table: all of it or its changes since a watermark, in a snapshot of its own or an exported one. */
export interface CopyRead {
  readonly mode: ReplicateMode;
  readonly since: string | null;
  readonly snapshot?: string;
  /** The mode the saved state records, when not the read's: a resumed full copy's catch-up says full. */
  readonly recordAs?: ReplicateMode;
  /** Only the rows of these keys (a resumed cdc snapshot's catch-up). */
  readonly keys?: KeyList;
}

/**
 * Streams one table's rows from the source into the target in one read: replaced whole, or the
 * changed rows upserted. Returns the target's row count.
 */
export async function copyTable(
  source: ReplicaSource,
  target: ReplicaTarget,
  spec: ReplicaSpec,
  read: CopyRead,
  converter: CopyToLoadData,
  tick: () => void,
): Promise<{ readonly targetRows: number; readonly watermark: string }> {
  let watermark = '';
  const state = (): ReplicaStateUpdate => ({
    table: spec.table,
    mode: read.recordAs ?? read.mode,
    watermark,
    masked: spec.masked,
    rows: converter.rows,
  });
  const targetRows = await source.read(
    spec,
    read.since,
    async (chunks, snapshotWatermark) => {
      watermark = snapshotWatermark;
      const rows = converted(chunks, converter, tick);
      return read.mode === 'full' ? target.replace(spec, rows, state) : target.upsert(spec, rows, state);
    },
    read.snapshot,
    read.keys,
  );
  return { targetRows, watermark };
}

export interface CopyResult {
  readonly targetRows: number;
  readonly watermark: string;
  /** Rows read from PostgreSQL and written to MySQL (for a resumed copy, by the attempt it resumed too). */
  readonly rows: number;
  /** Rows deleted because the source no longer has them. */
  readonly deleted: number;
}

/**
 * The rows changed since the watermark upserted, then (with `deletes`) the rows gone from the
 * source deleted: an incremental run, and the catch-up of a resumed full copy.
 */
export async function copyChanges(
  source: ReplicaSource,
  target: ReplicaTarget,
  spec: ReplicaSpec,
  since: string | null,
  options: {
    readonly slots: Slots;
    readonly deletes: boolean;
    readonly recordAs?: ReplicateMode;
    readonly onRows?: (rows: number) => void;
  },
): Promise<CopyResult> {
  const converter = new CopyToLoadData(spec);
  const read: CopyRead = { mode: 'incremental', since, ...(options.recordAs ? { recordAs: options.recordAs } : {}) };
  const changed = await options.slots(() =>
    copyTable(source, target, spec, read, converter, () => options.onRows?.(converter.rows)),
  );
  const deleted = options.deletes ? await deleteGone(source, target, spec, changed.targetRows) : 0;
  return { targetRows: changed.targetRows - deleted, watermark: changed.watermark, rows: converter.rows, deleted };
}

export interface FullCopyOptions {
  /** Cut a table into chunks of about this many rows. */
  readonly chunkRows: number;
  /** Chunks of this table loading at once (within the run's slots). */
  readonly concurrency: number;
  readonly slots: Slots;
  /** Read in this exported snapshot (a replication slot's): cdc's snapshot. */
  readonly snapshot?: string;
  /**
   * A cdc snapshot's WAL position, recorded with its chunks so that a kill resumes; `resumable`
   * says whether an earlier attempt's chunks, read at the position it recorded, can still be
   * brought level (the slot has not moved past it). Without it a cdc snapshot starts over.
   */
  readonly snapshotLsn?: { readonly at: string; readonly resumable: (first: string) => Promise<boolean> };
  /** Called with the rows copied so far, as they go (throttle it). */
  readonly onRows?: (rows: number) => void;
}

export interface FullCopyResult extends CopyResult {
  /** Chunks the table was copied in (1: whole). */
  readonly chunks: number;
  /** Chunks an earlier attempt had loaded, not read again. */
  readonly resumed: number;
  /** A resumed cdc snapshot: the WAL position of its first attempt, which the caller brings it level from. */
  readonly resumedFrom?: string;
}

/** The chunk between two bounds: chunk i ends at bound i (the last one is open). */
export function chunkSpan(bounds: readonly KeyBound[], chunk: number): KeySpan {
  return { after: bounds[chunk - 1] ?? null, upTo: bounds[chunk] ?? null };
}

/**
 * The chunks an earlier attempt of this copy left, when they can be resumed: a batch copy's by
 * a table with a cursor column, a cdc snapshot's (it recorded a WAL position) by a snapshot
 * whose slot can still give the changes since. Any other record is dropped by startCopy.
 */
async function resumableCopy(
  target: ReplicaTarget,
  spec: ReplicaSpec,
  options: FullCopyOptions,
): Promise<ChunkedCopy | undefined> {
  const cdc = options.snapshot !== undefined;
  if (spec.primaryKey.length === 0 || (cdc ? options.snapshotLsn === undefined : spec.cursor === null))
    return undefined;
  const recorded = await target.resumableCopy(spec);
  if (recorded === undefined) return undefined;
  if (!cdc) return recorded.lsn === undefined ? recorded : undefined;
  return recorded.lsn !== undefined && (await options.snapshotLsn?.resumable(recorded.lsn)) === true
    ? recorded
    : undefined;
}

/** A full copy of one table: whole when it is small, else by key chunks, resuming a killed attempt's. */
export async function copyFull(
  source: ReplicaSource,
  target: ReplicaTarget,
  spec: ReplicaSpec,
  options: FullCopyOptions,
): Promise<FullCopyResult> {
  const recorded = await resumableCopy(target, spec, options);
  const bounds = recorded?.bounds ?? (await source.chunkBounds(spec, options.chunkRows));
  const converters: CopyToLoadData[] = [];
  const resumed = recorded?.done.size ?? 0;
  const doneRows = [...(recorded?.done.values() ?? [])].reduce((a, b) => a + b, 0);
  const copied = () => doneRows + converters.reduce((n, c) => n + c.rows, 0);
  const tick = () => options.onRows?.(copied());

  if (bounds.length === 0) {
    const converter = new CopyToLoadData(spec);
    converters.push(converter);
    const read: CopyRead = { mode: 'full', since: null, ...(options.snapshot ? { snapshot: options.snapshot } : {}) };
    const whole = await options.slots(() => copyTable(source, target, spec, read, converter, tick));
    return { ...whole, rows: converter.rows, chunks: 1, resumed: 0, deleted: 0 };
  }

  // The state's watermark is the first attempt's: every change its chunks may have missed is after it.
  let watermark = '';
  const loaded = await source.shareSnapshot(async (shared) => {
    watermark = recorded?.watermark ?? shared.watermark;
    if (recorded === undefined) {
      await target.startCopy(spec, {
        bounds,
        watermark,
        ...(options.snapshotLsn === undefined ? {} : { lsn: options.snapshotLsn.at }),
      });
    }
    const pending = Array.from({ length: bounds.length + 1 }, (_, i) => i).filter((i) => !recorded?.done.has(i));
    await forEachConcurrently(pending, options.concurrency, (chunk) =>
      options.slots(async () => {
        const converter = new CopyToLoadData(spec);
        converters.push(converter);
        await source.read(
          spec,
          null,
          (rows) => target.loadChunk(spec, chunk, converted(rows, converter, tick), () => converter.rows),
          shared.name,
          chunkSpan(bounds, chunk),
        );
      }),
    );
    const state = (): ReplicaStateUpdate => ({
      table: spec.table,
      mode: 'full',
      watermark,
      masked: spec.masked,
      rows: copied(),
    });
    return target.finishCopy(spec, state);
  }, options.snapshot);
  const chunks = bounds.length + 1;
  if (recorded === undefined || resumed === 0) {
    return { targetRows: loaded, watermark, rows: copied(), chunks, resumed, deleted: 0 };
  }
  if (recorded.lsn !== undefined) {
    return { targetRows: loaded, watermark, rows: copied(), chunks, resumed, deleted: 0, resumedFrom: recorded.lsn };
  }

  // The chunks done before the kill are as old as the first attempt's snapshot: what changed
  // since its watermark is read again and upserted, and what went is deleted.
  const level = await copyChanges(source, target, spec, recorded.watermark, {
    slots: options.slots,
    deletes: true,
    recordAs: 'full',
  });
  return { ...level, rows: copied() + level.rows, chunks, resumed };
}
