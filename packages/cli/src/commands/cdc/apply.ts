import { Flags } from '@oclif/core';
import { runApply, type ApplyReport } from '@etl/core';
import { EtlCommand } from '../../base-command.js';
import { groupFlag, metricsFlags } from '../../flags.js';
import { applyMetrics, startMetrics } from '../../ops/metrics.js';
import { onStopSignal } from '../../signals.js';
import { isInteractive, renderTable, writeLine } from '../../ui/output.js';
import { runWithProgress } from '../../ui/progress.js';

const fmt = (n: number | string): string => Math.round(Number(n)).toLocaleString('en-US');

export default class CdcApply extends EtlCommand<typeof CdcApply, ApplyReport> {
  static override summary = 'Apply the captured changes from Kafka to the MySQL replicas, exactly once.';
  static override description = `A Kafka consumer group over the topics etl cdc capture writes. Each batch of a
partition is one MySQL transaction holding its upserts and deletes together with the partition's next
offset and last applied source position (etl_cdc_offsets). A record at or before that position
(a replay, or a change capture re-sent after a restart) or of another epoch (before a reset)
is dropped, so every change takes effect once. Under the partition's row lock a consumer that
lost the partition in a rebalance cannot overwrite newer rows.

By default it drains: it applies up to the end offsets that existed when it started, then exits
0. --follow keeps going until Ctrl-C or SIGTERM. Several processes in one --group share the
partitions.`;

  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --follow --group etl-cdc-apply',
  ];

  static override flags = {
    group: groupFlag('Consumer group.', { name: 'etl-cdc-apply', env: 'ETL_CDC_GROUP' }),
    follow: Flags.boolean({ description: 'Keep applying until interrupted.' }),
    ...metricsFlags(),
  };

  protected async execute(): Promise<ApplyReport> {
    const adapters = this.adapters();
    const source = adapters.eventSource();
    const release = onStopSignal(() => void source.stop());
    const ctx: { report?: ApplyReport } = {};
    const { metrics, close } = await startMetrics('cdc-apply', this.flags, (l) => writeLine(this.streams.stderr, l));
    try {
      await runWithProgress(
        [
          {
            title: `Applying changes to MySQL (group ${this.flags.group})${this.flags.follow ? ', following' : ''}`,
            run: async (c, report) => {
              c.report = await runApply(
                source,
                adapters.cdcStore(),
                { group: this.flags.group, follow: this.flags.follow },
                {
                  now: () => performance.now(),
                  ...(metrics === undefined ? {} : { onBatch: applyMetrics(metrics) }),
                  onReady: () => metrics?.health.ready(),
                  onProgress: (p) =>
                    report(
                      `${fmt(p.records)} records, ${fmt(p.applied)} applied, ` +
                        `${fmt(p.changesPerSecond)}/s, lag ${fmt(p.lag)}`,
                      {
                        records: p.records,
                        applied: p.applied,
                        changesPerSecond: Math.round(p.changesPerSecond),
                        lag: Number(p.lag),
                      },
                    ),
                  onRetry: (error, attempt, waitMs) => {
                    metrics?.error(error);
                    metrics?.health.wait(`retrying: ${error.message.split('\n')[0] ?? ''}`);
                    report(
                      `applying a batch failed (${error.message.split('\n')[0]}); ` +
                        `attempt ${attempt + 1} in ${waitMs} ms`,
                    );
                  },
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
      await source.stop();
      await close();
    }
    if (ctx.report === undefined) throw new Error('apply finished without a report');
    return ctx.report;
  }

  protected render(r: ApplyReport): void {
    writeLine(
      this.streams.stdout,
      renderTable(
        ['group', 'records', 'applied', 'skipped', 'seconds', 'changes/s', 'lag'],
        [
          [
            r.group,
            fmt(r.records),
            fmt(r.applied),
            fmt(r.skipped),
            r.seconds.toFixed(2),
            fmt(r.changesPerSecond),
            fmt(r.lag),
          ],
        ],
        isInteractive(this.streams.stdout),
      ),
    );
  }
}
