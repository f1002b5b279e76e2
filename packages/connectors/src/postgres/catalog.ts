/**
 * The source's tables as PostgreSQL's catalog describes them (the SourceCatalog port): two
 * queries in one read-only snapshot, one for the tables with their columns, unique indexes and
 * foreign keys, one for every type those columns reach (through domains, arrays, composites and
 * ranges), then the types are resolved into their shapes here.
 *
 * Every table of the schemas is listed, also those the connecting role may not SELECT from: the
 * catalog is readable by every role, and a table left out silently would be worse than a
 * permission error when it is read.
 */
import { STATE_SCHEMA } from '@etl/core';
import type {
  DatabaseEndpoint,
  KeySource,
  PgColumnType,
  PgTypeShape,
  SourceCatalog,
  SourceColumn,
  SourceTable,
} from '@etl/core';
import type pg from 'pg';
import { withPostgres } from './client.js';

/**
 * Schemas left out when none are named: PostgreSQL's own, and etl's state (never a user's table)
 * but for its schema_migrations, whose presence tells replication that etl manages the database.
 */
const DEFAULT_FILTER = `n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND (n.nspname <> '${STATE_SCHEMA}' OR c.relname = 'schema_migrations')
  AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'`;

/**
 * Ordinary tables and partitioned parents (never a partition: the parent stands for them), with
 * their live columns in attnum order and their unique indexes. A parent's row estimate is the
 * sum over its leaf partitions (its own reltuples says nothing), each counted as at least 0.
 */
const tablesSql = (filter: string): string => `
SELECT c.oid::int8 AS oid, n.nspname AS schema, c.relname AS name, c.relkind = 'p' AS partitioned,
       c.relreplident AS replident, current_setting('server_version_num')::int AS version,
       CASE WHEN c.relkind = 'p'
            THEN (SELECT coalesce(sum(greatest(l.reltuples, 0)::float8), 0) FROM pg_partition_tree(c.oid) AS p
                    JOIN pg_class AS l ON l.oid = p.relid WHERE p.isleaf)
            ELSE c.reltuples END::float8 AS rows,
       (SELECT json_agg(json_build_object('name', a.attname, 'attnum', a.attnum, 'type', a.atttypid::int8,
                 'typmod', a.atttypmod, 'notnull', a.attnotnull, 'generated', a.attgenerated = 's')
               ORDER BY a.attnum)
          FROM pg_attribute AS a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped) AS columns,
       (SELECT json_agg(json_build_object('name', ic.relname, 'primary', i.indisprimary, 'valid', i.indisvalid,
                 'partial', i.indpred IS NOT NULL, 'identity', i.indisreplident,
                 'keys', to_json(i.indkey::int2[]), 'nkeys', i.indnkeyatts))
          FROM pg_index AS i JOIN pg_class AS ic ON ic.oid = i.indexrelid
         WHERE i.indrelid = c.oid AND i.indisunique) AS indexes,
       (SELECT json_agg(to_json(f.conkey::int2[]) ORDER BY f.conname)
          FROM pg_constraint AS f WHERE f.conrelid = c.oid AND f.contype = 'f') AS foreign_keys
  FROM pg_class AS c JOIN pg_namespace AS n ON n.oid = c.relnamespace
 WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND ${filter}`;

/**
 * A true array: varlena with an element type and not stored plain. This is format_type's own
 * test for writing `elem[]` (IsTrueArrayType as PostgreSQL 13 defines it); it leaves out
 * `name`, `point`, `box` (fixed length, typelem set) and `int2vector`, `oidvector`
 * (typcategory 'A' and typelem set, yet written `1 2 3`, not as an array literal).
 * typsubscript (PostgreSQL 14+) cannot tell them apart either: the vectors have
 * array_subscript_handler too, and PostgreSQL 13 has no such column.
 */
const TRUE_ARRAY = `t.typelem <> 0 AND t.typlen = -1 AND t.typstorage <> 'p'`;

/**
 * Every (type, typmod) the columns reach, and for each its catalog row, format_type and what
 * its shape needs: enum labels, composite fields, a range's subtype, a multirange's range.
 * The edges are those resolveType follows: a domain to its base type (keeping the column's
 * typmod, else taking the domain's), a true array to its element (same typmod), a composite to
 * its fields' types, a range to its subtype, a multirange (PostgreSQL 14+) to its range.
 */
