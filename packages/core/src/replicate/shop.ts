/** How replication recognises the demo shop among any tables: by etl's own marker and the shop's columns. */
import type { SourceTable } from '../catalog/source-table.js';
import { isTableName, TABLES } from '../schema/tables.js';

/** The table where etl records its schema versions in a database it manages. */
export const SHOP_TABLES_MARKER = { schema: 'etl_state', name: 'schema_migrations' } as const;

/** A table of schema public whose name and columns are the shop's own. */
export function isShopTable(table: SourceTable): boolean {
  if (table.name.schema !== 'public' || !isTableName(table.name.name)) return false;
  const def = TABLES[table.name.name];
  return def.columns.length === table.columns.length && def.columns.every((c, i) => table.columns[i]?.name === c.name);
}
