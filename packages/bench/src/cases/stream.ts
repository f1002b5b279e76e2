/**
 * `etl produce` then `etl stream` of 300,000 events, against the bare database in the same run:
 * `kcat -C … | psql \copy` of the same values into a table with one jsonb column (no keys, no
 * validation, no offsets). Also prints PostgreSQL alone storing the same typed rows into a table
 * with only the two keys exactly-once needs (coordinates, unique event_id) and no trigger.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runProduce, type DatabaseEndpoint, type StreamReport } from '@etl/core';
import { KafkaEventSink, PostgresEventStore, withPostgres } from '@etl/connectors';
import { throwawayDatabases } from '@etl/connectors/testing';
import { checkpoint, rate, seedShop, type BenchCase, type Measurement } from '../case.js';
import { runEtl } from '@etl/cli/testing';
import { psql, psqlCommand, sh } from '../shell.js';

const PARTITIONS = 3;
const COLUMNS =
  'topic, partition, "offset", event_id, event_type, user_id, occurred_at, page_url, ip_address, product_id, payload';

/** kcat reads every partition from the start to the end, one value per line, into one jsonb column. */
async function kcatIntoJsonb(db: DatabaseEndpoint, brokers: readonly string[], topic: string): Promise<Measurement> {
  await withPostgres(db, (c) => c.query('CREATE TABLE kafka_values_bare (doc jsonb)'));
  await checkpoint(db);
  const started = performance.now();
  // CSV with quote and delimiter bytes that JSON text never contains: each line is one value, as sent.
  await sh(
    `{ command -v kcat >/dev/null || { echo 'kcat is not installed: apt-get install kcat' >&2; exit 1; }; } && ` +
      `kcat -C -q -b ${brokers.join(',')} -t ${topic} -o beginning -e -f '%s\n' | ` +
      psqlCommand(
        db,
        `\\copy kafka_values_bare (doc) FROM STDIN WITH (FORMAT csv, QUOTE E'\\x01', DELIMITER E'\\x02')`,
      ),
    { PGPASSWORD: db.password ?? '' },
  );
  const seconds = (performance.now() - started) / 1000;
  const count = await withPostgres(db, async (c) =>
    Number((await c.query<{ n: string }>('SELECT count(*) AS n FROM kafka_values_bare')).rows[0]?.n),
  );
  return { label: 'kcat -C | psql \\copy of the same values into one jsonb column', count, seconds };
}

/** psql \copy of the rows etl stored into a table with only the keys exactly-once needs, one session per partition. */
async function postgresAlone(db: DatabaseEndpoint): Promise<Measurement> {
  const dir = mkdtempSync(join(tmpdir(), 'etl-bench-'));
  try {
    await withPostgres(db, (c) =>
      c.query(`CREATE TABLE kafka_events_alone (LIKE kafka_events INCLUDING DEFAULTS);
               ALTER TABLE kafka_events_alone ADD PRIMARY KEY (topic, partition, "offset"), ADD UNIQUE (event_id)`),
    );
    const files = Array.from({ length: PARTITIONS }, (_, p) => join(dir, `p${p}.tsv`));
    for (const [p, file] of files.entries())
      await psql(db, `\\copy (SELECT ${COLUMNS} FROM kafka_events WHERE partition = ${p}) TO '${file}'`);
    await checkpoint(db);
    const started = performance.now();
    await Promise.all(files.map((file) => psql(db, `\\copy kafka_events_alone (${COLUMNS}) FROM '${file}'`)));
    const seconds = (performance.now() - started) / 1000;
    const count = await withPostgres(db, async (c) =>
      Number((await c.query<{ n: string }>('SELECT count(*) AS n FROM kafka_events_alone')).rows[0]?.n),
    );
    return {
      label: 'PostgreSQL alone: the same typed rows from files into a table with only its two keys, 3 sessions',
      count,
      seconds,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const stream: BenchCase = {
  name: 'stream',
  description:
    'etl stream: 300k events drained into PostgreSQL vs kcat | psql \\copy of the same values into one jsonb column',
  async run({ servers, size, log }) {
    const events = size ?? 300_000;
    const dbs = throwawayDatabases(servers, 'etl_bench');
    const now = () => performance.now();
    const brokers = servers.kafkaBrokers;
    try {
      await seedShop(dbs.pg, { users: 10_000, products: 1_000, orders: 0 });

      log(`stream: producing ${events.toLocaleString('en-US')} events`);
      const store = new PostgresEventStore(dbs.pg);
      const sink = new KafkaEventSink({ brokers });
      const produced = await runProduce(
        sink,
        store,
        { topic: dbs.topic, partitions: 3, count: events, follow: false, rate: undefined, seed: 1 },
        {
          now,
          sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
          stopped: () => false,
        },
      );
      await sink.close();

      await store.close();

      // The command itself, in its own process, as a user runs it; its report times the drain
      // (the CLI's start-up is printed apart).
      log('stream: etl stream --json (drain into PostgreSQL)');
      const cli = await runEtl(['stream', '--json'], {
        env: {
          ETL_PG_URL: dbs.pg.url,
          ETL_MYSQL_URL: dbs.mysql.url,
          ETL_KAFKA_BROKERS: brokers.join(','),
          ETL_KAFKA_TOPIC: dbs.topic,
          ETL_STREAM_GROUP: 'bench-etl',
        },
        timeoutMs: 30 * 60_000,
      });
      if (cli.code !== 0)
        throw new Error(`etl stream exited ${cli.code}: ${cli.stderr.trim().split('\n').pop() ?? ''}`);
      const drained = JSON.parse(cli.stdout) as StreamReport;

      const peak = process.resourceUsage().maxRSS / 1024;

      log('stream: kcat | psql \\copy into one jsonb column');
      const limit = await kcatIntoJsonb(dbs.pg, brokers, dbs.topic);

      log('stream: PostgreSQL alone, the same rows from files');
      const alone = await postgresAlone(dbs.pg);
      const ours = {
        label: 'etl stream: validate, then one COPY and one offset update per batch, in one transaction',
        count: drained.records,
        seconds: drained.seconds,
      };
      const events_s = (m: Measurement) => `${Math.round(rate(m)).toLocaleString('en-US')} events/s`;
      return {
        unit: 'events',
        goal: 0.4,
        ours,
        limit,
        notes: [
          `${alone.label}: ${alone.count.toLocaleString('en-US')} rows in ${alone.seconds.toFixed(2)} s = ` +
            `${events_s(alone)}; etl stream runs at ${(rate(ours) / rate(alone)).toFixed(2)}× of it`,
          `produce: ${produced.events.toLocaleString('en-US')} events in ${produced.seconds.toFixed(1)} s = ` +
            `${Math.round(produced.eventsPerSecond).toLocaleString('en-US')} events/s (idempotent producer, acks=all)`,
          `etl stream stored ${drained.inserted.toLocaleString('en-US')} events in ${drained.batches} batches; ` +
            `the whole command took ${(cli.ms / 1000).toFixed(2)} s with its start-up`,
          `peak RSS of the bench process (the producer) ${peak.toFixed(0)} MB`,
        ],
      };
    } finally {
      await dbs.drop();
    }
  },
};