const typesSql = (multiranges: boolean): string => {
  const toRange = multiranges
    ? `UNION ALL SELECT g.rngtypid, -1 FROM pg_range AS g WHERE t.typtype = 'm' AND g.rngmultitypid = t.oid`
    : '';
  const range = multiranges
    ? `(SELECT g.rngtypid::int8 FROM pg_range AS g WHERE t.typtype = 'm' AND g.rngmultitypid = t.oid)`
    : 'NULL::int8';
  return `
WITH RECURSIVE reach(oid, typmod) AS (
  SELECT * FROM unnest($1::oid[], $2::int4[])
  UNION
  SELECT x.oid, x.typmod
    FROM reach AS r JOIN pg_type AS t ON t.oid = r.oid
   CROSS JOIN LATERAL (
         SELECT t.typbasetype, CASE WHEN r.typmod = -1 THEN t.typtypmod ELSE r.typmod END WHERE t.typtype = 'd'
         UNION ALL SELECT t.typelem, r.typmod WHERE t.typtype <> 'd' AND ${TRUE_ARRAY}
         UNION ALL SELECT a.atttypid, a.atttypmod FROM pg_attribute AS a
                    WHERE t.typtype = 'c' AND a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped
         UNION ALL SELECT g.rngsubtype, -1 FROM pg_range AS g WHERE t.typtype = 'r' AND g.rngtypid = t.oid
         ${toRange}
         ) AS x(oid, typmod)
)
SELECT r.oid::int8 AS oid, r.typmod, format_type(r.oid, r.typmod) AS formatted,
       n.nspname AS schema, t.typname AS name, t.typtype AS typtype, t.typnotnull AS notnull,
       t.typbasetype::int8 AS base, t.typtypmod AS basetypmod, (${TRUE_ARRAY}) AS is_array, t.typelem::int8 AS element,
       (SELECT array_agg(e.enumlabel::text ORDER BY e.enumsortorder) FROM pg_enum AS e
         WHERE t.typtype = 'e' AND e.enumtypid = t.oid) AS labels,
       (SELECT json_agg(json_build_object('name', a.attname, 'type', a.atttypid::int8, 'typmod', a.atttypmod)
               ORDER BY a.attnum)
          FROM pg_attribute AS a
         WHERE t.typtype = 'c' AND a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped) AS fields,
       (SELECT g.rngsubtype::int8 FROM pg_range AS g WHERE t.typtype = 'r' AND g.rngtypid = t.oid) AS subtype,
       ${range} AS range
  FROM reach AS r JOIN pg_type AS t ON t.oid = r.oid JOIN pg_namespace AS n ON n.oid = t.typnamespace`;
};

interface ColumnRow {
  readonly name: string;
  readonly attnum: number;
  readonly type: number | string;
  readonly typmod: number;
  readonly notnull: boolean;
  readonly generated: boolean;
}

interface IndexRow {
  readonly name: string;
  readonly primary: boolean;
  readonly valid: boolean;
  readonly partial: boolean;
  readonly identity: boolean;
  readonly keys: readonly number[];
  readonly nkeys: number;
}

interface TableRow {
  readonly oid: string;
  readonly schema: string;
  readonly name: string;
  readonly partitioned: boolean;
  readonly replident: string;
  readonly version: number;
  readonly rows: number;
  readonly columns: readonly ColumnRow[] | null;
  readonly indexes: readonly IndexRow[] | null;
  readonly foreign_keys: readonly (readonly number[])[] | null;
}

interface TypeRow {
  readonly oid: string;
  readonly typmod: number;
  readonly formatted: string;
  readonly schema: string;
  readonly name: string;
  readonly typtype: string;
  readonly notnull: boolean;
  readonly base: string;
  readonly basetypmod: number;
  readonly is_array: boolean;
  readonly element: string;
  readonly labels: readonly string[] | null;
  readonly fields: readonly { readonly name: string; readonly type: number | string; readonly typmod: number }[] | null;
  readonly subtype: string | null;
  readonly range: string | null;
}

export class PostgresCatalog implements SourceCatalog {
  readonly endpoint: string;

