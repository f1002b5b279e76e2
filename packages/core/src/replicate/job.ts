/**
 * `etl replicate`: PostgreSQL → MySQL, table by table, in foreign-key waves.
 *
 * full: stream every row into a stage table and swap it in with one atomic RENAME TABLE.
 * incremental: stream the rows changed since the table's watermark (re-reading from the
 * oldest transaction that was still open when the last run read), upsert them together with
 * the new watermark in one MySQL transaction, then delete the rows gone from the source.
 */
import type { ReplicaSource, ReplicaState, ReplicaTarget, ReplicateMode } from '../ports/index.js';
import { UsageError } from '../errors.js';
import { forEachConcurrently, semaphore } from '../concurrency.js';
import type { TablePattern } from '../catalog/selection.js';
import type { SourceTable } from '../catalog/source-table.js';
import { copyChanges, copyFull, type FullCopyResult } from './copy.js';
import { planMasks, unmaskRefusedError, type MaskPlan, type MaskRequest } from './masks.js';
import { checkMasks, planReplicas, type ReplicaPlan } from './plan.js';
import type { ReplicationSettings } from './settings.js';
import { tableWaves, type ReplicaSpec } from './spec.js';

export interface ReplicateOptions {
  /** `--tables` patterns; every table of schema public but etl's own when absent. */
  readonly tables: readonly TablePattern[] | undefined;
  readonly mode: ReplicateMode | undefined;
  /** Loads at once: tables, and chunks of a large table. */
  readonly concurrency: number;
  /** A full copy of a table larger than this goes by key chunks of about this many rows. */
  readonly chunkRows?: number;
  /** Which columns to mask; by default each replica keeps the masks it was made with. */
  readonly masks?: MaskRequest;
  readonly deletes: boolean;
  /** Per-table settings (the settings file); none by default. */
  readonly settings?: ReplicationSettings;
  /** The source's catalog as the caller already read it (previewMasks), so a run reads it once. */
  readonly described?: readonly SourceTable[];
}

export interface ReplicateTableReport {
  readonly table: string;
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
  /** Key chunks a full copy went by (1: whole); how many of them an earlier, killed run had loaded. */
  readonly chunks: number;
  readonly resumedChunks: number;
  /** The columns MySQL has no exact native type for, and how each is stored instead. */
  readonly stored: readonly StoredColumn[];
}

/** A column held in another form than a native MySQL type of the same meaning. */
export interface StoredColumn {
  readonly column: string;
  readonly pgType: string;
  readonly mysqlType: string;
  readonly storage: 'text' | 'json';
  readonly note: string;
}

/** The columns of a spec that are not stored natively, for reports. */
export function storedColumns(spec: ReplicaSpec): StoredColumn[] {
  return spec.columns.flatMap((c) =>
    c.codec.storage === 'native'
      ? []
      : [
          {
            column: c.name,
            pgType: c.source.type.formatted,
            mysqlType: c.codec.mysqlType,
            storage: c.codec.storage,
            note: c.codec.note,
          },
        ],
  );
}

export interface ReplicateReport {
  readonly source: string;
  readonly target: string;
  readonly seconds: number;
  readonly tables: readonly ReplicateTableReport[];
  readonly notices: readonly string[];
}

export type ReplicateProgress =
  | { readonly type: 'start'; readonly table: string; readonly mode: ReplicateMode }
  | { readonly type: 'rows'; readonly table: string; readonly rows: number; readonly rowsPerSecond: number }
  | { readonly type: 'done'; readonly report: ReplicateTableReport };

export interface ReplicateRun {
  readonly now: () => number;
  readonly onProgress?: (event: ReplicateProgress) => void;
  /** Asked before a run copies masked columns in clear; without it, such a run is refused. */
  readonly confirmUnmask?: (columns: readonly string[]) => Promise<boolean>;
}

const sameMasks = (a: readonly string[], b: readonly string[]): boolean =>
  [...a].sort().join(',') === [...b].sort().join(',');

/** A full copy of a table of more rows than this goes by key chunks (resumable, loaded --concurrency at once). */
export const DEFAULT_CHUNK_ROWS = 500_000;

