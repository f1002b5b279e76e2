/**
 * `etl init`: a database whose etl schema can be brought up to date. Implemented by PostgresSchemaTarget,
 * MysqlSchemaTarget.
 */

import type { ServiceName } from './service-probe.js';

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
