/**
 * A PostgreSQL table as replication sees it: what the catalog (pg_class, pg_attribute, pg_type,
 * pg_index) says about it, read once per run by the SourceCatalog port and then passed around as
 * data. Nothing here knows the demo shop: its tables are described the same way as any user's.
 */

/** `schema.name`, both exactly as PostgreSQL stores them (case and every character kept). */
export interface QualifiedName {
  readonly schema: string;
  readonly name: string;
}

/** How a column's type is built, after domains are resolved to their base type. */
export type PgTypeShape =
  /** A built-in scalar type, by its pg_type.typname (`int4`, `numeric`, `timestamptz`, …). */
  | { readonly kind: 'base'; readonly name: string }
  /** A user-defined enum: its labels in their sort order (pg_enum.enumsortorder). */
  | { readonly kind: 'enum'; readonly name: string; readonly labels: readonly string[] }
  /** An array of any element type (PostgreSQL does not enforce the declared dimensions). */
  | { readonly kind: 'array'; readonly element: PgColumnType }
  /** A composite (row) type: its fields in order. */
  | {
      readonly kind: 'composite';
      readonly name: string;
      readonly fields: readonly { readonly name: string; readonly type: PgColumnType }[];
    }
  /** A range or multirange over a subtype. */
  | { readonly kind: 'range'; readonly name: string; readonly subtype: PgColumnType; readonly multi: boolean }
  /** Anything else (a type from an extension, a pseudo-type): carried as its text form. */
  | { readonly kind: 'other'; readonly name: string };

export interface PgColumnType {
  readonly shape: PgTypeShape;
  /**
   * The type modifier in force (atttypmod, or the domain's typtypmod when the column's is -1):
   * -1 when none. For varchar/char it is length + 4; for numeric ((precision << 16) | scale) + 4;
   * for time/timestamp/interval the fractional precision.
   */
  readonly typmod: number;
  /** format_type(base type, typmod): `numeric(10,2)`, `character varying(40)`, `integer[]`. */
  readonly formatted: string;
  /** The domain the column was declared with (`public.email_address`), when it was one. */
  readonly domain?: string;
}

export interface SourceColumn {
  readonly name: string;
  /** pg_attribute.attnum: survives a rename, identifies the column across runs. */
  readonly attnum: number;
  /**
   * pg_attribute.atttypid and atttypmod as declared (a domain's own oid, not its base type's):
   * what pgoutput's Relation message carries, so cdc can tell a retyped column.
   */
  readonly typeOid: number;
  readonly typeMod: number;
  readonly type: PgColumnType;
  /** False when declared NOT NULL (or its domain is). */
  readonly nullable: boolean;
  /** A stored generated column (attgenerated = 's'): its value is copied like any other. */
  readonly generated: boolean;
}

/** Where a table's row identity comes from. */
export type KeySource = 'primary key' | 'unique index' | 'none';

export interface SourceTable {
  readonly name: QualifiedName;
  /** pg_class.oid: survives a rename. */
  readonly oid: number;
  /** A partitioned table (relkind 'p') is read as one table through its parent. */
  readonly partitioned: boolean;
  /** Columns in attnum order, dropped columns left out. */
  readonly columns: readonly SourceColumn[];
  /**
   * The columns that identify a row: the primary key, else the first unique index whose
   * columns are all NOT NULL (no partial or expression index), else empty.
   */
  readonly key: readonly string[];
  readonly keySource: KeySource;
  /** pg_class.relreplident: 'd' default, 'f' full, 'i' index, 'n' nothing. */
  readonly replicaIdentity: 'd' | 'f' | 'i' | 'n';
  /**
   * The columns pgoutput sends as an UPDATE's or DELETE's old key: the primary key's for
   * DEFAULT, the identity index's for USING INDEX, every column for FULL, none for NOTHING
   * (or DEFAULT without a primary key, where PostgreSQL refuses such changes once published).
   */
  readonly identity: readonly string[];
  /** pg_class.reltuples (-1 or 0 when never analysed): a size hint, never a count. */
  readonly estimatedRows: number;
  /** The columns of each foreign key of the table (the join paths its readers take). */
  readonly foreignKeys?: readonly (readonly string[])[];
}
