/**
 * A benchmark case measures one of etl's paths and, in the same run on the same data, the
 * physical limit that path should approach (for example `psql \copy` of the same rows).
 */
import { FileSpool, PostgresSeedStore, withPostgres } from '@etl/connectors';
import type { Servers, ThrowawayDatabases } from '@etl/connectors/testing';
import { sh } from './shell.js';
import { SEED_DEFAULTS, runSeed, type DatabaseEndpoint } from '@etl/core';

export interface Measurement {
  /** What was measured, e.g. "etl COPY (generate + encode + stream)". */
  readonly label: string;
  /** How many units were moved. */
  readonly count: number;
  readonly seconds: number;
}

export interface BenchResult {
  readonly ours: Measurement;
  readonly limit: Measurement;
  readonly unit: string;
  /** The goal for ours / limit, if the project set one. */
  readonly goal?: number;
  readonly notes?: readonly string[];
}

export interface BenchContext {
  readonly servers: Servers;
  /** Rows/events to use; each case has its own default. */
  readonly size: number | undefined;
  /** `--scale N`: the case also runs at N times its size, to show how its time grows. */
  readonly scale: number | undefined;
  readonly log: (line: string) => void;
}

export interface BenchCase {
  readonly name: string;
  readonly description: string;
  /**
   * A peer tool measured beside etl (Debezium, Spark: a JVM, minutes): it runs when named, or
   * with `pnpm bench peers`, never in a plain `pnpm bench`.
   */
  readonly peer?: true;
  run(ctx: BenchContext): Promise<BenchResult>;
}

export function rate(m: Measurement): number {
  return m.seconds > 0 ? m.count / m.seconds : 0;
}

/** The seed benchmark's shape at a given order count: users = orders / 10, products = orders / 100. */
export function shopOfSize(orders: number): { users: number; products: number; orders: number } {
  return { users: Math.max(1, Math.round(orders / 10)), products: Math.max(1, Math.round(orders / 100)), orders };
}

/** Seeds a shop into a benchmark database (not timed by the callers that use it). */
export async function seedShop(
  db: DatabaseEndpoint,
  size: { users: number; products: number; orders: number },
): Promise<void> {
  const store = new PostgresSeedStore(db);
  try {
    const options = { ...SEED_DEFAULTS, ...size, reset: false };
    await runSeed(store, options, { now: () => performance.now(), spool: () => new FileSpool() });
  } finally {
    await store.close();
  }
}

/** The environment that points an `etl` process at a benchmark's databases, topics and group. */
export function etlEnvFor(dbs: ThrowawayDatabases, servers: Servers): NodeJS.ProcessEnv {
  return {
    ...process.env,
    ETL_PG_URL: dbs.pg.url,
    ETL_MYSQL_URL: dbs.mysql.url,
    ETL_KAFKA_BROKERS: servers.kafkaBrokers.join(','),
    ETL_CDC_TOPIC_PREFIX: dbs.topic,
    ETL_CDC_GROUP: `${dbs.topic}_apply`,
  };
}

/**
 * Writes out every dirty page, PostgreSQL's and the system's (files a case exported), so that
 * a timed run does not pay for writing back an earlier step's.
 */
export async function checkpoint(db: DatabaseEndpoint): Promise<void> {
  await withPostgres(db, (c) => c.query('CHECKPOINT'));
  await sh('sync');
}
