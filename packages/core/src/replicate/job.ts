/**
 * `etl replicate`: PostgreSQL → MySQL, table by table, in foreign-key waves.
 *
 * full: stream every row into a stage table and swap it in with one atomic RENAME TABLE.
 * incremental: stream the rows changed since the table's watermark (re-reading from the
 * oldest transaction that was still open when the last run read), upsert them together with
 * the new watermark in one MySQL transaction, then delete the rows gone from the source.
 */
import type { ReplicaSource, ReplicaState, ReplicaStateUpdate, ReplicaTarget, ReplicateMode } from '../ports/index.js';
import { UsageError } from '../errors.js';
import type { TableName } from '../schema/tables.js';
import { forEachConcurrently } from '../concurrency.js';
import { CopyToLoadData } from './copy-to-load.js';
import { planMasks, unmaskRefusedError, type MaskPlan, type MaskRequest } from './masks.js';
import { replicaSpec, tableWaves, type ReplicaSpec } from './spec.js';

export interface ReplicateOptions {
  readonly tables: readonly TableName[];
  readonly mode: ReplicateMode | undefined;
  readonly concurrency: number;
  /** Which columns to mask; by default each replica keeps the masks it was made with. */
  readonly masks?: MaskRequest;
  readonly deletes: boolean;
}

export interface ReplicateTableReport {
  readonly table: TableName;
  readonly mode: ReplicateMode;
  /** Rows read from PostgreSQL and written to MySQL. */
  readonly rows: number;
  readonly deleted: number;
  readonly targetRows: number;
  readonly seconds: number;
  readonly rowsPerSecond: number;
  readonly watermark: string;
  /** The columns masked in the replica (`table.column`). */
  readonly masked: readonly string[];
  readonly note: string | null;
}

export interface ReplicateReport {
  readonly source: string;
  readonly target: string;
  readonly seconds: number;
  readonly tables: readonly ReplicateTableReport[];
  readonly notices: readonly string[];
}

export type ReplicateProgress =
  | { readonly type: 'start'; readonly table: TableName; readonly mode: ReplicateMode }
  | { readonly type: 'rows'; readonly table: TableName; readonly rows: number; readonly rowsPerSecond: number }
  | { readonly type: 'done'; readonly report: ReplicateTableReport };

export interface ReplicateRun {
  readonly now: () => number;
  readonly onProgress?: (event: ReplicateProgress) => void;
  /** Asked before a run copies masked columns in clear; without it, such a run is refused. */
  readonly confirmUnmask?: (columns: readonly string[]) => Promise<boolean>;
}

const sameMasks = (a: readonly string[], b: readonly string[]): boolean =>
  [...a].sort().join(',') === [...b].sort().join(',');

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

/** Deletes from the target the rows whose keys the source no longer has. */
async function deleteGone(
  source: ReplicaSource,
  target: ReplicaTarget,
  spec: ReplicaSpec,
  targetCount: number,
): Promise<number> {
  // After the upsert the target holds every source row: equal counts mean nothing to delete.
  if ((await source.count(spec.table)) === targetCount) return 0;
  const [sourceKeyRanges, targetKeyRanges] = await Promise.all([
    source.keyRangeCounts(spec),
    target.keyRangeCounts(spec),
  ]);
  let deleted = 0;
  for (const [keyRange, count] of targetKeyRanges) {
    if ((sourceKeyRanges.get(keyRange) ?? 0) === count) continue;
    const [keep, have] = await Promise.all([source.keysIn(spec, keyRange), target.keysIn(spec, keyRange)]);
    const gone = [...have].filter((k) => !keep.has(k));
    if (gone.length > 0) deleted += await target.deleteKeys(spec, gone);
  }
  return deleted;
}

/** Pure: the mode a table is copied in, and why it differs from the one asked for. */
export function chooseMode(
  requested: ReplicateMode | undefined,
  previous: ReplicaState | undefined,
  masked: readonly string[],
): { readonly mode: ReplicateMode; readonly note: string | null } {
  if (previous === undefined) {
    return { mode: 'full', note: requested === 'incremental' ? 'never replicated before: full copy' : null };
  }
  if (requested === 'full') return { mode: 'full', note: null };
  if (!sameMasks(previous.masked, masked)) return { mode: 'full', note: 'masked columns changed: full copy' };
  return { mode: 'incremental', note: null };
}

/** Each table's recorded state, as the replica holds it. */
async function readStates(
  target: Pick<ReplicaTarget, 'state'>,
  tables: readonly TableName[],
): Promise<Map<TableName, ReplicaState | undefined>> {
  const states = new Map<TableName, ReplicaState | undefined>();
  for (const table of tables) states.set(table, await target.state(table));
  return states;
}

const recordedMasks = (states: ReadonlyMap<TableName, ReplicaState | undefined>) =>
  new Map([...states].map(([table, state]) => [table, state?.masked ?? []]));

/**
 * What a replicate run would do with masks, read before it starts: a command asks its
 * question here, before any progress is drawn.
 */
export async function previewMasks(
  target: Pick<ReplicaTarget, 'prepare' | 'state'>,
  tables: readonly TableName[],
  request: MaskRequest,
): Promise<MaskPlan> {
  await target.prepare();
  return planMasks(tables, recordedMasks(await readStates(target, tables)), request);
}

