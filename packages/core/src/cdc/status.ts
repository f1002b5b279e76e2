/**
 * `etl cdc status`: how far change data capture has come, per table (snapshot, last applied
 * source position, lag), for the slot (retained WAL, active) and per Kafka partition.
 */
import type { CdcStore, ChangeLog, ChangeSource, SlotInfo } from '../ports/index.js';
import { displayName } from '../catalog/selection.js';
import { comparePositions, type SourcePosition } from './change.js';
import { formatLsn } from './pgoutput.js';

/** A count of bytes as people read it: 512 B, 3.2 kB, 41.0 MB. */
export const formatBytes = (n: number): string =>
  n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(1)} MB` : n >= 1024 ? `${(n / 1024).toFixed(1)} kB` : `${n} B`;

export interface CdcTableStatus {
  /** The replica's MySQL name. */
  readonly table: string;
  /** The PostgreSQL table, as schema.table. */
  readonly source: string;
  readonly topic: string;
  readonly snapshot: 'done' | 'pending';
  readonly snapshotLsn: string | null;
  /** The last source position applied to the replica (commit LSN). */
  readonly appliedLsn: string | null;
  readonly appliedCommitAt: string | null;
  /** 0 when everything captured is applied and the slot is caught up; null when unknown. */
  readonly lagSeconds: number | null;
  readonly lagBytes: number;
  /** Kafka records of the table's topic not applied yet. */
  readonly lagRecords: string;
}

export interface CdcPartitionStatus {
  readonly topic: string;
  readonly partition: number;
  readonly endOffset: string;
  readonly appliedOffset: string | null;
  readonly lag: string;
}

export interface CdcStatus {
  readonly capturing: boolean;
  readonly epoch: string | null;
  readonly currentLsn: string;
  readonly slot: (Omit<SlotInfo, 'confirmedLsn'> & { readonly confirmedLsn: string | null }) | null;
  readonly slotName: string;
  readonly tables: readonly CdcTableStatus[];
  readonly partitions: readonly CdcPartitionStatus[];
}

export async function cdcStatus(
  log: Pick<ChangeLog, 'slot' | 'currentLsn'>,
  source: Pick<ChangeSource, 'topicOffsets'>,
  store: Pick<CdcStore, 'prepare' | 'state' | 'tables' | 'partitions'>,
  slotName: string,
  now: () => number = Date.now,
): Promise<CdcStatus> {
  await store.prepare();
  const [state, slot, currentLsn] = await Promise.all([store.state(), log.slot(slotName), log.currentLsn()]);
  const slotView =
    slot === undefined
      ? null
      : { ...slot, confirmedLsn: slot.confirmedLsn === null ? null : formatLsn(slot.confirmedLsn) };
  if (state === undefined) {
    return {
      capturing: false,
      epoch: null,
      currentLsn: formatLsn(currentLsn),
      slot: slotView,
      slotName,
      tables: [],
      partitions: [],
    };
  }
  const [snapshots, applied] = await Promise.all([store.tables(), store.partitions()]);
  const partitions: CdcPartitionStatus[] = [];
  const tables: CdcTableStatus[] = [];
  for (const captured of state.tables) {
    const { table, topic } = captured;
    const offsets = await source.topicOffsets(topic).catch(() => new Map<number, { end: string }>());
    let lagRecords = 0n;
    let last: { position: SourcePosition; committedAt: string | null } | undefined;
    for (const [partition, o] of [...offsets].sort((a, b) => a[0] - b[0])) {
      const p = applied.find((a) => a.topic === topic && a.partition === partition);
      const at = p?.nextOffset ?? null;
      const lag = BigInt(o.end) - BigInt(at ?? '0');
      lagRecords += lag > 0n ? lag : 0n;
      partitions.push({ topic, partition, endOffset: o.end, appliedOffset: at, lag: (lag > 0n ? lag : 0n).toString() });
      if (p?.position != null && p.epoch === state.epoch) {
        if (last === undefined || comparePositions(p.position, last.position) > 0) {
          last = { position: p.position, committedAt: p.committedAt };
        }
      }
    }
    const snap = snapshots.find((s) => s.table === table && s.epoch === state.epoch && !s.pending);
    const caughtUp = lagRecords === 0n && slot?.confirmedLsn != null;
    const behindFrom = caughtUp ? (slot?.confirmedLsn ?? 0n) : (last?.position.lsn ?? snap?.snapshotLsn ?? 0n);
    const lagBytes = currentLsn > behindFrom ? Number(currentLsn - behindFrom) : 0;
    tables.push({
      table,
      source: displayName(captured.source),
      topic,
      snapshot: snap === undefined ? 'pending' : 'done',
      snapshotLsn: snap === undefined ? null : formatLsn(snap.snapshotLsn),
      appliedLsn: last === undefined ? null : formatLsn(last.position.lsn),
      appliedCommitAt: last?.committedAt ?? null,
      lagSeconds:
        lagRecords === 0n
          ? 0
          : last?.committedAt == null
            ? null
            : Math.max(0, (now() - Date.parse(last.committedAt)) / 1000),
      lagBytes,
      lagRecords: lagRecords.toString(),
    });
  }
  return {
    capturing: true,
    epoch: state.epoch,
    currentLsn: formatLsn(currentLsn),
    slot: slotView,
    slotName,
    tables,
    partitions,
  };
}