const resumedNote = (copy: { chunks: number; resumed: number; deleted: number }): string | null =>
  copy.resumed === 0
    ? null
    : `resumed: ${copy.resumed} of ${copy.chunks} chunks were loaded by a run that stopped; ` +
      `rows changed since it began were copied again${copy.deleted > 0 ? `, ${copy.deleted} gone deleted` : ''}`;

/** Pure: the mode a table is copied in, and why it differs from the one asked for. */
export function chooseMode(
  requested: ReplicateMode | undefined,
  previous: ReplicaState | undefined,
  masked: readonly string[],
  spec?: Pick<ReplicaSpec, 'cursor' | 'primaryKey'>,
  drift: readonly string[] = [],
): { readonly mode: ReplicateMode; readonly note: string | null } {
  if (previous === undefined) {
    return { mode: 'full', note: requested === 'incremental' ? 'never replicated before: full copy' : null };
  }
  if (requested === 'full') return { mode: 'full', note: null };
  if (spec !== undefined && spec.primaryKey.length === 0) return { mode: 'full', note: 'no key: full copy' };
  if (spec !== undefined && spec.cursor === null) return { mode: 'full', note: 'no updated_at column: full copy' };
  if (drift.length > 0)
    return { mode: 'full', note: `replica differs from the source (${drift.join('; ')}): full copy` };
  if (!sameMasks(previous.masked, masked)) return { mode: 'full', note: 'masked columns changed: full copy' };
  return { mode: 'incremental', note: null };
}

/** Refuses --mode incremental for tables that cannot be copied incrementally, naming the ways out. */
function refuseIncremental(specs: readonly ReplicaSpec[]): void {
  const keyless = specs.filter((s) => s.primaryKey.length === 0).map((s) => s.table);
  const uncursored = specs.filter((s) => s.primaryKey.length > 0 && s.cursor === null).map((s) => s.table);
  const problems = [
    ...(keyless.length === 0 ? [] : [`${keyless.join(', ')}: no primary key or unique index over NOT NULL columns`]),
    ...(uncursored.length === 0
      ? []
      : [`${uncursored.join(', ')}: no updated_at timestamptz column to find changed rows by`]),
  ];
  if (problems.length === 0) return;
  throw new UsageError(`--mode incremental: ${problems.join('; ')}`, {
    hint:
      'Copy them with --mode full (or leave out --mode: such tables are copied in full each run), ' +
      'or exclude them with --tables.',
  });
}

/** Each table's recorded state, as the replica holds it. */
async function readStates(
  target: Pick<ReplicaTarget, 'state'>,
  tables: readonly string[],
): Promise<Map<string, ReplicaState | undefined>> {
  const states = new Map<string, ReplicaState | undefined>();
  for (const table of tables) states.set(table, await target.state(table));
  return states;
}

const recordedMasks = (states: ReadonlyMap<string, ReplicaState | undefined>) =>
  new Map([...states].map(([table, state]) => [table, state?.masked ?? []]));

/**
 * What a replicate run would do with masks, read before it starts: a command asks its
 * question here, before any progress is drawn.
 */
export async function previewMasks(
  source: Pick<ReplicaSource, 'tables'>,
  target: Pick<ReplicaTarget, 'prepare' | 'state'>,
  tables: readonly TablePattern[] | undefined,
  request: MaskRequest,
  settings?: ReplicationSettings,
): Promise<MaskPlan & { readonly described: readonly SourceTable[] }> {
  const described = await source.tables();
  const plan = planReplicas(described, tables, settings);
  checkRequestedMasks(plan, request);
  await target.prepare();
  return { ...planMasks(plan.names, recordedMasks(await readStates(target, plan.names)), request), described };
}

function checkRequestedMasks(plan: ReplicaPlan, request: MaskRequest): void {
  if (request.set !== undefined) checkMasks(plan, request.set, '--mask');
  if (request.unmask !== undefined) checkMasks(plan, request.unmask, '--unmask');
}

