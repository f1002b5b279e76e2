import { Flags } from '@oclif/core';
import {
  checkTopicPrefix,
  DEFAULT_CHUNK_ROWS,
  parseMasks,
  parseTablePatterns,
  runCapture,
  slotName,
  snapshotChunks,
  TABLES_FLAG_DESCRIPTION,
  unmaskRefusedError,
  type CaptureProgress,
  type CaptureReport,
} from '@etl/core';
import { EtlCommand } from '../../base-command.js';
import { configFlag, metricsFlags, yesFlag } from '../../flags.js';
import { captureMetrics, startMetrics } from '../../ops/metrics.js';
import { loadSettings } from '../../settings-file.js';
import { onStopSignal } from '../../signals.js';
import { askYes } from '../../ui/confirm.js';
import { isInteractive, renderTable, writeLine } from '../../ui/output.js';
import { runWithProgress } from '../../ui/progress.js';

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

/** One line of a capture's (or a resnapshot's) progress. */
export function progressLine(p: CaptureProgress): string {
  switch (p.type) {
    case 'snapshot':
      return `snapshot of ${p.table}: ${fmt(p.rows)} rows`;
    case 'columns':
      return `${p.table} gained ${p.columns.join(', ')} in PostgreSQL: added to the replica`;
    case 'changes':
      return `${fmt(p.changes)} changes, ${fmt(p.changesPerSecond)}/s, at ${p.lsn}`;
  }
}

export const topicPrefixFlag = Flags.string({
  description: 'Topics are <prefix>.<table>. Env: ETL_CDC_TOPIC_PREFIX.',
  default: 'etl.cdc',
  env: 'ETL_CDC_TOPIC_PREFIX',
  helpValue: '<prefix>',
  parse: async (input) => checkTopicPrefix(input),
});

