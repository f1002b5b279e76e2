/** `etl marts`: the MySQL warehouse as marts need it. Implemented by MysqlWarehouse. */

import type { MartDefinition } from '../marts/definitions.js';

/** The MySQL warehouse as marts need it; connectors implements it. */
export interface Warehouse {
  readonly endpoint: string;
  prepare(): Promise<void>;
  /** Row count of a table, or null when it does not exist. */
  rows(table: string): Promise<number | null>;
  /** Creates `stage` with the mart's columns and grain, filled by the mart's SELECT; returns rows inserted. */
  build(mart: MartDefinition, stage: string): Promise<number>;
  /** Runs a query returning one value (`{{stage}}` filled in, if any) and returns it as text. */
  value(sql: string, stage?: string): Promise<string | null>;
  /** Puts `stage` in place of `mart` atomically, dropping the previous version. */
  swap(stage: string, mart: string): Promise<void>;
  drop(table: string): Promise<void>;
}
