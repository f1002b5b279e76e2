/**
 * `etl cdc capture`: PostgreSQL's write-ahead log → Kafka, one topic per table.
 *
 * First run: a persistent pgoutput slot is created with an exported snapshot; every table is
 * loaded from that snapshot through `etl replicate`'s full-copy path (COPY → LOAD DATA →
 * stage → RENAME), then the log is read from the slot's consistent point: no gap, no overlap.
 * A table whose load was cut short is loaded again from a temporary slot's snapshot (resuming
 * from its chunks done, snapshot.ts), and its changes committed before that snapshot are not sent.
 *
 * Into Kafka at least once: the slot is acknowledged only up to the end of the last
 * transaction whose every change Kafka has acknowledged, so a restart resumes from the slot
 * and re-sends, never skips. `etl cdc apply` drops what it has applied already by position.
 */
import { randomBytes } from 'node:crypto';
import { BusyError, DataCheckError, isTransient, UsageError } from '../errors.js';
import type { ChangeLog, ChangeSink, CdcState, CdcStore, ReplicaSource, ReplicaTarget } from '../ports/index.js';
import type { TablePattern } from '../catalog/selection.js';
import { planMasks, unmaskRefusedError, type MaskRequest } from '../replicate/masks.js';
import { checkMasks, planReplicas } from '../replicate/plan.js';
import type { ReplicationSettings } from '../replicate/settings.js';
import { capturedTable, refuseUncapturable, type CapturedTable } from './captured.js';
import { KafkaBatcher, type SentBatch } from './batcher.js';
import { encodeChange, type Change } from './change.js';
import { ColumnsAdded, Decoder } from './decoder.js';
import { addCapturedColumns } from './evolve.js';
import { decodeFrame, decodePgOutput, formatLsn, pgTimestampToUnixMs, standbyStatus, type Lsn } from './pgoutput.js';
import { loadSnapshot, type LoadedSnapshot, type SnapshotSizing } from './snapshot.js';

/** The marker a drain run writes into the WAL, and stops at. */
export const DRAIN_MARKER_PREFIX = 'etl_cdc_drain';

/** A slot name for this database: lower-case letters, digits and underscores, at most 63. */
export function slotName(database: string): string {
  return `etl_cdc_${database.toLowerCase().replace(/[^a-z0-9_]/g, '_')}`.slice(0, 63);
}

export const PUBLICATION = 'etl_cdc';

/** `--topic-prefix`: Kafka's topic characters, leaving room for `.<table>`. */
export function checkTopicPrefix(prefix: string): string {
  if (!/^[A-Za-z0-9._-]{1,200}$/.test(prefix)) {
    throw new UsageError(
      `--topic-prefix: "${prefix.slice(0, 60)}" may hold only letters, digits, ".", "_" and "-" (1–200)`,
    );
  }
  return prefix;
}

export interface CaptureOptions {
  /** The tables to capture; by default those of the running capture, or every table of schema public. */
  readonly tables: readonly TablePattern[] | undefined;
  /** The settings file (keys, targets, masks, columns as text), read on the first run only. */
  readonly settings?: ReplicationSettings;
  readonly follow: boolean;
  readonly topicPrefix: string;
  readonly partitions: number;
  readonly slot: string;
  readonly masks?: MaskRequest;
  /** How the snapshot of a large table is loaded: key chunks of about this many rows, this many at once. */
  readonly snapshotSizing?: SnapshotSizing;
}

export interface CaptureReport {
  readonly slot: string;
  readonly epoch: string;
  readonly mode: 'drain' | 'follow';
  readonly snapshots: readonly LoadedSnapshot[];
  readonly transactions: number;
  readonly changes: number;
  /** The slot's confirmed position when the run ended. */
  readonly confirmedLsn: string;
  readonly seconds: number;
  readonly changesPerSecond: number;
}

export type CaptureProgress =
  | { readonly type: 'snapshot'; readonly table: string; readonly rows: number }
  | { readonly type: 'columns'; readonly table: string; readonly columns: readonly string[] }
  | { readonly type: 'changes'; readonly changes: number; readonly changesPerSecond: number; readonly lsn: string };

