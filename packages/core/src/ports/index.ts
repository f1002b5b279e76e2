/**
 * Every contract between core's jobs and the outside world, one file per role. core declares
 * them; connectors implements them; a job's unit tests implement them in memory.
 *
 * | port              | used by the job                      | implemented in connectors by            |
 * |-------------------|--------------------------------------|-----------------------------------------|
 * | ServiceProbe      | doctor/job.ts (`etl doctor`)         | PostgresProbe, MysqlProbe, KafkaProbe   |
 * | SchemaTarget      | init/job.ts (`etl init`)             | PostgresSchemaTarget, MysqlSchemaTarget |
 * | SeedStore         | seed/job.ts (`etl seed`)             | PostgresSeedStore                       |
 * | ReplicaSource     | replicate/job.ts (`etl replicate`)   | PostgresReplicaSource                   |
 * | ReplicaTarget     | replicate/job.ts, verify/job.ts      | MysqlReplicaTarget                      |
 * | ChecksumSide      | verify/job.ts (`etl verify`)         | PostgresReplicaSource, MysqlReplicaTarget |
 * | Warehouse         | marts/job.ts (`etl marts`)           | MysqlWarehouse                          |
 * | EventSink         | produce/job.ts (`etl produce`)       | KafkaEventSink                          |
 * | CatalogSource     | produce/job.ts                       | PostgresEventStore                      |
 * | SourceCatalog     | replicate, verify, cdc capture       | PostgresCatalog                         |
 * | EventSource       | stream/job.ts (`etl stream`)         | KafkaEventSource                        |
 * | EventStore        | stream/job.ts                        | PostgresEventStore                      |
 * | RunRecorder, PipelineLock | pipeline/job.ts (`etl pipeline`) | PostgresRunStore                    |
 * | ChangeLog         | cdc/capture.ts (`etl cdc capture`)   | PostgresChangeLog                       |
 * | ChangeSink        | cdc/capture.ts                       | KafkaChangeSink                         |
 * | CdcStore          | cdc/capture.ts, cdc/apply.ts         | MysqlCdcStore                           |
 * | ChangeSource      | cdc/apply.ts (`etl cdc apply`)       | KafkaEventSource                        |
 *
 * Rows cross the ports in the wire formats of wire-formats.ts.
 */
export * from './wire-formats.js';
export * from './service-probe.js';
export * from './schema-target.js';
export * from './seed-store.js';
export * from './replica-source.js';
export * from './replica-target.js';
export * from './checksum-side.js';
export * from './warehouse.js';
export * from './event-sink.js';
export * from './catalog-source.js';
export * from './source-catalog.js';
export * from './event-source.js';
export * from './event-store.js';
export * from './run-recorder.js';
export * from './change-log.js';
export * from './cdc-store.js';
export * from './change-sink.js';
