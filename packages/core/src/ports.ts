/**
 * The small interfaces core's jobs are written against. connectors implements them for
 * PostgreSQL, MySQL and Kafka; tests of the jobs' logic can implement them in memory.
 */

export type ServiceName = 'postgres' | 'mysql' | 'kafka';

export const SERVICE_LABELS: Readonly<Record<ServiceName, string>> = {
  postgres: 'PostgreSQL',
  mysql: 'MySQL',
  kafka: 'Kafka',
};

/** What a reachable service told us about itself. */
export interface ServiceInfo {
  readonly version: string;
  /** Highest applied etl migration; null when `etl init` never ran; absent where not applicable. */
  readonly schemaVersion?: number | null;
  /** Row count per etl table present in the database. */
  readonly tables?: Readonly<Record<string, number>>;
  /** Anything else worth a glance (for Kafka: cluster id, brokers, topic). */
  readonly detail?: string;
}

/** Reaches a service and describes it; throws ServiceUnreachableError when it cannot. */
export interface ServiceProbe {
  readonly service: ServiceName;
  /** Endpoint with any password masked. */
  readonly endpoint: string;
  describe(): Promise<ServiceInfo>;
}

export interface AppliedMigration {
  readonly version: number;
  readonly name: string;
}

export interface MigrationOutcome {
  readonly databaseCreated: boolean;
  readonly applied: readonly AppliedMigration[];
  readonly version: number;
}

/** A database whose etl schema can be brought up to date. */
export interface SchemaTarget {
  readonly service: ServiceName;
  readonly endpoint: string;
  migrate(): Promise<MigrationOutcome>;
}
