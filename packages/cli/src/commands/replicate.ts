import { Flags } from '@oclif/core';
import {
  parseMasks,
  parseTables,
  previewMasks,
  runReplicate,
  unmaskRefusedError,
  type ReplicateMode,
  type ReplicateReport,
} from '@etl/core';
import { EtlCommand } from '../base-command.js';
import { yesFlag } from '../flags.js';
import { askYes } from '../ui/confirm.js';
import { isInteractive, renderTable, writeLine } from '../ui/output.js';
import { withStages } from '../ui/progress.js';

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

export default class Replicate extends EtlCommand<typeof Replicate, ReplicateReport> {
  static override summary = 'Copy the source tables from PostgreSQL to MySQL, fully or incrementally.';
  static override description = `Tables go in foreign-key order; independent ones run in parallel (up to --concurrency).

full (the first run's default): every row is streamed (COPY TO STDOUT → LOAD DATA LOCAL INFILE) into a
stage table that is then swapped in with one atomic RENAME TABLE: readers see the old table or the
new one, never a missing or half-loaded one. Keys and indexes are kept.

incremental (the default once a table has been replicated): only rows changed since the table's
watermark are read (re-reading from the start of the oldest transaction that was still open last
time, so late commits are not missed), upserted together with the new watermark in one MySQL
transaction; then rows deleted in PostgreSQL are found by comparing key ranges and deleted
(--no-deletes skips that).

On the way: timestamps become DATETIME(6) in UTC, emails are trimmed and lower-cased, and
--mask replaces the named columns with a deterministic hash (joins still work, people are not
exposed). Masks are sticky: the replica records them, and every later replicate and pipeline run
keeps them. A new --mask set replaces them; --unmask removes some. A run that would copy a masked
column in clear asks first on a terminal, and needs --yes in a script.

Rerunning leaves the target unchanged; a run killed at any point leaves the old or the new table,
and the next run completes.`;

  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    {
      description: 'Only some tables, copied in full',
      command: '<%= config.bin %> <%= command.id %> --tables users,orders --mode full',
    },
    {
      description: 'Hide personal data in the replica (kept by every later run)',
      command: '<%= config.bin %> <%= command.id %> --mask users.email,users.phone',
    },
    {
      description: 'Show the phone numbers again, in a script',
      command: '<%= config.bin %> <%= command.id %> --unmask users.phone --yes',
    },
  ];

  static override flags = {
    tables: Flags.string({
      description: 'Comma-separated tables (default: all replicated tables).',
      helpValue: '<a,b>',
    }),
    mode: Flags.string({
      description: 'full or incremental (default: full the first time, then incremental).',
      options: ['full', 'incremental'],
    }),
    concurrency: Flags.integer({ description: 'Independent tables replicated at once.', default: 2, min: 1, max: 16 }),
    mask: Flags.string({
      description: 'Columns to replace with a deterministic hash, as table.column,… (replaces the recorded set).',
      helpValue: '<t.c,…>',
    }),
    unmask: Flags.string({
      description: 'Masked columns to copy in clear again, as table.column,…',
      helpValue: '<t.c,…>',
    }),
    yes: yesFlag('to unmask columns in a script'),
    deletes: Flags.boolean({
      description: 'Delete from MySQL the rows deleted in PostgreSQL (incremental mode).',
      default: true,
      allowNo: true,
    }),
  };

  protected async execute(): Promise<ReplicateReport> {
    const tables = parseTables(this.flags.tables);
    const masks = {
      ...(this.flags.mask === undefined ? {} : { set: parseMasks(this.flags.mask, '--mask') }),
      ...(this.flags.unmask === undefined ? {} : { unmask: parseMasks(this.flags.unmask, '--unmask') }),
    };
    const mode = this.flags.mode as ReplicateMode | undefined;
    const adapters = this.adapters();
    const target = adapters.replicaTarget();
    await this.confirmUnmask((await previewMasks(target, tables, masks)).unmasked);
    const report = await withStages(
      tables,
      (stages) =>
        runReplicate(
          adapters.replicaSource(),
          target,
          { tables, mode, concurrency: this.flags.concurrency, masks, deletes: this.flags.deletes },
          {
            now: () => performance.now(),
            confirmUnmask: async () => true, // asked above
            onProgress: (event) => {
              if (event.type === 'start') stages.update(event.table, `${event.mode}…`);
              else if (event.type === 'rows')
                stages.update(event.table, `${fmt(event.rows)} rows, ${fmt(event.rowsPerSecond)} rows/s`);
              else {
                const r = event.report;
                stages.done(
                  r.table,
                  `${r.table}: ${r.mode}, ${fmt(r.rows)} rows${
                    r.deleted > 0 ? `, ${fmt(r.deleted)} deleted` : ''
                  } (${r.seconds.toFixed(1)} s)`,
                );
              }
            },
          },
        ),
      { quiet: this.jsonMode && !isInteractive(this.streams.stderr) },
    );
    for (const notice of report.notices) writeLine(this.streams.stderr, `Notice: ${notice}`);
    return report;
  }

  /** Asked before any progress is drawn: --yes, or a typed "yes" on a terminal; otherwise exit 2, nothing changed. */
  private async confirmUnmask(columns: readonly string[]): Promise<void> {
    if (columns.length === 0 || this.flags.yes) return;
    const answer = await askYes(this.streams, `This run copies ${columns.join(', ')} to MySQL in clear.`);
    if (answer !== 'yes') throw unmaskRefusedError(columns);
  }

  protected render(report: ReplicateReport): void {
    const rows = report.tables.map((t) => [
      t.table,
      t.mode,
      fmt(t.rows),
      fmt(t.deleted),
      fmt(t.targetRows),
      t.seconds.toFixed(2),
      t.rows > 0 ? fmt(t.rowsPerSecond) : '-',
      t.masked.length === 0 ? '-' : t.masked.map((m) => m.slice(t.table.length + 1)).join(', '),
      t.note,
    ]);
    writeLine(
      this.streams.stdout,
      renderTable(
        ['table', 'mode', 'rows copied', 'deleted', 'rows in MySQL', 'seconds', 'rows/s', 'masked', 'note'],
        rows,
        isInteractive(this.streams.stdout),
      ),
    );
    writeLine(this.streams.stdout, `Replicated ${report.source} → ${report.target} in ${report.seconds.toFixed(1)} s.`);
  }
}
