/**
 * The snapshot of `etl cdc capture`: each table loaded into its replica through `etl
 * replicate`'s full-copy path, in an exported snapshot (the slot's on the first run, a
 * temporary slot's for a table loaded again), and recorded as done at the snapshot's position.
 *
 * A large table goes by key chunks, each recorded with the WAL position of the snapshot it was
 * read in. A kill resumes from the chunks done: the rest are read in a new snapshot, so the
 * table mixes rows of two moments. Before the table counts as done it is brought level with
 * the new one, as DBLog and Debezium's incremental snapshots do with a window of the log: the
 * slot, not consumed, gives the keys changed between the two positions (it still holds them,
 * since the slot is never acknowledged past a table not yet loaded), and those rows are read
 * again in the new snapshot and upserted, or deleted where that snapshot has none. The table
 * is then exactly as of the new snapshot, whose position it is recorded at: no gap, no overlap.
 */
import type { CdcStore, ChangeLog, KeyBound, ReplicaSource, ReplicaTarget } from '../ports/index.js';
import { semaphore } from '../concurrency.js';
import { copyFull, copyTable } from '../replicate/copy.js';
import { CopyToLoadData } from '../replicate/copy-to-load.js';
import { DEFAULT_CHUNK_ROWS, throttled } from '../replicate/job.js';
import { tableWaves, type ReplicaSpec } from '../replicate/spec.js';
import { capturedSpec, type CapturedTable } from './captured.js';
import type { CaptureRun } from './capture.js';
import { decodePgOutput, formatLsn, parseLsn, UNCHANGED, type Lsn, type TupleValue } from './pgoutput.js';

export interface SnapshotSizing {
  readonly chunkRows: number;
  readonly concurrency: number;
}

export const DEFAULT_SNAPSHOT_SIZING: SnapshotSizing = { chunkRows: DEFAULT_CHUNK_ROWS, concurrency: 2 };

/** Keys read again or checked for deletion at once. */
const CATCH_UP_KEYS = 2_000;

/** A snapshot as the capture holds it: exported by a slot, at the slot's consistent point. */
export interface HeldSnapshot {
  readonly name: string;
  readonly lsn: Lsn;
}

/** Where the slot is and what it publishes: what a resumed snapshot reads its window from. */
export interface SnapshotSlot {
  readonly slot: string;
  readonly publication: string;
}

export interface LoadedSnapshot {
  readonly table: string;
  readonly rows: number;
  readonly lsn: string;
  /** Chunks the table was loaded in, and how many of them an earlier attempt had loaded. */
  readonly chunks: number;
  readonly resumedChunks: number;
  /** Rows of a resumed load read again (or deleted) because they changed between its snapshots. */
  readonly caughtUp: number;
}

/**
 * The keys of `table` that transactions committed after the slot's confirmed position and
 * before `upTo` changed (inserted, updated, deleted, the old key of a key change), each once,
 * as PostgreSQL's text of each key column.
 */
export async function changedKeys(
  log: Pick<ChangeLog, 'peek'>,
  at: SnapshotSlot,
  table: CapturedTable,
  spec: ReplicaSpec,
  upTo: Lsn,
): Promise<KeyBound[]> {
  const keys = new Map<string, KeyBound>();
  /** The positions of the key's columns in each relation of this table (null: another table). */
  const relations = new Map<number, number[] | null>();
  let open = false;
  const add = (positions: readonly number[], tuple: readonly TupleValue[]) => {
    const key = positions.map((i) => tuple[i]);
    if (key.some((v) => v === null || v === UNCHANGED || v === undefined)) return;
    const values = key as string[];
    keys.set(JSON.stringify(values), values);
  };
  for await (const body of log.peek(at.slot, at.publication, upTo)) {
    const m = decodePgOutput(body);
    if (m.tag === 'begin') open = m.finalLsn < upTo;
    else if (m.tag === 'relation') {
      const ours = m.namespace === table.source.schema && m.name === table.source.name;
      const positions = spec.primaryKey.map((k) => m.columns.findIndex((c) => c.name === k));
      relations.set(m.relationId, ours && positions.every((i) => i >= 0) ? positions : null);
    } else if (open && (m.tag === 'insert' || m.tag === 'update' || m.tag === 'delete')) {
      const positions = relations.get(m.relationId);
      if (positions === undefined || positions === null) continue;
      if (m.tag !== 'delete') add(positions, m.after);
      if (m.tag !== 'insert' && m.before !== null) add(positions, m.before);
    }
  }
  return [...keys.values()];
}

