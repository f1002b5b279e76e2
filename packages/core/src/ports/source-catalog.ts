/**
 * `etl replicate`, `etl verify`, `etl cdc capture`: the source's tables as its catalog describes them.
 * Implemented by PostgresCatalog.
 */

import type { SourceTable } from '../catalog/source-table.js';

export interface SourceCatalog {
  readonly endpoint: string;
  /**
   * Every ordinary and partitioned table of these schemas (all schemas the role can see but
   * pg_catalog, information_schema, pg_toast and etl's own when none are given), described in
   * one read. Partitions of a partitioned table are left out: the parent stands for them.
   */
  tables(schemas?: readonly string[]): Promise<SourceTable[]>;
}