/** Reads every table's state and settles the masks, refusing to remove one unless confirmed. */
async function settleMasks(
  target: ReplicaTarget,
  plan: ReplicaPlan,
  options: ReplicateOptions,
  run: ReplicateRun,
): Promise<{ readonly states: ReadonlyMap<string, ReplicaState | undefined>; readonly masks: MaskPlan }> {
  checkRequestedMasks(plan, options.masks ?? {});
  const states = await readStates(target, plan.names);
  const masks = planMasks(plan.names, recordedMasks(states), options.masks ?? {});
  if (masks.unmasked.length > 0 && !((await run.confirmUnmask?.(masks.unmasked)) ?? false)) {
    throw unmaskRefusedError(masks.unmasked);
  }
  return { states, masks };
}

/**
 * Replicas that `etl cdc` keeps current are not copied in batches beside it: the copy would be
 * newer than changes still in Kafka, and applying those afterwards would take rows back to older
 * values until apply caught up. Refused before any change, with the two ways out.
 */
async function refuseCdcTables(target: ReplicaTarget, tables: readonly string[]): Promise<void> {
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
  const plan = planReplicas(options.described ?? (await source.tables()), options.tables, options.settings);
  await target.prepare();
  await refuseCdcTables(target, plan.names);
  const { states, masks } = await settleMasks(target, plan, options, run);
  const specs = new Map(
    plan.tables.map((t, i) => {
      const name = plan.names[i] ?? '';
      return [name, plan.spec(t, masks.byTable.get(name) ?? [])] as const;
    }),
  );
  const requested = (table: string) => options.mode ?? plan.settings.get(table)?.mode;
  refuseIncremental([...specs.values()].filter((s) => requested(s.table) === 'incremental'));
  const reports: ReplicateTableReport[] = [];
  const chunkRows = options.chunkRows ?? DEFAULT_CHUNK_ROWS;
  if (!Number.isInteger(chunkRows) || chunkRows < 1) {
    throw new UsageError(`--chunk-rows must be a whole number ≥ 1, got ${chunkRows}`);
  }
  // Every load of the run, tables and chunks alike, takes one of these.
  const slots = semaphore(options.concurrency);

  const replicateTable = async (table: string): Promise<void> => {
    const tableStarted = run.now();
    const spec = specs.get(table);
    if (spec === undefined) throw new Error(`no spec for ${table}`);
    const previous = states.get(table);
    const drift = previous === undefined ? [] : await target.drift(spec);
    const { mode, note } = chooseMode(requested(table), previous, spec.masked, spec, drift);
    progress({ type: 'start', table, mode });

    let copiedRows = 0;
    const tick = throttled(run.now, 250, (t) => {
      const seconds = (t - tableStarted) / 1000;
      progress({ type: 'rows', table, rows: copiedRows, rowsPerSecond: seconds > 0 ? copiedRows / seconds : 0 });
    });
    const onRows = (rows: number) => {
      copiedRows = rows;
      tick();
    };
    const copy: FullCopyResult =
      mode === 'full'
        ? await copyFull(source, target, spec, { chunkRows, concurrency: options.concurrency, slots, onRows })
        : {
            ...(await copyChanges(source, target, spec, previous?.watermark ?? null, {
              slots,
              deletes: options.deletes,
              onRows,
            })),
            chunks: 1,
            resumed: 0,
          };
    const { targetRows, watermark, deleted, rows } = copy;
    const seconds = (run.now() - tableStarted) / 1000;
    const report: ReplicateTableReport = {
      table,
      mode,
      rows,
      deleted,
      targetRows,
      seconds,
      rowsPerSecond: seconds > 0 ? rows / seconds : 0,
      watermark,
      masked: spec.masked,
      note: [note, resumedNote(copy)].filter((n) => n !== null).join('; ') || null,
      chunks: copy.chunks,
      resumedChunks: copy.resumed,
      stored: storedColumns(spec),
    };
    reports.push(report);
    progress({ type: 'done', report });
  };

  for (const wave of tableWaves(plan.names)) {
    await forEachConcurrently(wave, options.concurrency, replicateTable);
  }
  const order = new Map(plan.names.map((t, i) => [t, i]));
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