/**
 * Brings a resumed load level with the snapshot its last chunks were read in: the rows of the
 * changed keys read again in it and upserted, and those it does not have deleted.
 */
async function catchUp(
  source: ReplicaSource,
  target: ReplicaTarget,
  spec: ReplicaSpec,
  keys: readonly KeyBound[],
  snapshot: string,
): Promise<number> {
  let touched = 0;
  for (let i = 0; i < keys.length; i += CATCH_UP_KEYS) {
    const group = keys.slice(i, i + CATCH_UP_KEYS);
    const gone = await source.keysAbsent(spec, group, snapshot);
    if (gone.length > 0) touched += await target.deleteKeys(spec, gone);
    const converter = new CopyToLoadData(spec);
    const read = { mode: 'incremental', since: null, snapshot, recordAs: 'full', keys: { keys: group } } as const;
    await copyTable(source, target, spec, read, converter, () => {});
    touched += converter.rows;
  }
  return touched;
}

/** Loads these tables from an exported snapshot and records each as done at the snapshot's position. */
export async function loadSnapshot(
  deps: {
    readonly source: ReplicaSource;
    readonly target: ReplicaTarget;
    readonly store: CdcStore;
    readonly log: Pick<ChangeLog, 'peek' | 'slot'>;
  },
  at: SnapshotSlot & { readonly epoch: string },
  tables: readonly CapturedTable[],
  snapshot: HeldSnapshot,
  run: CaptureRun,
  sizing: SnapshotSizing = DEFAULT_SNAPSHOT_SIZING,
): Promise<LoadedSnapshot[]> {
  const done: LoadedSnapshot[] = [];
  const byName = new Map(tables.map((t) => [t.table, t]));
  // An earlier attempt's chunks can be brought level only from a position the slot still holds.
  const resumable = async (first: string): Promise<boolean> => {
    const confirmed = (await deps.log.slot(at.slot))?.confirmedLsn;
    return confirmed !== undefined && confirmed !== null && confirmed <= parseLsn(first);
  };
  for (const wave of tableWaves([...byName.keys()])) {
    for (const table of wave) {
      const captured = byName.get(table);
      if (captured === undefined) continue;
      const spec = capturedSpec(captured);
      let rows = 0;
      const tick = throttled(run.now, 250, () => run.onProgress?.({ type: 'snapshot', table, rows }));
      const copy = await copyFull(deps.source, deps.target, spec, {
        ...sizing,
        slots: semaphore(sizing.concurrency),
        snapshot: snapshot.name,
        snapshotLsn: { at: formatLsn(snapshot.lsn), resumable },
        onRows: (copied) => {
          rows = copied;
          tick();
        },
      });
      const caughtUp =
        copy.resumedFrom === undefined
          ? 0
          : await catchUp(
              deps.source,
              deps.target,
              spec,
              await changedKeys(deps.log, at, captured, spec, snapshot.lsn),
              snapshot.name,
            );
      await deps.store.snapshotDone(table, at.epoch, snapshot.lsn);
      done.push({
        table,
        rows: copy.rows,
        lsn: formatLsn(snapshot.lsn),
        chunks: copy.chunks,
        resumedChunks: copy.resumed,
        caughtUp,
      });
      run.onProgress?.({ type: 'snapshot', table, rows: copy.rows });
    }
  }
  return done;
}

/** A loaded table's chunks for a report: "12", or "12 (5 resumed, 1,037 rows caught up)". */
export function snapshotChunks(s: LoadedSnapshot): string {
  if (s.resumedChunks === 0) return String(s.chunks);
  return `${s.chunks} (${s.resumedChunks} resumed, ${s.caughtUp.toLocaleString('en-US')} rows caught up)`;
}
