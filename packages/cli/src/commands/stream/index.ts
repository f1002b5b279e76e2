import { Flags } from '@oclif/core';
import { runStream, type StreamReport } from '@etl/core';
import { EtlCommand } from '../../base-command.js';
import { groupFlag, metricsFlags } from '../../flags.js';
import { startMetrics, streamMetrics } from '../../ops/metrics.js';
import { onStopSignal } from '../../signals.js';
import { isInteractive, renderTable, writeLine } from '../../ui/output.js';
import { runWithProgress } from '../../ui/progress.js';

const fmt = (n: number | string): string => Number(n).toLocaleString('en-US');

export function renderPartitions(report: Pick<StreamReport, 'partitions'>, interactive: boolean): string {
  return renderTable(
    ['partition', 'end offset', 'stored offset', 'lag'],
    report.partitions.map((p) => [
      p.partition,
      fmt(p.endOffset),
      p.storedOffset === null ? '-' : fmt(p.storedOffset),
      fmt(p.lag),
    ]),
    interactive,
  );
}

export default class Stream extends EtlCommand<typeof Stream, StreamReport> {
  static override summary = 'Load user-activity events from Kafka into PostgreSQL, exactly once.';
  static override description = `Consumes the topic in consumer group --group. Each record is validated: valid events
go to
kafka_events, anything else (not JSON, not an object, a missing or wrongly typed field, an unknown
event_type, a bad UUID, timestamp or IP address, an empty value) goes to kafka_events_dlq with its
Kafka coordinates, key, raw value and the reason. Bad records never stop the stream.

Exactly once: each Kafka batch is written in one PostgreSQL transaction together with the next
offset of its partition (etl_state.stream_offsets), and on every partition assignment the consumer
resumes at the stored offset. The keys (topic, partition, offset) and event_id make replays
harmless; an event re-sent by a producer (same event_id) is stored once.

By default it drains: it reads up to the end offsets that existed when it started, then exits 0.
--follow keeps going until Ctrl-C or SIGTERM, then finishes the batch in hand and exits 0.
Several processes in one group share the partitions.

A batch whose write fails because PostgreSQL went away is written again after 0.5, 1, 2, 4 and
8 s; if PostgreSQL is still gone, the command exits 3 and a rerun resumes where it stopped.`;

  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --follow',
    '<%= config.bin %> <%= command.id %> status',
  ];

  static override flags = {
    group: groupFlag(),
    follow: Flags.boolean({ description: 'Keep consuming until interrupted.' }),
    ...metricsFlags(),
  };

  protected async execute(): Promise<StreamReport> {
    const adapters = this.adapters();
    const { config } = adapters;
    const store = adapters.eventStore();
    const source = adapters.eventSource();
    const release = onStopSignal(() => void source.stop());
    const ctx: { report?: StreamReport } = {};
    const { metrics, close } = await startMetrics('stream', this.flags, (l) => writeLine(this.streams.stderr, l));
    const observe = metrics === undefined ? undefined : streamMetrics(metrics);
    try {
      await runWithProgress(
        [
          {
            title:
              `Streaming ${config.topic} (group ${this.flags.group}) into ` +
              `PostgreSQL${this.flags.follow ? ', following' : ''}`,
            run: async (c, report) => {
              c.report = await runStream(
                source,
                store,
                { topic: config.topic, group: this.flags.group, follow: this.flags.follow },
                {
                  now: () => performance.now(),
                  ...(observe === undefined ? {} : { onBatch: observe }),
                  onReady: () => metrics?.health.ready(),
                  onProgress: (p) =>
                    report(
                      `${fmt(p.records)} records, ${fmt(Math.round(p.eventsPerSecond))} events/s, ` +
                        `${fmt(p.deadLettered)} to the DLQ, lag ${fmt(p.lag)}`,
                      {
                        topic: config.topic,
                        records: p.records,
                        stored: p.inserted,
                        deadLettered: p.deadLettered,
                        eventsPerSecond: Math.round(p.eventsPerSecond),
                        lag: Number(p.lag),
                      },
                    ),
                  onRetry: (error, attempt, waitMs) => {
                    metrics?.error(error);
                    metrics?.health.wait(`retrying: ${error.message.split('\n')[0] ?? ''}`);
                    report(
                      `storing a batch failed (${error.message.split('\n')[0]}); attempt ${attempt + 1} in ` +
                        `${waitMs} ms`,
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
      await store.close();
      await close();
    }
    if (ctx.report === undefined) throw new Error('stream finished without a report');
    return ctx.report;
  }

  protected render(r: StreamReport): void {
    const interactive = isInteractive(this.streams.stdout);
    writeLine(
      this.streams.stdout,
      renderTable(
        ['topic', 'group', 'records', 'stored', 'dead letters', 'duplicates', 'seconds', 'events/s'],
        [
          [
            r.topic,
            r.group,
            fmt(r.records),
            fmt(r.inserted),
            fmt(r.deadLettered),
            fmt(r.duplicates),
            r.seconds.toFixed(2),
            fmt(Math.round(r.eventsPerSecond)),
          ],
        ],
        interactive,
      ),
    );
    writeLine(this.streams.stdout);
    writeLine(this.streams.stdout, renderPartitions(r, interactive));
  }
}