export interface CaptureRun {
  readonly now: () => number;
  readonly onProgress?: (p: CaptureProgress) => void;
  /** Once streaming from the slot has begun (health: ready). */
  readonly onReady?: () => void;
  readonly confirmUnmask?: (columns: readonly string[]) => Promise<boolean>;
  /** After Kafka acknowledged a batch: its records, and the commit times of the transactions it completes. */
  readonly onSent?: (batch: SentBatch) => void;
  /** Test seam: runs after Kafka acknowledged a batch and before the slot is acknowledged. */
  readonly afterKafkaAck?: () => void;
  /** Attempts to read the slot again after PostgreSQL or Kafka went away (default 5). */
  readonly retries?: number;
  readonly onRetry?: (error: Error, attempt: number, waitMs: number) => void;
  /** How long a slot another process still reads is waited for before exiting busy (default 5 s). */
  readonly busyWaitMs?: number;
  /** Set to stop a --follow run: it finishes what is in hand, acknowledges and returns. */
  readonly stopSignal?: { stopped: boolean };
}

const sameTables = (a: readonly string[], b: readonly string[]): boolean =>
  [...a].sort().join(',') === [...b].sort().join(',');

/** A new epoch: the time it began, and some randomness. */
const newEpoch = (now: Date): string =>
  `${now
    .toISOString()
    .replace(/[-:.TZ]/g, '')
    .slice(0, 14)}-${randomBytes(3).toString('hex')}`;

export interface CaptureDeps {
  readonly log: ChangeLog;
  readonly sink: ChangeSink;
  readonly source: ReplicaSource;
  readonly target: ReplicaTarget;
  readonly store: CdcStore;
}

/** Which tables, masks and epoch this run captures, after checking the slot and what MySQL recorded. */
async function settle(
  deps: CaptureDeps,
  options: CaptureOptions,
  run: CaptureRun,
): Promise<{ readonly state: CdcState; readonly fresh: boolean }> {
  const { log, store, target } = deps;
  const previous = await store.state();
  const planned = previous === undefined || options.tables !== undefined ? await planCapture(deps, options) : [];
  if (previous !== undefined && options.tables !== undefined) {
    const names = planned.map((p) => p.table.table);
    if (
      !sameTables(
        previous.tables.map((t) => t.table),
        names,
      )
    ) {
      throw new UsageError(
        `--tables: the capture running since ${previous.createdAt} covers ` +
          previous.tables.map((t) => t.table).join(', '),
        { hint: 'Leave out --tables, or run etl cdc reset and capture the new set from a fresh snapshot.' },
      );
    }
  }
  await log.preflight((previous?.tables ?? planned.map((p) => p.table)).map((t) => t.source));
  let slot = await log.slot(options.slot);
  // A capture killed a moment ago leaves its slot active until the server notices.
  for (let waited = 0; slot?.active === true && waited < (run.busyWaitMs ?? 5000); waited += 250) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    slot = await log.slot(options.slot);
  }
  if (slot?.active === true) {
    throw new BusyError(`replication slot ${options.slot} is in use by another capture`, {
      hint: 'Only one etl cdc capture runs per database; wait for it or stop it.',
    });
  }
  if (previous !== undefined) {
    if (slot === undefined || slot.walStatus === 'lost') {
      throw new DataCheckError(
        slot === undefined
          ? `replication slot ${options.slot} is gone, so the changes since the last capture are lost`
          : `PostgreSQL invalidated replication slot ${options.slot} (it removed WAL the slot still needed)`,
        { hint: 'Run etl cdc reset, then etl cdc capture to start again from a fresh snapshot.' },
      );
    }
    return { state: previous, fresh: false };
  }
  // A slot without recorded state is what a first run killed before recording left: start over.
  if (slot !== undefined) await log.dropSlot(options.slot);
  const names = planned.map((p) => p.table.table);
  const recorded = new Map<string, readonly string[]>();
  for (const name of names) recorded.set(name, (await target.state(name))?.masked ?? []);
  const masks = planMasks(names, recorded, options.masks ?? {});
  if (masks.unmasked.length > 0 && !((await run.confirmUnmask?.(masks.unmasked)) ?? false)) {
    throw unmaskRefusedError(masks.unmasked);
  }
  const state: CdcState = {
    epoch: newEpoch(new Date()),
    slot: options.slot,
    publication: PUBLICATION,
    topicPrefix: options.topicPrefix,
    tables: planned.map((p) => p.withMasks(masks.byTable.get(p.table.table) ?? [])),
    partitions: options.partitions,
    createdAt: new Date().toISOString(),
  };
  return { state, fresh: true };
}

