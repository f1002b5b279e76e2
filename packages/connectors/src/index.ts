export { connectPostgres, withPostgres, quoteIdent, type PgConnectOptions } from './postgres/client.js';
export { pgError, sqlState } from './postgres/errors.js';
export { POSTGRES_PARTS, type PostgresPart } from './postgres/migrations.js';
export { PostgresSchemaTarget, migratePostgres, ensurePostgresDatabase } from './postgres/schema-target.js';
export { PostgresProbe } from './postgres/probe.js';

export { connectMysql, withMysql, quoteMysqlIdent, type MysqlConnectOptions } from './mysql/client.js';
export { mysqlError, mysqlCode } from './mysql/errors.js';
export { MYSQL_MIGRATIONS } from './mysql/migrations.js';
export { MysqlSchemaTarget, migrateMysql, ensureMysqlDatabase } from './mysql/schema-target.js';
export { MysqlProbe } from './mysql/probe.js';

export { createKafka, type KafkaClientOptions } from './kafka/client.js';
export { kafkaError } from './kafka/errors.js';
export { KafkaProbe } from './kafka/probe.js';
export { copyInto, type CopyChunks } from './postgres/copy.js';
export { PostgresSeedStore } from './postgres/seed-store.js';
export { PostgresReplicaSource } from './postgres/replica-source.js';
export { PostgresCatalog } from './postgres/catalog.js';
export {
  MysqlReplicaTarget,
  loadDataColumns,
  secondaryIndexes,
  type MysqlTargetOptions,
  type ReplicationStateView,
  type SecondaryIndex,
} from './mysql/replica-target.js';
export { MysqlWarehouse } from './mysql/warehouse.js';
export { KafkaChangeSink, KafkaEventSink, KafkaEventSource } from './kafka/events.js';
export { PostgresChangeLog } from './postgres/change-log.js';
export { MysqlCdcStore, applyChanges, collapse } from './mysql/cdc-store.js';
export { PostgresEventStore, type DeadLetterView } from './postgres/event-store.js';
export { PostgresRunStore, type RunSummary, type RunDetail } from './postgres/run-store.js';
export { FileSpool } from './shared/file-spool.js';
