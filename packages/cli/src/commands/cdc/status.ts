import { cdcStatus, formatBytes as bytes, slotName, type CdcStatus } from '@etl/core';
import { EtlCommand } from '../../base-command.js';
import { isInteractive, renderTable, writeLine } from '../../ui/output.js';

const fmt = (n: number | string): string => Math.round(Number(n)).toLocaleString('en-US');

export default class CdcStatusCommand extends EtlCommand<typeof CdcStatusCommand, CdcStatus> {
  static override summary = 'Where change data capture stands: per table, for the slot, per Kafka partition.';
  static override description = `Per table: whether its snapshot is loaded, the last source position applied to
MySQL and its commit time, and the lag (seconds since that commit while changes wait, bytes of WAL, and
Kafka records not applied). The slot: whether a capture reads it, its confirmed position, the WAL
it keeps on the server and its wal_status (lost means the server removed WAL it needed: run etl
cdc reset). Per partition: end offset, applied offset, lag.`;
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --json'];

  protected async execute(): Promise<CdcStatus> {
    const adapters = this.adapters();
    const source = adapters.eventSource(2);
    try {
      return await cdcStatus(adapters.changeLog(), source, adapters.cdcStore(), slotName(adapters.config.pg.database));
    } finally {
      await source.stop();
    }
  }

  protected render(s: CdcStatus): void {
    const interactive = isInteractive(this.streams.stdout);
    const out = this.streams.stdout;
    if (!s.capturing) {
      writeLine(out, 'Nothing is captured: run etl cdc capture to start.');
    } else {
      writeLine(
        out,
        renderTable(
          ['table', 'snapshot', 'applied LSN', 'committed at', 'lag s', 'lag WAL', 'lag records'],
          s.tables.map((t) => [
            t.table,
            t.snapshot,
            t.appliedLsn ?? '-',
            t.appliedCommitAt ?? '-',
            t.lagSeconds === null ? '?' : t.lagSeconds.toFixed(1),
            bytes(t.lagBytes),
            fmt(t.lagRecords),
          ]),
          interactive,
        ),
      );
      writeLine(out);
      writeLine(
        out,
        renderTable(
          ['topic', 'partition', 'end offset', 'applied offset', 'lag'],
          s.partitions.map((p) => [
            p.topic,
            p.partition,
            fmt(p.endOffset),
            p.appliedOffset === null ? '-' : fmt(p.appliedOffset),
            fmt(p.lag),
          ]),
          interactive,
        ),
      );
      writeLine(out);
    }
    writeLine(
      out,
      s.slot === null
        ? `Slot ${s.slotName}: none (WAL at ${s.currentLsn}).`
        : `Slot ${s.slotName}: ${s.slot.active ? 'active' : 'inactive'}, confirmed ${s.slot.confirmedLsn ?? '-'}, ` +
            `retains ${bytes(s.slot.retainedBytes)} of WAL, wal_status ${s.slot.walStatus ?? '-'} ` +
            `(WAL at ${s.currentLsn}).`,
    );
  }
}