  constructor(private readonly db: DatabaseEndpoint) {
    this.endpoint = db.display;
  }

  async tables(schemas?: readonly string[]): Promise<SourceTable[]> {
    return withPostgres(this.db, async (client) => {
      // One snapshot for both queries: a type dropped between them cannot go missing.
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      try {
        // format_type then qualifies every type outside pg_catalog, whatever the role's search_path.
        await client.query('SET LOCAL search_path = pg_catalog');
        const tables = await readTables(client, schemas);
        await client.query('COMMIT');
        return tables;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {});
        throw error; // withPostgres maps it (pgError)
      }
    });
  }
}

async function readTables(client: pg.Client, schemas: readonly string[] | undefined): Promise<SourceTable[]> {
  const rows =
    schemas === undefined
      ? (await client.query<TableRow>(tablesSql(DEFAULT_FILTER))).rows
      : (await client.query<TableRow>(tablesSql('n.nspname = ANY($1::text[])'), [schemas])).rows;
  if (rows.length === 0) return [];

  const starts = new Map<string, [number, number]>();
  for (const row of rows) {
    for (const c of row.columns ?? []) starts.set(typeKey(c.type, c.typmod), [Number(c.type), c.typmod]);
  }
  const multiranges = (rows[0]?.version ?? 0) >= 140000;
  const pairs = [...starts.values()];
  const typeRows = (
    await client.query<TypeRow>(typesSql(multiranges), [pairs.map((p) => p[0]), pairs.map((p) => p[1])])
  ).rows;
  const types = new Map(typeRows.map((t) => [typeKey(t.oid, t.typmod), t]));

  return rows.map((row) => describeTable(row, types)).sort(byName);
}

function describeTable(row: TableRow, types: ReadonlyMap<string, TypeRow>): SourceTable {
  const columnRows = row.columns ?? [];
  const columns: SourceColumn[] = columnRows.map((c) => {
    const { type, notNull } = resolveType(types, c.type, c.typmod, 0);
    return {
      name: c.name,
      attnum: c.attnum,
      typeOid: Number(c.type),
      typeMod: c.typmod,
      type,
      nullable: !c.notnull && !notNull,
      generated: c.generated,
    };
  });
  const { key, keySource } = chooseKey(row.indexes ?? [], columnRows);
  return {
    name: { schema: row.schema, name: row.name },
    oid: Number(row.oid),
    partitioned: row.partitioned,
    columns,
    key,
    keySource,
    replicaIdentity: replicaIdentity(row.replident),
    identity: identityColumns(replicaIdentity(row.replident), row.indexes ?? [], columnRows),
    estimatedRows: row.rows,
    foreignKeys: (row.foreign_keys ?? []).map((attnums) =>
      attnums.map((n) => columnRows.find((c) => c.attnum === n)?.name ?? ''),
    ),
  };
}

/**
 * The primary key, else the first unique index by name (byte order) that PostgreSQL would also
 * take as REPLICA IDENTITY USING INDEX: valid, not partial, no expression, and every key column
 * declared NOT NULL on the table (a NOT NULL domain alone is not enough: PostgreSQL lets such a
 * column read as null in corner cases, and refuses it as a replica identity). INCLUDE columns
 * (after indnkeyatts) identify nothing and are left out.
 */
function chooseKey(
  indexes: readonly IndexRow[],
  columns: readonly ColumnRow[],
): { key: readonly string[]; keySource: KeySource } {
  const byAttnum = new Map(columns.map((c) => [c.attnum, c]));
  const keyColumns = (index: IndexRow): ColumnRow[] | undefined => {
    const found = index.keys.slice(0, index.nkeys).map((attnum) => byAttnum.get(attnum));
    return found.every((c) => c !== undefined) ? found : undefined;
  };
  const primary = indexes.find((i) => i.primary);
  const primaryColumns = primary === undefined ? undefined : keyColumns(primary);
  if (primaryColumns !== undefined) return { key: primaryColumns.map((c) => c.name), keySource: 'primary key' };
  const unique = [...indexes]
    .filter((i) => !i.primary && i.valid && !i.partial && !i.keys.includes(0))
    .sort((a, b) => Buffer.compare(Buffer.from(a.name), Buffer.from(b.name)))
    .map(keyColumns)
    .find((cs) => cs !== undefined && cs.every((c) => c.notnull));
  if (unique !== undefined) return { key: unique.map((c) => c.name), keySource: 'unique index' };
  return { key: [], keySource: 'none' };
}

