/**
 * The one place that builds connectors from the resolved configuration. Every command and
 * every pipeline task gets its adapters here, so two paths to the same job cannot drift
 * apart (the pipeline once replicated without the masks the command had used).
 */
import {
  FileSpool,
  KafkaChangeSink,
  KafkaEventSink,
  KafkaEventSource,
  KafkaProbe,
  MysqlCdcStore,
  MysqlProbe,
  MysqlReplicaTarget,
  MysqlSchemaTarget,
  MysqlWarehouse,
  PostgresChangeLog,
  PostgresEventStore,
  PostgresProbe,
  PostgresReplicaSource,
  PostgresRunStore,
  PostgresSchemaTarget,
  PostgresSeedStore,
} from '@etl/connectors';
import type { EtlConfig, Spool } from '@etl/core';

export interface Adapters {
  readonly config: EtlConfig;
  probes(): [PostgresProbe, MysqlProbe, KafkaProbe];
  schemaTargets(): [PostgresSchemaTarget, MysqlSchemaTarget];
  seedStore(): PostgresSeedStore;
  /** Where a bulk seed sets the orders aside while their lines load (a temporary file). */
  spool(): Spool;
  replicaSource(): PostgresReplicaSource;
  replicaTarget(): MysqlReplicaTarget;
  warehouse(): MysqlWarehouse;
  eventStore(): PostgresEventStore;
  eventSink(): KafkaEventSink;
  /** `retries` bounds each Kafka request's retries (a status read gives up sooner). */
  eventSource(retries?: number): KafkaEventSource;
  runStore(): PostgresRunStore;
  changeLog(): PostgresChangeLog;
  changeSink(): KafkaChangeSink;
  cdcStore(): MysqlCdcStore;
}

/** `log` receives the drivers' own log lines (stderr with --debug). */
export function buildAdapters(config: EtlConfig, log: (line: string) => void): Adapters {
  const kafka = { brokers: config.kafka.brokers, retries: 3, log };
  return {
    config,
    probes: () => [
      new PostgresProbe(config.pg),
      new MysqlProbe(config.mysql),
      new KafkaProbe(config.kafka.brokers, config.topic),
    ],
    schemaTargets: () => [new PostgresSchemaTarget(config.pg), new MysqlSchemaTarget(config.mysql)],
    seedStore: () => new PostgresSeedStore(config.pg),
    spool: () => new FileSpool(),
    replicaSource: () => new PostgresReplicaSource(config.pg),
    replicaTarget: () => new MysqlReplicaTarget(config.mysql),
    warehouse: () => new MysqlWarehouse(config.mysql),
    eventStore: () => new PostgresEventStore(config.pg),
    eventSink: () => new KafkaEventSink(kafka),
    eventSource: (retries = kafka.retries) => new KafkaEventSource({ ...kafka, retries }),
    runStore: () => new PostgresRunStore(config.pg),
    changeLog: () => new PostgresChangeLog(config.pg),
    changeSink: () => new KafkaChangeSink(kafka),
    cdcStore: () => new MysqlCdcStore(config.mysql),
  };
}

/** Runs `work` with a resource and always closes it. */
export async function using<R extends { close(): Promise<void> }, T>(
  resource: R,
  work: (resource: R) => Promise<T>,
): Promise<T> {
  try {
    return await work(resource);
  } finally {
    await resource.close();
  }
}
