/**
 * etl's own tables in MySQL/MariaDB (all named etl_…), as versioned migrations; the replicas
 * themselves are made by etl replicate from their sources. MySQL DDL is not transactional,
 * so every step is written to be re-runnable (IF NOT EXISTS) after a crash midway; the
 * version row is written last. The SQL runs on MySQL 8.4 and MariaDB 10.11 alike.
 *
 * Replicas carry no foreign keys: `etl replicate` swaps whole tables with RENAME TABLE.
 */
import type { Migration } from '@etl/core';

const TABLE_OPTIONS = 'ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin';

export const MYSQL_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'replica tables',
    // This created the demo shop's replicas, empty, in every database init ran on: a database
    // replicated from one's own PostgreSQL got tables it never asked for. etl replicate (and
    // the cdc snapshot) now creates every replica from its source's catalog, the shop's too,
    // with an index per foreign key. A database migrated before keeps what this made.
    steps: [],
  },
  {
    version: 2,
    name: 'replication state',
    steps: [
      // One row per replicated table, written in the same transaction as an incremental
      // load (after the swap for a full one).
      `CREATE TABLE IF NOT EXISTS \`etl_replication_state\` (
         \`table_name\`    varchar(64) NOT NULL,
         \`mode\`          varchar(16) NOT NULL,
         \`watermark\`     datetime(6) NOT NULL,
         \`masked\`        varchar(1000) NOT NULL DEFAULT '',
         \`rows_copied\`   bigint NOT NULL,
         \`target_rows\`   bigint NOT NULL,
         \`replicated_at\` datetime(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
         PRIMARY KEY (\`table_name\`)
       ) ${TABLE_OPTIONS}`,
    ],
  },
  {
    version: 3,
    name: 'change data capture state',
    steps: [
      // The running capture (one row), written by `etl cdc capture` before its snapshot.
      `CREATE TABLE IF NOT EXISTS \`etl_cdc_state\` (
         \`id\`           tinyint NOT NULL,
         \`epoch\`        varchar(40) NOT NULL,
         \`slot_name\`    varchar(63) NOT NULL,
         \`publication\`  varchar(63) NOT NULL,
         \`topic_prefix\` varchar(200) NOT NULL,
         \`tables_list\`  varchar(1000) NOT NULL,
         \`partitions\`   int NOT NULL,
         \`masked\`       varchar(1000) NOT NULL DEFAULT '',
         \`created_at\`   varchar(40) NOT NULL,
         PRIMARY KEY (\`id\`)
       ) ${TABLE_OPTIONS}`,
      // Each table's snapshot: changes committed before snapshot_lsn are in the loaded table.
      `CREATE TABLE IF NOT EXISTS \`etl_cdc_tables\` (
         \`table_name\`   varchar(64) NOT NULL,
         \`epoch\`        varchar(40) NOT NULL,
         \`snapshot_lsn\` bigint unsigned NOT NULL,
         \`snapshot_at\`  datetime(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
         PRIMARY KEY (\`table_name\`)
       ) ${TABLE_OPTIONS}`,
      // Per Kafka partition, written in the same transaction as the rows it applied.
      `CREATE TABLE IF NOT EXISTS \`etl_cdc_offsets\` (
         \`topic\`        varchar(249) NOT NULL,
         \`part\`         int NOT NULL,
         \`next_offset\`  bigint NOT NULL,
         \`epoch\`        varchar(40) NULL,
         \`lsn\`          bigint unsigned NULL,
         \`seq\`          int NULL,
         \`committed_at\` varchar(40) NULL,
         \`applied_at\`   datetime(6) NULL,
         PRIMARY KEY (\`topic\`, \`part\`)
       ) ${TABLE_OPTIONS}`,
    ],
  },
  {
    version: 4,
    name: 'captured tables',
    steps: [
      // One row per captured table, written with the state by `etl cdc capture`: its source,
      // topic and the description its spec is rebuilt from (CapturedTable as JSON). Replaces
      // etl_cdc_state.tables_list and .masked, which held only the demo shop's names.
      `CREATE TABLE IF NOT EXISTS \`etl_cdc_captured\` (
         \`table_name\`  varchar(64) NOT NULL,
         \`position\`    int NOT NULL,
         \`topic\`       varchar(249) NOT NULL,
         \`captured\`    longtext NOT NULL,
         PRIMARY KEY (\`table_name\`)
       ) ${TABLE_OPTIONS}`,
    ],
  },
  {
    version: 5,
    name: 'chunked copies',
    steps: [
      // A full copy going by key chunks, while its stage fills: where the chunks end (JSON) and
      // what the stage was made from; deleted once the stage is swapped in.
      `CREATE TABLE IF NOT EXISTS \`etl_replication_copies\` (
         \`table_name\`  varchar(64) NOT NULL,
         \`fingerprint\` char(64) NOT NULL,
         \`watermark\`   datetime(6) NOT NULL,
         \`bounds\`      longtext NOT NULL,
         \`started_at\`  datetime(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
         PRIMARY KEY (\`table_name\`)
       ) ${TABLE_OPTIONS}`,
      // Each chunk in the stage, written in the same transaction as its rows.
      `CREATE TABLE IF NOT EXISTS \`etl_replication_chunks\` (
         \`table_name\`  varchar(64) NOT NULL,
         \`chunk\`       int NOT NULL,
         \`rows_loaded\` bigint NOT NULL,
         \`loaded_at\`   datetime(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
         PRIMARY KEY (\`table_name\`, \`chunk\`)
       ) ${TABLE_OPTIONS}`,
    ],
  },
  {
    version: 6,
    name: 'resumable cdc snapshots',
    steps: [
      // A cdc snapshot going by chunks: the WAL position of its first attempt's snapshot, from
      // which a resumed attempt reads the changes its earlier chunks missed (NULL: a batch copy).
      `ALTER TABLE \`etl_replication_copies\` ADD COLUMN \`snapshot_lsn\` varchar(17) NULL`,
    ],
  },
  {
    version: 7,
    name: 'mart builds',
    steps: [
      // The last build of each model of a marts project, for the page: written after each
      // model is built, fails its tests, or is skipped.
      `CREATE TABLE IF NOT EXISTS \`etl_mart_builds\` (
         \`model\`        varchar(64) NOT NULL,
         \`materialized\` varchar(16) NOT NULL,
         \`status\`       varchar(16) NOT NULL,
         \`attempted_at\` datetime(6) NOT NULL,
         \`built_at\`     datetime(6) NULL,
         \`rows_built\`   bigint NULL,
         \`seconds\`      double NOT NULL,
         \`tests_passed\` int NOT NULL,
         \`tests_failed\` int NOT NULL,
         \`tests_warned\` int NOT NULL,
         \`message\`      varchar(2000) NOT NULL DEFAULT '',
         PRIMARY KEY (\`model\`)
       ) ${TABLE_OPTIONS}`,
    ],
  },
];

export const MYSQL_SCHEMA_TABLE_DDL = `CREATE TABLE IF NOT EXISTS \`etl_schema_migrations\` (
  \`version\`    int NOT NULL PRIMARY KEY,
  \`name\`       varchar(200) NOT NULL,
  \`applied_at\` datetime(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)
) ${TABLE_OPTIONS}`;
