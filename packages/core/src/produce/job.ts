/**
 * `etl produce`: sessions of existing users, sent to Kafka in batches, at an optional rate,
 * for a count of events or until stopped.
 */
import type { CatalogSource, EventSink } from '../ports/index.js';
import { DataCheckError, isDriverError } from '../errors.js';
import { SessionGenerator } from '../events/generator.js';
import type { UserEvent } from '../events/schema.js';

export interface ProduceOptions {
  readonly topic: string;
  readonly partitions: number;
  /** Events to send; undefined with follow. */
  readonly count: number | undefined;
  readonly follow: boolean;
  /** Events per second at most; undefined for as fast as the broker takes them. */
  readonly rate: number | undefined;
  readonly seed: number;
  readonly batchSize?: number;
}

export interface ProduceReport {
  readonly topic: string;
  readonly topicCreated: boolean;
  readonly events: number;
  readonly sessions: number;
  readonly seconds: number;
  readonly eventsPerSecond: number;
}

export interface ProduceRun {
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
  /** Checked between batches: stop cleanly when it returns true. */
  readonly stopped: () => boolean;
  readonly onProgress?: (sent: number, eventsPerSecond: number) => void;
}

/** The users and products sessions may name; there must be users. */
async function readCatalog(
  catalog: CatalogSource,
): Promise<{ readonly userIds: readonly number[]; readonly productIds: readonly number[] }> {
  const ids = await catalog.ids().catch((error: unknown) => {
    if (isDriverError(error, 'missing-table')) {
      throw new DataCheckError('PostgreSQL has no users table yet', { hint: 'Run `etl seed` first.', cause: error });
    }
    throw error;
  });
  if (ids.userIds.length === 0)
    throw new DataCheckError('PostgreSQL has no users to make sessions for', { hint: 'Run `etl seed` first.' });
  return ids;
}

export async function runProduce(
  sink: EventSink,
  catalog: CatalogSource,
  options: ProduceOptions,
  run: ProduceRun,
): Promise<ProduceReport> {
  const { userIds, productIds } = await readCatalog(catalog);
  const topicCreated = await sink.ensureTopic(options.topic, options.partitions);
  const generator = new SessionGenerator(options.seed, userIds, productIds);
  const batchSize = Math.max(1, Math.min(options.batchSize ?? 5000, options.rate ?? Infinity));
  const started = run.now();
  const limit = options.follow ? Infinity : (options.count ?? 0);
  let sent = 0;
  let sessions = 0;
  let pending: UserEvent[] = [];
  while (sent < limit && !run.stopped()) {
    while (pending.length < batchSize) pending.push(...generator.session(sessions++, Date.now()));
    const take = Math.min(batchSize, limit - sent);
    const batch = pending.slice(0, take);
    pending = pending.slice(take);
    await sink.send(
      options.topic,
      batch.map((e) => ({ key: String(e.user_id), value: JSON.stringify(e) })),
    );
    sent += batch.length;
    const elapsed = run.now() - started;
    run.onProgress?.(sent, elapsed > 0 ? (sent * 1000) / elapsed : 0);
    if (options.rate !== undefined) {
      const due = (sent * 1000) / options.rate;
      if (due > elapsed) await run.sleep(due - elapsed);
    }
  }
  const seconds = (run.now() - started) / 1000;
  return {
    topic: options.topic,
    topicCreated,
    events: sent,
    sessions,
    seconds,
    eventsPerSecond: seconds > 0 ? sent / seconds : 0,
  };
}
