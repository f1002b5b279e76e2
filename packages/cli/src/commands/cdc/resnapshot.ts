import { Flags } from '@oclif/core';
import {
  parseTablePatterns,
  runResnapshot,
  snapshotChunks,
  TABLES_FLAG_DESCRIPTION,
  type ResnapshotReport,
} from '@etl/core';
import { EtlCommand } from '../../base-command.js';
import { configFlag } from '../../flags.js';
import { loadSettings } from '../../settings-file.js';
import { isInteractive, renderTable, writeLine } from '../../ui/output.js';
import { runWithProgress } from '../../ui/progress.js';
import { progressLine } from './capture.js';

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

export default class CdcResnapshot extends EtlCommand<typeof CdcResnapshot, ResnapshotReport> {
  static override summary = 'Load some captured tables again from a fresh snapshot; the others keep their place.';
  static override description = `The way on after etl cdc capture stopped (exit 4) at a schema change it cannot
carry row by row: a column dropped or retyped, or added with a default. Each table is described
anew from PostgreSQL's catalog (keeping its masks and topic; --config settings apply), marked pending,
and loaded from a temporary slot's snapshot (COPY → LOAD DATA → stage → RENAME), then recorded as done
at the snapshot's position. etl cdc apply drops the table's records from before that position, and the
next etl cdc capture skips its changes from before it; the other tables lose nothing.

Run it while no capture reads the slot (exit 75 otherwise). A kill midway leaves the tables pending:
the next etl cdc capture, or this again, loads them.`;

  static override examples = [
    `<%= config.bin %> <%= command.id %> --tables orders`,
    {
      description: 'After a column of sales.orders was dropped: capture stops (4), resnapshot, capture again',
      command: `<%= config.bin %> <%= command.id %> --tables sales.orders && <%= config.bin %> cdc capture`,
    },
  ];

  static override flags = {
    tables: Flags.string({
      description: `${TABLES_FLAG_DESCRIPTION} Only tables the capture covers.`,
      helpValue: '<patterns>',
      required: true,
    }),
    config: configFlag(),
  };

  protected async execute(): Promise<ResnapshotReport> {
    const tables = parseTablePatterns(this.flags.tables);
    const settings = loadSettings(this.flags.config, process.cwd());
    const adapters = this.adapters();
    const ctx: { report?: ResnapshotReport } = {};
    await runWithProgress(
      [
        {
          title: 'Loading tables again from a fresh snapshot',
          run: async (c, report) => {
            c.report = await runResnapshot(
              {
                log: adapters.changeLog(),
                source: adapters.replicaSource(),
                target: adapters.replicaTarget(),
                store: adapters.cdcStore(),
              },
              { tables, settings },
              { now: () => performance.now(), onProgress: (p) => report(progressLine(p)) },
            );
          },
        },
      ],
      ctx,
      { quiet: this.jsonMode && !isInteractive(this.streams.stderr) },
    );
    if (ctx.report === undefined) throw new Error('resnapshot finished without a report');
    return ctx.report;
  }

  protected render(r: ResnapshotReport): void {
    writeLine(
      this.streams.stdout,
      renderTable(
        ['table', 'snapshot rows', 'at LSN', 'chunks'],
        r.snapshots.map((s) => [s.table, fmt(s.rows), s.lsn, snapshotChunks(s)]),
        isInteractive(this.streams.stdout),
      ),
    );
    writeLine(
      this.streams.stdout,
      `Loaded in ${r.seconds.toFixed(2)} s. etl cdc capture goes on from slot ${r.slot}; ` +
        'etl cdc apply drops what Kafka holds of these tables from before the snapshot.',
    );
  }
}
