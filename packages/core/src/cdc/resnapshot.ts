/**
 * `etl cdc resnapshot`: loads some captured tables again from a fresh snapshot, described anew
 * from the catalog, while the others keep their place (Debezium's incremental snapshots answer
 * the same need with signals). The way past a column dropped or retyped, or a default added,
 * which change data capture cannot carry row by row.
 *
 * Runs while no capture reads the slot: the table is marked pending first (apply drops its
 * records from then on), loaded from a temporary slot's snapshot at position X, and recorded as
 * done at X; the next capture skips its changes before X, and apply drops what Kafka still holds
 * from before X. A kill in between leaves it pending, and the next capture loads it.
 */
import { BusyError, UsageError } from '../errors.js';
import type { TablePattern } from '../catalog/selection.js';
import type { CdcStore, ChangeLog, ReplicaSource, ReplicaTarget } from '../ports/index.js';
import { planReplicas } from '../replicate/plan.js';
import type { ReplicationSettings } from '../replicate/settings.js';
import type { CaptureRun } from './capture.js';
import { loadSnapshot, type LoadedSnapshot } from './snapshot.js';
import { capturedTable, refuseUncapturable, type CapturedTable } from './captured.js';

export interface ResnapshotDeps {
  readonly log: Pick<ChangeLog, 'slot' | 'temporarySnapshot' | 'peek'>;
  readonly source: ReplicaSource;
  readonly target: ReplicaTarget;
  readonly store: CdcStore;
}

export interface ResnapshotOptions {
  readonly tables: readonly TablePattern[];
  /** Keys, targets and columns as text for the tables' new description (masks stay as captured). */
  readonly settings?: ReplicationSettings;
}

export interface ResnapshotReport {
  readonly slot: string;
  readonly epoch: string;
  readonly snapshots: readonly LoadedSnapshot[];
  readonly seconds: number;
}

export async function runResnapshot(
  deps: ResnapshotDeps,
  options: ResnapshotOptions,
  run: CaptureRun,
): Promise<ResnapshotReport> {
  const started = run.now();
  const { log, store } = deps;
  await store.prepare();
  await deps.target.prepare();
  const state = await store.state();
  if (state === undefined) {
    throw new UsageError('no capture is set up, so there is nothing to load again', {
      hint: 'Run etl cdc capture: its first run loads every table from a snapshot.',
    });
  }
  const captured = new Map(state.tables.map((t) => [t.table, t]));
  const plan = planReplicas(await deps.source.tables(), options.tables, options.settings);
  const tables: CapturedTable[] = [];
  const strangers: string[] = [];
  for (const described of plan.tables) {
    const name = plan.spec(described, []).table;
    const before = captured.get(name);
    if (before === undefined) {
      strangers.push(name);
      continue;
    }
    // Anew from the catalog, with the masks and the topic the capture has.
    const next = capturedTable(described, plan.recipe(described, before.masked), state.topicPrefix);
    tables.push({ ...next, topic: before.topic });
  }
  if (strangers.length > 0) {
    throw new UsageError(
      `--tables: ${strangers.join(', ')} ${strangers.length === 1 ? 'is' : 'are'} not captured; ` +
        `the capture running since ${state.createdAt} covers ${[...captured.keys()].join(', ')}`,
      { hint: 'To capture another set of tables, run etl cdc reset, then etl cdc capture --tables ….' },
    );
  }
  refuseUncapturable(tables.map((t) => ({ table: t.described, spec: plan.spec(t.described, t.masked) })));
  const slot = await log.slot(state.slot);
  if (slot?.active === true) {
    throw new BusyError(`replication slot ${state.slot} is in use by a capture`, {
      hint: 'Stop etl cdc capture (Ctrl-C or SIGTERM), run etl cdc resnapshot, then start the capture again.',
    });
  }
  for (const t of tables) await store.resnapshotPending(t, state.epoch);
  const snapshot = await log.temporarySnapshot();
  try {
    const at = { slot: state.slot, publication: state.publication, epoch: state.epoch };
    const snapshots = await loadSnapshot(deps, at, tables, snapshot, run);
    return { slot: state.slot, epoch: state.epoch, snapshots, seconds: (run.now() - started) / 1000 };
  } finally {
    await snapshot.release();
  }
}
