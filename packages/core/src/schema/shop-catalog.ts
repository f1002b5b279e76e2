/**
 * The demo shop's tables as the PostgreSQL catalog describes them: what the catalog reader
 * returns for a database `etl init` made. Jobs' unit tests use it in place of a live catalog.
 */
import type { PgColumnType, SourceTable } from '../catalog/source-table.js';
import { TABLES, type ColumnType, type TableName } from './tables.js';
import { pgType } from './type-mapping.js';

/** The type as the catalog reader describes it, with its oid and typmod as pg_attribute holds them. */
export function shopColumnType(type: ColumnType): { readonly oid: number; readonly type: PgColumnType } {
  const base = (oid: number, name: string, typmod = -1) => ({
    oid,
    type: { shape: { kind: 'base', name }, typmod, formatted: pgType(type) } as const,
  });
  switch (type.kind) {
    case 'integer':
      return base(23, 'int4');
    case 'bigint':
      return base(20, 'int8');
    case 'varchar':
      return base(1043, 'varchar', type.length + 4);
    case 'text':
      return base(25, 'text');
    case 'numeric':
      return base(1700, 'numeric', ((type.precision << 16) | type.scale) + 4);
    case 'timestamptz':
      return base(1184, 'timestamptz');
    case 'uuid':
      return base(2950, 'uuid');
    case 'inet':
      return base(869, 'inet');
    case 'jsonb':
      return base(3802, 'jsonb');
    case 'bytea':
      return base(17, 'bytea');
  }
}

export function shopSourceTable(table: TableName, oid = 0): SourceTable {
  const def = TABLES[table];
  return {
    name: { schema: 'public', name: def.name },
    oid,
    partitioned: false,
    columns: def.columns.map((c, i) => {
      const { oid: typeOid, type } = shopColumnType(c.type);
      return {
        name: c.name,
        attnum: i + 1,
        typeOid,
        typeMod: type.typmod,
        type,
        nullable: c.nullable,
        generated: false,
      };
    }),
    key: def.primaryKey,
    keySource: 'primary key',
    replicaIdentity: 'd',
    identity: def.primaryKey,
    estimatedRows: -1,
  };
}