export default class CdcCapture extends EtlCommand<typeof CdcCapture, CaptureReport> {
  static override summary = "Send every change of PostgreSQL's tables to Kafka, read from the write-ahead log.";
  static override description = `The first run creates a publication of the tables and a persistent replication
slot (pgoutput) with an exported snapshot, loads every table into MySQL from that snapshot (COPY → LOAD DATA →
stage → RENAME, as etl replicate --mode full), then sends every insert, update and delete
committed after it to Kafka: one topic per table (<prefix>.<table>), keyed by the primary key,
so the changes of a row stay in order on one partition. Later runs resume from the slot.

A column added in PostgreSQL without a default is added to the replica (NULL in the rows there)
and carried from its first change on. A column dropped or retyped, or added with a default (rows
already there hold a value no change carries), stops the capture with exit 4 before
acknowledging past it: etl cdc resnapshot --tables <table> loads just that table again.

Each record is JSON: epoch, op (insert/update/delete), table, lsn and seq (the source position),
committed_at, key, and after (the row as the replica stores it: UTC timestamps, masks applied).
A column left out of after is an unchanged TOASTed value. A new primary key is a delete and an
insert.

At least once into Kafka: the slot is acknowledged only after Kafka acknowledged every change
before that position; a kill re-sends, never skips (etl cdc apply drops what it has applied).

By default it drains: it sends what was committed before it started, then exits 0. --follow
keeps going until Ctrl-C or SIGTERM, then finishes the transaction in hand, acknowledges, exits 0.

Needs wal_level = logical and a role with REPLICATION (make up sets both up). Exits 2 with the
fix when one is missing, 75 when another capture holds the slot, 4 at such a schema change,
a TRUNCATE, or when the server invalidated the slot. When PostgreSQL or
Kafka goes away, the slot is read again after 0.5, 1, 2, 4 and 8 s, then it exits 3; a rerun
resumes from the slot.`;

  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --follow',
    {
      description: 'Only some tables, with masked emails (masks reach neither Kafka nor MySQL)',
      command: '<%= config.bin %> <%= command.id %> --tables users,orders --mask users.email',
    },
  ];

  static override flags = {
    tables: Flags.string({
      description: `${TABLES_FLAG_DESCRIPTION} A later run captures the same tables whatever this says.`,
      helpValue: '<patterns>',
    }),
    config: configFlag(),
    follow: Flags.boolean({ description: 'Keep capturing until interrupted.' }),
    ...metricsFlags(),
    'topic-prefix': topicPrefixFlag,
    partitions: Flags.integer({
      description: 'Partitions of each new topic (apply processes share them).',
      default: 3,
      min: 1,
      max: 1000,
    }),
    mask: Flags.string({
      description: 'Columns to replace with a deterministic hash, as table.column,… (first run only).',
      helpValue: '<t.c,…>',
    }),
    unmask: Flags.string({
      description: 'Masked columns to capture in clear, as table.column,…',
      helpValue: '<t.c,…>',
    }),
    yes: yesFlag('to unmask columns in a script'),
    'chunk-rows': Flags.integer({
      description:
        'The snapshot of a larger table goes by key chunks of about this many rows, --concurrency at once; a ' +
        'killed snapshot resumes from its chunks done, brought level from the slot.',
      default: DEFAULT_CHUNK_ROWS,
      min: 1,
      max: 1_000_000_000,
    }),
    concurrency: Flags.integer({
      description: 'Key chunks of one table loaded at once by the snapshot.',
      default: 2,
      min: 1,
      max: 16,
    }),
  };

  protected async execute(): Promise<CaptureReport> {
    const tables = this.flags.tables === undefined ? undefined : parseTablePatterns(this.flags.tables);
    const settings = loadSettings(this.flags.config, process.cwd());
    const masks = {
      ...(this.flags.mask === undefined ? {} : { set: parseMasks(this.flags.mask, '--mask') }),
      ...(this.flags.unmask === undefined ? {} : { unmask: parseMasks(this.flags.unmask, '--unmask') }),
    };
    const adapters = this.adapters();
    const sink = adapters.changeSink();
    const stopSignal = { stopped: false };
    const release = onStopSignal(() => {
      stopSignal.stopped = true;
    });
    const ctx: { report?: CaptureReport } = {};
    const slot = slotName(adapters.config.pg.database);
    const { metrics, close } = await startMetrics('cdc-capture', this.flags, (l) => writeLine(this.streams.stderr, l));
    const statusLog = adapters.changeLog();
    const observe = metrics === undefined ? undefined : captureMetrics(metrics, () => statusLog.slot(slot));
    try {
      await runWithProgress(
        [
          {
            title: `Capturing changes from PostgreSQL into Kafka${this.flags.follow ? ', following' : ''}`,
            run: async (c, report) => {
              c.report = await runCapture(
                {
                  log: adapters.changeLog(),
                  sink,
                  source: adapters.replicaSource(),
                  target: adapters.replicaTarget(),
                  store: adapters.cdcStore(),
                },
                {
                  tables,
                  settings,
                  follow: this.flags.follow,
                  topicPrefix: this.flags['topic-prefix'],
                  partitions: this.flags.partitions,
                  slot,
                  masks,
                  snapshotSizing: { chunkRows: this.flags['chunk-rows'], concurrency: this.flags.concurrency },
                },
                {
                  now: () => performance.now(),
                  stopSignal,
                  onReady: () => metrics?.health.ready(),
                  ...(observe === undefined ? {} : { onSent: observe.sent }),
                  confirmUnmask: (columns) => this.confirmUnmask(columns),
                  onRetry: (error, attempt, waitMs) => {
                    metrics?.error(error);
                    metrics?.health.wait(`retrying: ${error.message.split('\n')[0] ?? ''}`);
                    report(
                      `reading the slot failed (${error.message.split('\n')[0]}); ` +
                        `attempt ${attempt + 1} in ${waitMs} ms`,
                    );
                  },
                  onProgress: (p) => {
                    if (p.type === 'changes') observe?.progress(p);
                    report(progressLine(p), { ...p });
                  },
                  // Test seam for the kill between Kafka's acknowledgement and the slot's.
                  ...(process.env['ETL_TEST_CDC_KILL_AFTER_KAFKA_ACK'] === '1'
                    ? { afterKafkaAck: () => process.kill(process.pid, 'SIGKILL') }
                    : {}),
                },
              );
            },
          },
        ],
        ctx,
        { quiet: this.jsonMode && !isInteractive(this.streams.stderr) },
      );
    } catch (error) {
      metrics?.error(error);
      metrics?.health.fail(`stopped: ${error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error)}`);
      throw error;
    } finally {
      release();
      await sink.close();
      await close();
    }
    if (ctx.report === undefined) throw new Error('capture finished without a report');
    return ctx.report;
  }

  private async confirmUnmask(columns: readonly string[]): Promise<boolean> {
    if (this.flags.yes) return true;
    const answer = await askYes(this.streams, `This capture sends ${columns.join(', ')} in clear.`);
    if (answer !== 'yes') throw unmaskRefusedError(columns);
    return true;
  }

  protected render(r: CaptureReport): void {
    const interactive = isInteractive(this.streams.stdout);
    if (r.snapshots.length > 0) {
      writeLine(
        this.streams.stdout,
        renderTable(
          ['table', 'snapshot rows', 'at LSN', 'chunks'],
          r.snapshots.map((s) => [s.table, fmt(s.rows), s.lsn, snapshotChunks(s)]),
          interactive,
        ),
      );
      writeLine(this.streams.stdout);
    }
    writeLine(
      this.streams.stdout,
      renderTable(
        ['slot', 'epoch', 'transactions', 'changes', 'confirmed LSN', 'seconds', 'changes/s'],
        [
          [
            r.slot,
            r.epoch,
            fmt(r.transactions),
            fmt(r.changes),
            r.confirmedLsn,
            r.seconds.toFixed(2),
            fmt(r.changesPerSecond),
          ],
        ],
        interactive,
      ),
    );
  }
}
