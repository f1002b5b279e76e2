/** How replication recognises the demo shop among any tables: by etl's own marker and the shop's columns. */
import type { SourceTable } from '../catalog/source-table.js';
import { isTableName, TABLES } from '../schema/tables.js';

/** The table etl init creates in a database it manages (schema version). */
export const SHOP_TABLES_MARKER = 'etl_schema_migrations';

/** A table of schema public whose name and columns are the shop's own. */
export function isShopTable(table: SourceTable): boolean {
  if (table.name.schema !== 'public' || !isTableName(table.name.name)) return false;
  const def = TABLES[table.name.name];
  return def.columns.length === table.columns.length && def.columns.every((c, i) => table.columns[i]?.name === c.name);
}
