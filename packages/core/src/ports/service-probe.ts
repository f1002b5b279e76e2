/** `etl doctor`: reaches a service and describes it. Implemented by PostgresProbe, MysqlProbe, KafkaProbe. */
import type { Privilege } from '../init/grants.js';

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
  /** Privileges etl needs here that this user lacks, each with the statement that grants it. */
  readonly missing?: readonly Privilege[];
}

/** Reaches a service and describes it; throws ServiceUnreachableError when it cannot. */
export interface ServiceProbe {
  readonly service: ServiceName;
  /** Endpoint with any password masked. */
  readonly endpoint: string;
  describe(): Promise<ServiceInfo>;
}
