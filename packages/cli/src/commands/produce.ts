import { Flags } from '@oclif/core';
import { runProduce, type ProduceReport } from '@etl/core';
import { EtlCommand } from '../base-command.js';
import { onStopSignal } from '../signals.js';
import { isInteractive, renderTable, writeLine } from '../ui/output.js';
import { runWithProgress } from '../ui/progress.js';

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

export default class Produce extends EtlCommand<typeof Produce, ProduceReport> {
  static override summary = 'Send user-activity events (believable sessions of existing users) to Kafka.';
  static override description = `Each session: a login, page views and clicks, sometimes an add_to_cart and a
purchase of an existing
product, usually a logout. Users and products are those in PostgreSQL (run \`etl seed\` first). The
record key is the user_id; the value is the JSON event.

Creates the topic when missing (--partitions). Sends in batches with kafkajs' idempotent producer,
acknowledged by all in-sync replicas. --rate caps events per second; --follow runs until Ctrl-C
or SIGTERM, then stops after the batch in hand.`;

  static override examples = [
    '<%= config.bin %> <%= command.id %> --count 10000',
    '<%= config.bin %> <%= command.id %> --follow --rate 50',
    '<%= config.bin %> <%= command.id %> --count 1000 --topic clicks --partitions 6',
  ];

  static override flags = {
    count: Flags.integer({
      description: 'Events to send (default 1000 unless --follow).',
      min: 1,
      max: 100_000_000,
      exclusive: ['follow'],
    }),
    follow: Flags.boolean({ description: 'Keep producing until interrupted.' }),
    rate: Flags.integer({ description: 'At most this many events per second.', min: 1, max: 10_000_000 }),
    seed: Flags.integer({ description: 'Seed of the session generator (who does what).', default: 42, min: 0 }),
    partitions: Flags.integer({
      description: 'Partitions of the topic when it has to be created.',
      default: 3,
      min: 1,
      max: 1000,
    }),
  };

  protected async execute(): Promise<ProduceReport> {
    const adapters = this.adapters();
    const { config } = adapters;
    const store = adapters.eventStore();
    const sink = adapters.eventSink();
    let stopped = false;
    const release = onStopSignal(() => {
      stopped = true;
    });
    const ctx: { report?: ProduceReport } = {};
    try {
      await runWithProgress(
        [
          {
            title: `Producing to ${config.topic}`,
            run: async (c, report) => {
              c.report = await runProduce(
                sink,
                store,
                {
                  topic: config.topic,
                  partitions: this.flags.partitions,
                  count: this.flags.follow ? undefined : (this.flags.count ?? 1000),
                  follow: this.flags.follow,
                  rate: this.flags.rate,
                  seed: this.flags.seed,
                },
                {
                  now: () => performance.now(),
                  sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
                  stopped: () => stopped,
                  onProgress: (sent, rate) => report(`${fmt(sent)} events sent, ${fmt(rate)} events/s`),
                },
              );
            },
          },
        ],
        ctx,
        { quiet: this.jsonMode && !isInteractive(this.streams.stderr) },
      );
    } finally {
      release();
      await sink.close();
      await store.close();
    }
    if (ctx.report === undefined) throw new Error('produce finished without a report');
    return ctx.report;
  }

  protected render(r: ProduceReport): void {
    writeLine(
      this.streams.stdout,
      renderTable(
        ['topic', 'created', 'events', 'sessions', 'seconds', 'events/s'],
        [
          [
            r.topic,
            r.topicCreated ? 'yes' : 'no',
            fmt(r.events),
            fmt(r.sessions),
            r.seconds.toFixed(2),
            fmt(r.eventsPerSecond),
          ],
        ],
        isInteractive(this.streams.stdout),
      ),
    );
  }
}