/** The columns the replica identity sends with an update or delete (SourceTable.identity). */
function identityColumns(
  identity: SourceTable['replicaIdentity'],
  indexes: readonly IndexRow[],
  columns: readonly ColumnRow[],
): string[] {
  if (identity === 'f') return columns.map((c) => c.name);
  const index = indexes.find((i) => (identity === 'd' ? i.primary : identity === 'i' && i.identity));
  if (index === undefined) return [];
  const byAttnum = new Map(columns.map((c) => [c.attnum, c.name]));
  return index.keys.slice(0, index.nkeys).flatMap((attnum) => byAttnum.get(attnum) ?? []);
}

/**
 * The type of a column (or array element, composite field, range subtype) from the rows of
 * typesSql, and whether a domain on the way down to the base type is NOT NULL.
 */
function resolveType(
  types: ReadonlyMap<string, TypeRow>,
  oid: number | string,
  typmod: number,
  depth: number,
): { type: PgColumnType; notNull: boolean } {
  const t = types.get(typeKey(oid, typmod));
  if (t === undefined) throw new Error(`the catalog read has no row for type ${String(oid)} (typmod ${typmod})`);
  // PostgreSQL refuses a composite that contains itself; this only keeps a bug from looping.
  if (depth > 100) throw new Error(`type ${t.schema}.${t.name} nests more than 100 levels deep`);
  if (t.typtype === 'd') {
    const inner = resolveType(types, t.base, typmod === -1 ? t.basetypmod : typmod, depth + 1);
    return {
      type: {
        shape: inner.type.shape,
        typmod: inner.type.typmod,
        formatted: inner.type.formatted,
        domain: typeName(t),
      },
      notNull: t.notnull || inner.notNull,
    };
  }
  const nested = (o: number | string, m: number): PgColumnType => resolveType(types, o, m, depth + 1).type;
  const shape = ((): PgTypeShape => {
    if (t.typtype === 'e') return { kind: 'enum', name: typeName(t), labels: t.labels ?? [] };
    if (t.is_array) return { kind: 'array', element: nested(t.element, typmod) };
    if (t.typtype === 'c') {
      const fields = (t.fields ?? []).map((f) => ({ name: f.name, type: nested(f.type, f.typmod) }));
      return { kind: 'composite', name: typeName(t), fields };
    }
    if (t.typtype === 'r' && t.subtype !== null) {
      return { kind: 'range', name: typeName(t), subtype: nested(t.subtype, -1), multi: false };
    }
    if (t.typtype === 'm' && t.range !== null) {
      const range = nested(t.range, -1);
      if (range.shape.kind === 'range') {
        return { kind: 'range', name: typeName(t), subtype: range.shape.subtype, multi: true };
      }
    }
    if (t.typtype === 'b' && t.schema === 'pg_catalog') return { kind: 'base', name: t.name };
    return { kind: 'other', name: typeName(t) };
  })();
  return { type: { shape, typmod, formatted: t.formatted }, notNull: false };
}

/** A type's name: its typname when it is PostgreSQL's own, else `schema.typname` (as stored, unquoted). */
function typeName(t: TypeRow): string {
  return t.schema === 'pg_catalog' ? t.name : `${t.schema}.${t.name}`;
}

function typeKey(oid: number | string, typmod: number): string {
  return `${String(oid)}/${typmod}`;
}

function replicaIdentity(value: string): SourceTable['replicaIdentity'] {
  if (value === 'd' || value === 'f' || value === 'i' || value === 'n') return value;
  throw new Error(`unknown pg_class.relreplident ${JSON.stringify(value)}`);
}

/** Schema, then name, in byte order (UTF-8), as PostgreSQL's "C" collation sorts them. */
function byName(a: SourceTable, b: SourceTable): number {
  return (
    Buffer.compare(Buffer.from(a.name.schema), Buffer.from(b.name.schema)) ||
    Buffer.compare(Buffer.from(a.name.name), Buffer.from(b.name.name))
  );
}