/** Reads every table's state and settles the masks, refusing to remove one unless confirmed. */
async function settleMasks(
  target: ReplicaTarget,
  options: ReplicateOptions,
  run: ReplicateRun,
): Promise<{ readonly states: ReadonlyMap<TableName, ReplicaState | undefined>; readonly masks: MaskPlan }> {
  const states = await readStates(target, options.tables);
  const masks = planMasks(options.tables, recordedMasks(states), options.masks ?? {});
  if (masks.unmasked.length > 0 && !((await run.confirmUnmask?.(masks.unmasked)) ?? false)) {
    throw unmaskRefusedError(masks.unmasked);
  }
  return { states, masks };
}

/**
 * Streams one table's rows from the source into the target, in the chosen mode (in an exported
 * snapshot when one is given). Returns the target's row count.
 */
export async function copyTable(
  source: ReplicaSource,
  target: ReplicaTarget,
  spec: ReplicaSpec,
  mode: ReplicateMode,
  since: string | null,
  converter: CopyToLoadData,
  tick: () => void,
  snapshot?: string,
): Promise<{ readonly targetRows: number; readonly watermark: string }> {
  let watermark = '';
  const state = (): ReplicaStateUpdate => ({
    table: spec.table,
    mode,
    watermark,
    masked: spec.masked,
    rows: converter.rows,
  });
  const targetRows = await source.read(
    spec,
    since,
    async (chunks, snapshotWatermark) => {
      watermark = snapshotWatermark;
      const rows = converted(chunks, converter, tick);
      return mode === 'full' ? target.replace(spec, rows, state) : target.upsert(spec, rows, state);
    },
    snapshot,
  );
  return { targetRows, watermark };
}

/**
 * Replicas that `etl cdc` keeps current are not copied in batches beside it: the copy would be
 * newer than changes still in Kafka, and applying those afterwards would take rows back to older
 * values until apply caught up. Refused before any change, with the two ways out.
 */
async function refuseCdcTables(target: ReplicaTarget, tables: readonly TableName[]): Promise<void> {
  const cdc = await target.cdcTables();
  const kept = cdc === undefined ? [] : tables.filter((t) => cdc.tables.includes(t));
  if (cdc === undefined || kept.length === 0) return;
  throw new UsageError(
    `${kept.join(', ')} ${kept.length === 1 ? 'is' : 'are'} kept current by etl cdc (slot ${cdc.slot}): ` +
      'a batch copy beside it would let changes still in Kafka take rows back to older values',
    {
      hint:
        'Keep them with `etl cdc capture` and `etl cdc apply`; to hand them back to etl replicate, stop cdc and ' +
        'run `etl cdc reset --yes` first.',
    },
  );
}

export async function runReplicate(
  source: ReplicaSource,
  target: ReplicaTarget,
  options: ReplicateOptions,
  run: ReplicateRun,
): Promise<ReplicateReport> {
  const started = run.now();
  const progress = run.onProgress ?? (() => {});
  if (!Number.isInteger(options.concurrency) || options.concurrency < 1) {
    throw new UsageError(`--concurrency must be a whole number ≥ 1, got ${options.concurrency}`);
  }
  await target.prepare();
  await refuseCdcTables(target, options.tables);
  const { states, masks } = await settleMasks(target, options, run);
  const reports: ReplicateTableReport[] = [];

  const replicateTable = async (table: TableName): Promise<void> => {
    const tableStarted = run.now();
    const spec = replicaSpec(table, masks.byTable.get(table) ?? []);
    const previous = states.get(table);
    const { mode, note } = chooseMode(options.mode, previous, spec.masked);
    progress({ type: 'start', table, mode });

    const converter = new CopyToLoadData(spec);
    const tick = throttled(run.now, 250, (t) => {
      const seconds = (t - tableStarted) / 1000;
      progress({
        type: 'rows',
        table,
        rows: converter.rows,
        rowsPerSecond: seconds > 0 ? converter.rows / seconds : 0,
      });
    });
    const since = mode === 'incremental' ? (previous?.watermark ?? null) : null;
    const { targetRows, watermark } = await copyTable(source, target, spec, mode, since, converter, tick);
    const deleted = mode === 'incremental' && options.deletes ? await deleteGone(source, target, spec, targetRows) : 0;
    const seconds = (run.now() - tableStarted) / 1000;
    const report: ReplicateTableReport = {
      table,
      mode,
      rows: converter.rows,
      deleted,
      targetRows: targetRows - deleted,
      seconds,
      rowsPerSecond: seconds > 0 ? converter.rows / seconds : 0,
      watermark,
      masked: spec.masked,
      note,
    };
    reports.push(report);
    progress({ type: 'done', report });
  };

  for (const wave of tableWaves(options.tables)) {
    await forEachConcurrently(wave, options.concurrency, replicateTable);
  }
  const order = new Map(options.tables.map((t, i) => [t, i]));
  reports.sort((a, b) => (order.get(a.table) ?? 0) - (order.get(b.table) ?? 0));
  return {
    source: source.endpoint,
    target: target.endpoint,
    seconds: (run.now() - started) / 1000,
    tables: reports,
    notices: [...target.notices],
  };
}

/** Calls `fn` at most once per `ms` (progress ticks). */
export function throttled(now: () => number, ms: number, fn: (t: number) => void): () => void {
  let last = 0;
  return () => {
    const t = now();
    if (t - last < ms) return;
    last = t;
    fn(t);
  };
}
