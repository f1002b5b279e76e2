/**
 * What the page shows, read through the same connectors and jobs the CLI uses, so the page and
 * `--json` cannot disagree. Every session is read-only with a statement timeout; a service that
 * is down fails only its own panel.
 */
import {
  KafkaEventSource,
  KafkaProbe,
  MysqlCdcStore,
  MysqlProbe,
  MysqlReplicaTarget,
  MysqlWarehouse,
  PostgresChangeLog,
  PostgresEventStore,
  PostgresProbe,
  PostgresRunStore,
  type DeadLetterView,
  type ReplicationStateView,
  type RunDetail,
  type RunSummary,
} from '@etl/connectors';
import {
  cdcStatus,
  DataCheckError,
  runDoctor,
  showModel,
  slotName,
  streamStatus,
  type CdcStatus,
  type DoctorReport,
  type EtlConfig,
  type MartsProject,
  type ModelBuildRecord,
  type ShowOptions,
  type ShowResult,
  type StreamStatus,
} from '@etl/core';

/** The marts page's list: every model of the project with its last build. */
export interface MartsOverview {
  readonly project: MartsProject;
  readonly builds: readonly ModelBuildRecord[];
}

/** Everything the views read; LivePageData reads it from the services, tests may supply their own. */
export interface PageData {
  /** The newest runs (before run `before`), with their tasks: the grid. */
  runPage(limit: number, before?: number): Promise<RunDetail[]>;
  /** `etl runs --json`. */
  runs(limit: number, before?: number): Promise<RunSummary[]>;
  /** `etl runs show --json`. */
  run(id: number): Promise<RunDetail | undefined>;
  /** `etl doctor --json`, with row counts from estimates, cached for a few seconds. */
  health(): Promise<DoctorReport>;
  /** `etl stream status --json`. */
  stream(): Promise<StreamStatus>;
  /** `etl cdc status --json`. */
  cdc(): Promise<CdcStatus>;
  deadLetters(limit: number): Promise<DeadLetterView[]>;
  replication(): Promise<ReplicationStateView[]>;
  /** The project's models and their last builds. */
  marts(): Promise<MartsOverview>;
  /** `etl marts show <model> --json` (undefined when the model is not built yet). */
  show(name: string, options: ShowOptions): Promise<ShowResult | undefined>;
  /** Changes when a run or a recent task changes: the one cheap check behind live updates. */
  changes(): Promise<string>;
}

const READ_ONLY = { readOnly: { statementTimeoutMs: 5000 }, connectTimeoutMs: 3000 } as const;
const HEALTH_CACHE_MS = 5000;
const STREAM_CACHE_MS = 1000;

/** One value shared by the requests of a few seconds (the probes are not free); a failure is not kept. */
class Cached<T> {
  private entry: { readonly at: number; readonly value: Promise<T> } | undefined;

  constructor(private readonly ttlMs: number) {}

  get(load: () => Promise<T>): Promise<T> {
    const now = Date.now();
    if (this.entry === undefined || now - this.entry.at > this.ttlMs) {
      const value = load();
      this.entry = { at: now, value };
      value.catch(() => {
        if (this.entry?.value === value) this.entry = undefined;
      });
    }
    return this.entry.value;
  }
}

export class LivePageData implements PageData {
  private readonly runStore: PostgresRunStore;
  private readonly events: PostgresEventStore;
  private readonly target: MysqlReplicaTarget;
  private readonly warehouse: MysqlWarehouse;
  private readonly healthCache = new Cached<DoctorReport>(HEALTH_CACHE_MS);
  private readonly streamCache = new Cached<StreamStatus>(STREAM_CACHE_MS);
  private readonly cdcCache = new Cached<CdcStatus>(STREAM_CACHE_MS);

  constructor(
    private readonly config: EtlConfig,
    private readonly group: string,
    private readonly project: MartsProject,
  ) {
    this.runStore = new PostgresRunStore(config.pg, READ_ONLY);
    this.events = new PostgresEventStore(config.pg, READ_ONLY);
    this.target = new MysqlReplicaTarget(config.mysql, { session: READ_ONLY });
    this.warehouse = new MysqlWarehouse(config.mysql, READ_ONLY);
  }

  runPage(limit: number, before?: number): Promise<RunDetail[]> {
    return this.runStore.page(limit, before);
  }

  runs(limit: number, before?: number): Promise<RunSummary[]> {
    return this.runStore.list(limit, before);
  }

  run(id: number): Promise<RunDetail | undefined> {
    return this.runStore.get(id);
  }

  health(): Promise<DoctorReport> {
    return this.healthCache.get(() => {
      const { pg, mysql, kafka, topic } = this.config;
      const probes = [
        new PostgresProbe(pg, 2000, true),
        new MysqlProbe(mysql, 2000, true),
        new KafkaProbe(kafka.brokers, topic),
      ];
      const secrets = [pg.password, mysql.password].filter((p): p is string => p !== undefined);
      return runDoctor(probes, { now: () => performance.now(), secrets });
    });
  }

  stream(): Promise<StreamStatus> {
    return this.streamCache.get(async () => {
      const source = new KafkaEventSource({ brokers: this.config.kafka.brokers, retries: 1, connectTimeoutMs: 2000 });
      try {
        return await streamStatus(source, this.events, this.config.topic, this.group);
      } finally {
        await source.stop();
      }
    });
  }

  cdc(): Promise<CdcStatus> {
    return this.cdcCache.get(async () => {
      const source = new KafkaEventSource({ brokers: this.config.kafka.brokers, retries: 1, connectTimeoutMs: 2000 });
      const store = new MysqlCdcStore(this.config.mysql, { session: READ_ONLY });
      try {
        return await cdcStatus(
          new PostgresChangeLog(this.config.pg, { session: READ_ONLY }),
          source,
          // Read only: the page never migrates; etl's tables are there once etl init (or a capture) ran.
          {
            prepare: async () => {},
            state: () => store.state(),
            tables: () => store.tables(),
            partitions: () => store.partitions(),
          },
          slotName(this.config.pg.database),
        );
      } finally {
        await source.stop();
      }
    });
  }

  deadLetters(limit: number): Promise<DeadLetterView[]> {
    return this.events.deadLetters(this.config.topic, limit, 512);
  }

  replication(): Promise<ReplicationStateView[]> {
    return this.target.states();
  }

  async marts(): Promise<MartsOverview> {
    return { project: this.project, builds: await this.warehouse.builds() };
  }

  async show(name: string, options: ShowOptions): Promise<ShowResult | undefined> {
    try {
      return await showModel(this.warehouse, this.project, name, options);
    } catch (error) {
      if (error instanceof DataCheckError && /has not been built yet/.test(error.message)) return undefined;
      throw error;
    }
  }

  changes(): Promise<string> {
    return this.runStore.changeToken();
  }
}