/**
 * The tables a first run captures, from the source's catalog: every table change data capture
 * cannot follow (no key, no replica identity that sends it) refused at once, before anything runs.
 */
async function planCapture(
  deps: CaptureDeps,
  options: CaptureOptions,
): Promise<{ readonly table: CapturedTable; withMasks(masks: readonly string[]): CapturedTable }[]> {
  const plan = planReplicas(await deps.source.tables(), options.tables, options.settings);
  if (options.masks?.set !== undefined) checkMasks(plan, options.masks.set, '--mask');
  if (options.masks?.unmask !== undefined) checkMasks(plan, options.masks.unmask, '--unmask');
  refuseUncapturable(plan.tables.map((table) => ({ table, spec: plan.spec(table, []) })));
  return plan.tables.map((described) => {
    const at = (masks: readonly string[]) =>
      capturedTable(described, plan.recipe(described, masks), options.topicPrefix);
    return { table: at([]), withMasks: at };
  });
}

export async function runCapture(deps: CaptureDeps, options: CaptureOptions, run: CaptureRun): Promise<CaptureReport> {
  const started = run.now();
  const { log, sink, store } = deps;
  await store.prepare();
  await deps.target.prepare();
  const { state, fresh } = await settle(deps, options, run);
  const topics = state.tables.map((t) => t.topic);
  const topicOf = new Map(state.tables.map((t) => [t.table, t.topic]));
  const snapshots: LoadedSnapshot[] = [];
  const at = { slot: state.slot, publication: state.publication, epoch: state.epoch };
  if (fresh) {
    await log.ensurePublication(
      state.publication,
      state.tables.map((t) => t.source),
    );
    const snapshot = await log.createSlot(state.slot);
    try {
      await store.start(state);
      await sink.ensureTopics(topics, state.partitions);
      snapshots.push(...(await loadSnapshot(deps, at, state.tables, snapshot, run, options.snapshotSizing)));
    } finally {
      await snapshot.release();
    }
  } else {
    await sink.ensureTopics(topics, state.partitions);
    const done = new Set(
      (await store.tables()).filter((t) => t.epoch === state.epoch && !t.pending).map((t) => t.table),
    );
    const missing = state.tables.filter((t) => !done.has(t.table));
    if (missing.length > 0) {
      const snapshot = await log.temporarySnapshot();
      try {
        snapshots.push(...(await loadSnapshot(deps, at, missing, snapshot, run, options.snapshotSizing)));
      } finally {
        await snapshot.release();
      }
    }
  }
  const snapshotLsn = new Map(
    (await store.tables()).filter((t) => t.epoch === state.epoch && !t.pending).map((t) => [t.table, t.snapshotLsn]),
  );
  const streamed = { transactions: 0, changes: 0, confirmedLsn: '' };
  // PostgreSQL or Kafka went away: read the slot again after 0.5, 1, 2, 4, 8 s (nothing is
  // lost, the slot was acknowledged only for what Kafka holds); then exit 3.
  for (let attempt = 1; ; attempt++) {
    try {
      const r = await streamChanges(deps, state, snapshotLsn, topicOf, options.follow, run);
      streamed.transactions += r.transactions;
      streamed.changes += r.changes;
      streamed.confirmedLsn = r.confirmedLsn;
      break;
    } catch (error) {
      if (!isTransient(error) || attempt > (run.retries ?? 5) || run.stopSignal?.stopped === true) throw error;
      const waitMs = 500 * 2 ** (attempt - 1);
      run.onRetry?.(error instanceof Error ? error : new Error(String(error)), attempt, waitMs);
      await new Promise((resolve) => setTimeout(resolve, waitMs));
    }
  }
  const seconds = (run.now() - started) / 1000;
  return {
    slot: state.slot,
    epoch: state.epoch,
    mode: options.follow ? 'follow' : 'drain',
    snapshots,
    ...streamed,
    seconds,
    changesPerSecond: seconds > 0 ? streamed.changes / seconds : 0,
  };
}

