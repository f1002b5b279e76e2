import { Flags } from '@oclif/core';
import {
  DEFAULT_CHUNK_ROWS,
  parseMasks,
  parseTablePatterns,
  previewMasks,
  TABLES_FLAG_DESCRIPTION,
  runReplicate,
  unmaskRefusedError,
  type ReplicateMode,
  type ReplicateReport,
} from '@etl/core';
import { EtlCommand } from '../base-command.js';
import { configFlag, yesFlag } from '../flags.js';
import { loadSettings } from '../settings-file.js';
import { askYes } from '../ui/confirm.js';
import { isInteractive, renderTable, writeLine } from '../ui/output.js';
import { withStages } from '../ui/progress.js';

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

export default class Replicate extends EtlCommand<typeof Replicate, ReplicateReport> {
  static override summary = 'Copy the source tables from PostgreSQL to MySQL, fully or incrementally.';
  static override description = `Any PostgreSQL database: every table of schema public but etl's own, or those --tables
names (patterns: 'public.*,sales.orders,!public.audit_*'). A table of schema public keeps its name in
MySQL; a table of schema s becomes s__t. Each replica's columns and types come from PostgreSQL's catalog:
a MySQL type that holds every value exactly where there is one, else PostgreSQL's own text form (arrays
and composites as JSON text); --json lists, per table, the columns stored that way. A value MySQL cannot
hold (a date before year 1000, infinity, NaN) stops the copy with exit 4 naming the table, column, key
and value, before anything is swapped in; names MySQL would merge ("ID" and id) or cannot hold stop it
with exit 2. Per-table settings (mode, key, cursor, masks, target names, columns as exact text) come
from --config or ./etl.yaml.

full (the first run's default): every row is streamed (COPY TO STDOUT → LOAD DATA LOCAL INFILE) into a
stage table that is then swapped in with one atomic RENAME TABLE: readers see the old table or the
new one, never a missing or half-loaded one. Every LOAD DATA is checked: one warning, or one row
fewer than were sent, fails it. Keys and indexes are kept.

incremental (the default once a table has been replicated, when it has a key and an updated_at
timestamptz column): only rows changed since the table's watermark are read (re-reading from the
start of the oldest transaction that was still open last time, so late commits are not missed),
upserted together with the new watermark in one MySQL transaction; then rows deleted in PostgreSQL
are found by comparing key ranges and deleted (--no-deletes skips that). A table without a key or a
cursor is copied in full each run, and the result says so.

On the way: the demo shop's emails are trimmed and lower-cased, and --mask replaces the named columns
with a deterministic hash (joins still work, people are not exposed). Masks are sticky: the replica
records them, and every later replicate and pipeline run keeps them. A new --mask set replaces them;
--unmask removes some. A run that would copy a masked column in clear asks first on a terminal, and
needs --yes in a script.

Rerunning leaves the target unchanged; a run killed at any point leaves the old or the new table,
and the next run completes.`;

  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    {
      description: 'Only some tables, copied in full',
      command: '<%= config.bin %> <%= command.id %> --tables users,orders --mode full',
    },
    {
      description: 'Your own database: every table of two schemas but the audit tables',
      command:
        "<%= config.bin %> <%= command.id %> --pg-url postgres://app@db/app --tables 'public.*,sales.*,!*.audit_*'",
    },
    {
      description: 'Per-table settings from a file (validated before anything runs)',
      command: '<%= config.bin %> <%= command.id %> --config replication.yaml',
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
      description: TABLES_FLAG_DESCRIPTION,
      helpValue: '<patterns>',
    }),
    config: configFlag(),
    mode: Flags.string({
      description: 'full or incremental (default: full the first time, then incremental).',
      options: ['full', 'incremental'],
    }),
    concurrency: Flags.integer({
      description: 'Loads at once: independent tables, and key chunks of a large table.',
      default: 2,
      min: 1,
      max: 16,
    }),
    'chunk-rows': Flags.integer({
      description:
        'A full copy of a larger table goes by key chunks of about this many rows: loaded --concurrency at once, ' +
        'and a killed run resumes from the chunks it finished.',
      default: DEFAULT_CHUNK_ROWS,
      min: 1,
      max: 1_000_000_000,
    }),
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
    const tables = this.flags.tables === undefined ? undefined : parseTablePatterns(this.flags.tables);
    const masks = {
      ...(this.flags.mask === undefined ? {} : { set: parseMasks(this.flags.mask, '--mask') }),
      ...(this.flags.unmask === undefined ? {} : { unmask: parseMasks(this.flags.unmask, '--unmask') }),
    };
    const mode = this.flags.mode as ReplicateMode | undefined;
    const adapters = this.adapters();
    const target = adapters.replicaTarget();
    const source = adapters.replicaSource();
    const settings = loadSettings(this.flags.config, process.cwd());
    const preview = await previewMasks(source, target, tables, masks, settings);
    await this.confirmUnmask(preview.unmasked);
    const report = await withStages(
      [...preview.byTable.keys()],
      (stages) =>
        runReplicate(
          source,
          target,
          {
            tables,
            mode,
            concurrency: this.flags.concurrency,
            chunkRows: this.flags['chunk-rows'],
            masks,
            deletes: this.flags.deletes,
            settings,
            described: preview.described,
          },
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
                  `${r.table}: ${r.mode}, ${fmt(r.rows)} rows${r.chunks > 1 ? ` in ${r.chunks} chunks` : ''}${
                    r.resumedChunks > 0 ? ` (${r.resumedChunks} done before)` : ''
                  }${r.deleted > 0 ? `, ${fmt(r.deleted)} deleted` : ''} (${r.seconds.toFixed(1)} s)`,
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