/** Reads the slot and sends its changes until drained (or stopped, with --follow). */
async function streamChanges(
  deps: CaptureDeps,
  state: CdcState,
  snapshotLsn: ReadonlyMap<string, Lsn>,
  topicOf: ReadonlyMap<string, string>,
  follow: boolean,
  run: CaptureRun,
): Promise<{ transactions: number; changes: number; confirmedLsn: string }> {
  const { log, sink } = deps;
  const started = run.now();
  const stream = await log.stream(state.slot, state.publication);
  run.onReady?.();
  let confirmed = (await log.slot(state.slot))?.confirmedLsn ?? 0n;
  const acknowledge = (replyRequested = false): void =>
    stream.send(standbyStatus(confirmed, Date.now(), replyRequested));
  const batcher = new KafkaBatcher(
    sink,
    (lsn) => {
      if (lsn <= confirmed) return;
      confirmed = lsn;
      acknowledge();
    },
    run.afterKafkaAck,
    run.onSent,
  );
  const decoder = new Decoder(state.epoch, state.tables, snapshotLsn);
  const nonce = randomBytes(8).toString('hex');
  let drained = false;
  let transactions = 0;
  let changes = 0;
  let lastFrame = run.now();
  // Nothing arrives while the server has nothing to send: ask it for a keepalive now and then,
  // which carries how far it has read, so an idle slot is acknowledged and pins no WAL.
  const ticker = setInterval(() => {
    if (batcher.pending > 0) void batcher.flush();
    if (run.now() - lastFrame > 500) acknowledge(true);
  }, 100);
  try {
    if (!follow) await log.emitMarker(DRAIN_MARKER_PREFIX, nonce);
    // Read by hand, not with for-await: leaving that loop would close the stream before the
    // last acknowledgement is sent.
    const frames = stream[Symbol.asyncIterator]();
    for (;;) {
      const next = await frames.next();
      if (next.done === true) break;
      const frame = next.value;
      lastFrame = run.now();
      if (batcher.failure !== undefined) throw batcher.failure.error;
      const f = decodeFrame(frame);
      if (f.type === 'keepalive') {
        // Everything before walEnd was sent already: with no transaction open, it is complete.
        if (!decoder.inTransaction) batcher.complete(f.walEnd);
        if (f.replyRequested) acknowledge();
      } else {
        const m = decodePgOutput(f.body);
        if (m.tag === 'message' && m.prefix === DRAIN_MARKER_PREFIX) {
          if (m.content.toString('utf8') === nonce) drained = true;
          if (!decoder.inTransaction) batcher.complete(m.lsn);
        }
        let produced: Change[] | undefined;
        while (produced === undefined) {
          try {
            produced = decoder.changes(m);
          } catch (error) {
            try {
              // A column added in PostgreSQL: added to the replica and the record, then decoded again.
              if (!(error instanceof ColumnsAdded)) throw error;
              decoder.replace(await addCapturedColumns(deps, error, state.topicPrefix));
              run.onProgress?.({
                type: 'columns',
                table: error.table.table,
                columns: error.columns.map((c) => c.name),
              });
            } catch (stopping) {
              await batcher.drain().catch(() => {});
              throw stopping;
            }
          }
        }
        for (const change of produced) {
          const { key, value } = encodeChange(change);
          batcher.add({ topic: topicOf.get(change.table) ?? '', key, value });
        }
        changes += produced.length;
        if (m.tag === 'commit') {
          transactions++;
          batcher.complete(m.endLsn);
          batcher.committed(pgTimestampToUnixMs(m.commitTime));
          run.onProgress?.({
            type: 'changes',
            changes,
            changesPerSecond: changes / Math.max(0.001, (run.now() - started) / 1000),
            lsn: formatLsn(m.endLsn),
          });
        }
        if (batcher.full()) await batcher.flush();
      }
      if (drained && !decoder.inTransaction) break;
      if (run.stopSignal?.stopped === true && !decoder.inTransaction) break;
    }
    await batcher.drain();
    acknowledge();
  } finally {
    clearInterval(ticker);
    await stream.close();
  }
  return { transactions, changes, confirmedLsn: formatLsn(confirmed) };
}
