/**
 * What replication does to each table, as data: which columns travel, how PostgreSQL
 * formats each one for MySQL (pushed down into the COPY query), and which values are
 * transformed on the way (emails trimmed and lower-cased, masked columns hashed).
 * One place per table; the connectors only render and run it.
 */
import { createHash } from 'node:crypto';
import { DataCheckError, UsageError } from '../errors.js';
import { closest } from '../suggest.js';
import { dependencyWaves } from '../concurrency.js';
import { REPLICATED_TABLES, isTableName, type TableName } from '../schema/tables.js';
import { shopSourceTable } from '../schema/shop-catalog.js';
import type { KeySource, QualifiedName, SourceColumn, SourceTable } from '../catalog/source-table.js';
import { defaultReplicaName, fitMysqlName } from '../catalog/replica-names.js';
import { displayName } from '../catalog/selection.js';
import { mysqlIdent, pgIdent, pgString } from '../sql/identifiers.js';
import type { ColumnCodec } from './codec.js';
import { codecFor } from './codecs.js';

/** Replicated tables and the tables each one references (foreign keys in PostgreSQL). */
export const REPLICA_DEPENDENCIES: Readonly<Record<string, readonly TableName[]>> = {
  productcategories: [],
  users: [],
  products: ['productcategories'],
  orders: ['users'],
  orderdetails: ['orders', 'products'],
  kafka_events: [],
};

/**
 * A value transform in its two forms, defined side by side so they cannot disagree: `js` runs
 * in etl between the databases (and wherever rows arrive without SQL), `sql` is the same
 * function as a PostgreSQL expression, which verify pushes down to compare the source with the
 * replica. A test runs both on the same tricky values against a real PostgreSQL.
 */
export interface ValueTransform {
  readonly js: (value: string) => string;
  readonly sql: (expression: string) => string;
}

export interface ReplicaColumn {
  /** The column's name in PostgreSQL. */
  readonly name: string;
  /** Its name in the MySQL replica (the same unless the settings rename it). */
  readonly target: string;
  readonly source: SourceColumn;
  /** How its values travel and compare (one definition per type: codecs.ts). */
  readonly codec: ColumnCodec;
  /** Applied to the value on its way, when the column needs it. */
  readonly transform?: ValueTransform;
}

/** How rows are grouped for checksums and delete detection. */
export type KeyRanges =
  /** A last key column of an integer type: ranges of `size` consecutive values (index range scans). */
  | { readonly kind: 'integer'; readonly size: number }
  /** Any other key: buckets named by the first `digits` hex digits of the md5 of the key's text. */
  | { readonly kind: 'hash'; readonly digits: number }
  /** No key: the whole table is one multiset (count and sum of row hashes). */
  | { readonly kind: 'none' };

export interface ReplicaSpec {
  /** The replica's name in MySQL: what reports show and the state is recorded under. */
  readonly table: string;
  readonly source: QualifiedName;
  readonly partitioned: boolean;
  readonly columns: readonly ReplicaColumn[];
  /** The key's columns (PostgreSQL names); empty for a table without one. */
  readonly primaryKey: readonly string[];
  readonly keySource: KeySource | 'settings';
  readonly keyRanges: KeyRanges;
  /** The column incremental copies read changes by (`updated_at`), or null when there is none. */
  readonly cursor: string | null;
  /** True when some column is transformed in etl (rows must be parsed, not passed through). */
  readonly transformsRows: boolean;
  /** Masked columns, as `table.column`. */
  readonly masked: readonly string[];
  /** Secondary indexes of the replica (MySQL column names): one per foreign key of the source. */
  readonly indexes: readonly ReplicaIndex[];
}

/** A secondary index a replica gets, built after its rows are loaded. */
export interface ReplicaIndex {
  readonly name: string;
  /** MySQL column names, in order. */
  readonly columns: readonly string[];
}

/** ASCII whitespace: space, tab, newline, carriage return, vertical tab, form feed. */
const SPACE_CODES = [32, 9, 10, 13, 11, 12];
const EDGE_SPACE = /^[ \t\n\r\v\f]+|[ \t\n\r\v\f]+$/g;
const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';

/**
 * Emails: ASCII whitespace trimmed at both ends, A–Z lower-cased. Both forms stay to ASCII so
 * they agree whatever the database's locale (PostgreSQL's lower() follows its collation, and
 * btrim() alone trims only spaces).
 */
export const normaliseEmail: ValueTransform = {
  js: (value) => value.replace(EDGE_SPACE, '').replace(/[A-Z]+/g, (s) => s.toLowerCase()),
  sql: (e) =>
    `translate(btrim(${e}, ${SPACE_CODES.map((c) => `chr(${c})`).join(' || ')}), '${UPPER}', '${UPPER.toLowerCase()}')`,
};

/** A deterministic stand-in: equal inputs give equal outputs (joins still work), people are not shown. */
export const mask: ValueTransform = {
  js: (value) => `masked_${createHash('sha256').update(value, 'utf8').digest('hex').slice(0, 24)}`,
  sql: (e) => `'masked_' || left(encode(sha256(convert_to(${e}, 'UTF8')), 'hex'), 24)`,
};

/** `second` applied to the result of `first`, in both forms. */
export function composeTransforms(first: ValueTransform | undefined, second: ValueTransform): ValueTransform {
  if (first === undefined) return second;
  return { js: (v) => second.js(first.js(v)), sql: (e) => second.sql(first.sql(e)) };
}

/**
 * Parses `--mask users.email,sales__orders.note` (or `--unmask`): each entry is the replica's
 * table name, a dot and a column. The tables and columns are checked against the source's
 * catalog when the run is planned (checkMasks).
 */
export function parseMasks(raw: string | undefined, flag = '--mask'): string[] {
  if (raw === undefined || raw.trim() === '') return [];
  const masks = raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const bad = masks.filter((m) => m.lastIndexOf('.') <= 0 || m.endsWith('.'));
  if (bad.length > 0)
    throw new UsageError(`${flag}: ${bad.map((m) => `"${m}" is not table.column of a replicated table`).join('; ')}`, {
      hint: `Name columns as table.column, for example ${flag} users.email,users.phone.`,
    });
  return [...new Set(masks)];
}

/** What a table's spec is built with, besides its catalog description. */
export interface SpecOptions {
  /** Masked columns of every table (`table.column`); those of this table apply. */
  readonly masks?: readonly string[];
  /** Value transforms by column name (the demo shop's email normalisation). */
  readonly transforms?: Readonly<Record<string, ValueTransform>>;
  /** The replica's MySQL name (default: defaultReplicaName). */
  readonly target?: string;
  /** The key to use when the table has none of its own. */
  readonly key?: readonly string[];
  /** The incremental cursor column (default: updated_at when there is one). */
  readonly cursor?: string;
  /** Columns stored as PostgreSQL's exact text whatever their type. */
  readonly asText?: readonly string[];
  /** MySQL names for columns, by PostgreSQL name. */
  readonly columnTargets?: Readonly<Record<string, string>>;
}

const INTEGER_TYPES = new Set(['int2', 'int4', 'int8']);
const CURSOR_TYPES = new Set(['timestamptz']);

/** Hex digits of a key hash per bucket name: about 10,000 rows a bucket, at most 65,536 buckets. */
export function hashDigits(estimatedRows: number): number {
  if (estimatedRows < 0) return 2;
  let digits = 1;
  while (digits < 4 && estimatedRows > 10_000 * 16 ** digits) digits++;
  return digits;
}

/** The spec of one source table: every column, its codec, its key, how it is compared. */
export function buildReplicaSpec(table: SourceTable, options: SpecOptions = {}): ReplicaSpec {
  const target = options.target ?? defaultReplicaName(table.name);
  const keyed = table.key.length > 0 ? table.key : (options.key ?? []);
  const keySource = table.key.length > 0 ? table.keySource : keyed.length > 0 ? 'settings' : 'none';
  const masked = (options.masks ?? []).filter((m) => m.startsWith(`${target}.`)).sort();
  const asText = new Set(options.asText ?? []);
  const keyBytes = keyShares(table, keyed, asText);
  const columns = table.columns.map((column): ReplicaColumn => {
    const key = `${target}.${column.name}`;
    const base = options.transforms?.[column.name];
    const transform = masked.includes(key) ? composeTransforms(base, mask) : base;
    return {
      name: column.name,
      target: options.columnTargets?.[column.name] ?? column.name,
      source: column,
      codec: codecFor(column, {
        asText: asText.has(column.name),
        key: keyed.includes(column.name),
        ...(keyBytes.has(column.name) ? { keyBytes: keyBytes.get(column.name) } : {}),
      }),
      ...(transform === undefined ? {} : { transform }),
    };
  });
  // Ranges of consecutive integers where every key column is an integer (a composite key's
  // leading columns then make few ranges, like a topic's partitions); buckets of a key hash
  // otherwise, so a text prefix never makes a range per distinct value.
  const integers = keyed.every((k) => {
    const shape = table.columns.find((c) => c.name === k)?.type.shape;
    return shape?.kind === 'base' && INTEGER_TYPES.has(shape.name);
  });
  const keyRanges: KeyRanges =
    keyed.length === 0
      ? { kind: 'none' }
      : integers
        ? { kind: 'integer', size: KEY_RANGE_SIZE }
        : { kind: 'hash', digits: hashDigits(table.estimatedRows) };
  const cursorName = options.cursor ?? 'updated_at';
  const cursorColumn = table.columns.find((c) => c.name === cursorName);
  const cursor =
    cursorColumn !== undefined &&
    cursorColumn.type.shape.kind === 'base' &&
    CURSOR_TYPES.has(cursorColumn.type.shape.name)
      ? cursorName
      : null;
  return {
    table: target,
    source: table.name,
    partitioned: table.partitioned,
    columns,
    primaryKey: keyed,
    keySource,
    keyRanges,
    cursor,
    transformsRows: columns.some((c) => c.transform !== undefined),
    masked,
    indexes: foreignKeyIndexes(table, target, columns, keyed),
  };
}

/** MySQL types an index holds whole (not TEXT, BLOB or JSON, which it indexes only by a prefix). */
const INDEXABLE =
  /^((var)?(char|binary)\(|decimal\(|(tinyint|smallint|mediumint|int|bigint|float|double|date|time|datetime)\b)/;

/** The bytes a value of this MySQL type takes in an index, or undefined when no index holds it whole. */
function indexableBytes(type: string): number | undefined {
  return INDEXABLE.test(type) ? mysqlKeyBytes(type) : undefined;
}

/**
 * A secondary index for each foreign key of the source (the paths joins take; InnoDB makes one
 * for each foreign key it enforces), unless the key already leads with those columns or one of
 * them is a type MySQL cannot index whole. No UNIQUE indexes: the source enforces uniqueness,
 * and a replica must take every state a batch of changes passes through.
 */
function foreignKeyIndexes(
  table: SourceTable,
  target: string,
  columns: readonly ReplicaColumn[],
  keyed: readonly string[],
): ReplicaIndex[] {
  const indexes: ReplicaIndex[] = [];
  for (const fk of table.foreignKeys ?? []) {
    const cols = fk.map((name) => columns.find((c) => c.name === name));
    if (cols.length === 0 || cols.some((c) => c === undefined)) continue;
    const present = cols as ReplicaColumn[];
    if (present.every((c, i) => keyed[i] === c.name)) continue;
    const bytes = present.map((c) => indexableBytes(c.codec.mysqlType));
    if (bytes.some((b) => b === undefined) || bytes.reduce<number>((n, b) => n + (b ?? 0), 0) > MYSQL_KEY_BYTES)
      continue;
    const names = present.map((c) => c.target);
    if (indexes.some((i) => i.columns.join('\u0000') === names.join('\u0000'))) continue;
    indexes.push({ name: fitMysqlName(`${target}_${names.join('_')}_idx`), columns: names });
  }
  return indexes;
}

/** MySQL's limit on the bytes of one index (InnoDB, DYNAMIC rows: MySQL 8.4 and MariaDB 10.11). */
const MYSQL_KEY_BYTES = 3072;

/** The most bytes a value of this MySQL type takes in an index (utf8mb4: 4 a character, 2 for a length). */
export function mysqlKeyBytes(type: string): number {
  const sized = /^(var)?(char|binary)\((\d+)\)/.exec(type);
  if (sized !== null) return Number(sized[3]) * (sized[2] === 'char' ? 4 : 1) + (sized[1] === undefined ? 0 : 2);
  const decimal = /^decimal\((\d+)/.exec(type);
  if (decimal !== null) return Math.ceil(Number(decimal[1]) / 2) + 1;
  const fixed: Readonly<Record<string, number>> = {
    tinyint: 1,
    smallint: 2,
    mediumint: 3,
    int: 4,
    bigint: 8,
    float: 4,
    double: 8,
    date: 3,
    time: 6,
    datetime: 8,
  };
  return fixed[/^[a-z]+/.exec(type)?.[0] ?? ''] ?? MYSQL_KEY_BYTES;
}

/**
 * Each variable-length key column's share of MySQL's 3,072-byte index, when the key's columns
 * at full width would not fit in it together: the fixed-width columns take what they need,
 * the variable ones split the rest.
 */
function keyShares(table: SourceTable, keyed: readonly string[], asText: ReadonlySet<string>): Map<string, number> {
  const key = keyed.map((name) => table.columns.find((c) => c.name === name)).filter((c) => c !== undefined);
  const widths = key.map((c) => ({ c, type: codecFor(c, { asText: asText.has(c.name), key: true }).mysqlType }));
  if (widths.reduce((n, w) => n + mysqlKeyBytes(w.type), 0) <= MYSQL_KEY_BYTES) return new Map();
  const variable = widths.filter((w) => /^var(char|binary)\(/.test(w.type));
  const fixed = widths.filter((w) => !variable.includes(w)).reduce((n, w) => n + mysqlKeyBytes(w.type), 0);
  const share = Math.floor((MYSQL_KEY_BYTES - fixed) / Math.max(1, variable.length)) - 2;
  return new Map(variable.map((w) => [w.c.name, Math.max(1, share)]));
}

/** The demo shop's own value transforms (its emails arrive in every shape). */
export const SHOP_TRANSFORMS: Readonly<Record<string, Readonly<Record<string, ValueTransform>>>> = {
  users: { email: normaliseEmail },
};

/**
 * A spec's options as plain data, with no functions in it: what `etl cdc` records with each
 * captured table, so that a later run (or another process) rebuilds exactly the same spec from
 * the recorded catalog description, whatever the catalog or the settings file say by then.
 */
export interface SpecRecipe {
  readonly target: string;
  readonly masks: readonly string[];
  /** The demo shop's own transforms (SHOP_TRANSFORMS of the table's name) apply. */
  readonly shopTransforms: boolean;
  readonly key?: readonly string[];
  readonly cursor?: string;
  readonly asText?: readonly string[];
  readonly columnTargets?: Readonly<Record<string, string>>;
}

/** The spec a recipe describes. */
export function specFromRecipe(table: SourceTable, recipe: SpecRecipe): ReplicaSpec {
  const { shopTransforms, ...options } = recipe;
  const transforms = shopTransforms ? SHOP_TRANSFORMS[table.name.name] : undefined;
  return buildReplicaSpec(table, { ...options, ...(transforms === undefined ? {} : { transforms }) });
}

/** A demo shop table's spec, from its definition (what the catalog says of a database etl seeded). */
export function replicaSpec(table: TableName, masks: readonly string[] = []): ReplicaSpec {
  const transforms = SHOP_TRANSFORMS[table];
  return buildReplicaSpec(shopSourceTable(table), { masks, ...(transforms === undefined ? {} : { transforms }) });
}

/** `etl cdc capture --tables a,b`: the demo shop's tables it carries, listed back in foreign-key order. */
export function parseTables(raw: string | undefined): TableName[] {
  if (raw === undefined || raw.trim() === '') return [...REPLICATED_TABLES];
  const names = raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const unknown = names.filter((n) => !isTableName(n) || !REPLICATED_TABLES.includes(n));
  if (unknown.length > 0) {
    const hints = unknown.map((n) => {
      const s = closest(n, REPLICATED_TABLES);
      return s === undefined ? `"${n}"` : `"${n}" (did you mean ${s}?)`;
    });
    throw new UsageError(
      `--tables: unknown table ${hints.join(', ')}; valid tables are ${REPLICATED_TABLES.join(', ')}`,
      {
        hint:
          "etl cdc carries the demo shop's tables so far; keep other tables current with etl replicate " +
          '(incremental), which takes any table.',
      },
    );
  }
  return REPLICATED_TABLES.filter((t) => names.includes(t));
}

/** Tables in waves: each after the tables it references, when those are replicated too. */
export function tableWaves<T extends string>(tables: readonly T[]): T[][] {
  return dependencyWaves(
    tables,
    (t) => t,
    (t) => REPLICA_DEPENDENCIES[t] ?? [],
  );
}

/** Keys are grouped in ranges of this many for checksums and delete detection. */
export const KEY_RANGE_SIZE = 10_000;

/** SQL for each side of a comparison: the row's normalised text, its key, its key range. */
export interface ComparisonSql {
  readonly rowText: string;
  readonly key: string;
  readonly keyRange: string;
}

/**
 * A key's text, the same on both sides: each column's compare text with backslashes and tabs
 * escaped, joined by tabs (so splitKey can take it apart whatever the values hold).
 */
function keyText(parts: readonly string[], dialect: 'pg' | 'mysql'): string {
  const esc =
    dialect === 'pg'
      ? (e: string) => `replace(replace(${e}, chr(92), chr(92) || chr(92)), chr(9), chr(92) || 't')`
      : (e: string) => `REPLACE(REPLACE(${e}, CHAR(92), CONCAT(CHAR(92), CHAR(92))), CHAR(9), CONCAT(CHAR(92), 't'))`;
  return dialect === 'pg'
    ? `concat_ws(chr(9), ${parts.map(esc).join(', ')})`
    : `CONCAT_WS(CHAR(9), ${parts.map(esc).join(', ')})`;
}

const keyColumns = (spec: ReplicaSpec): ReplicaColumn[] =>
  spec.primaryKey.map((k) => {
    const column = spec.columns.find((c) => c.name === k);
    if (column === undefined) throw new Error(`${spec.table}: key column ${k} is not a column`);
    return column;
  });

/** A row's key as text on the PostgreSQL side (its ctid for a table without a key). */
function pgKeyText(spec: ReplicaSpec): string {
  const keys = keyColumns(spec).map((c) => `(${c.codec.pgCompare(pgIdent(c.name))})::text`);
  return spec.primaryKey.length === 0 ? `ctid::text` : keyText(keys, 'pg');
}

/** PostgreSQL side: the values as replication writes them (transforms and masks applied). */
export function pgComparison(spec: ReplicaSpec): ComparisonSql {
  const parts = spec.columns.map((c) => {
    if (c.codec.digest !== undefined && c.transform === undefined) {
      return `coalesce(${c.codec.digest.pg(pgIdent(c.name))}, '\\N')`;
    }
    const text = `(${c.codec.pgCompare(pgIdent(c.name))})::text`;
    return `coalesce(${c.transform === undefined ? text : c.transform.sql(text)}, '\\N')`;
  });
  const key = pgKeyText(spec);
  return {
    rowText: `concat_ws(chr(31), ${parts.join(', ')})`,
    key,
    keyRange: pgKeyRange(spec, key),
  };
}

function pgKeyRange(spec: ReplicaSpec, key: string): string {
  const ranges = spec.keyRanges;
  if (ranges.kind === 'none') return `'*'`;
  if (ranges.kind === 'hash') return `substr(md5(${key}), 1, ${ranges.digits})`;
  const last = spec.primaryKey[spec.primaryKey.length - 1] ?? '';
  return `concat_ws(':', ${[
    ...spec.primaryKey.slice(0, -1).map((k) => `${pgIdent(k)}::text`),
    `(${pgIdent(last)} / ${ranges.size})::text`,
  ].join(', ')})`;
}

/** MySQL side: the stored values, printed the way PostgreSQL prints them. */
export function mysqlComparison(spec: ReplicaSpec): ComparisonSql {
  const parts = spec.columns.map((c) => {
    const value =
      c.codec.digest !== undefined && c.transform === undefined
        ? c.codec.digest.mysql(mysqlIdent(c.target))
        : c.codec.mysqlCompare(mysqlIdent(c.target));
    return `COALESCE(${value}, '\\\\N')`;
  });
  const keys = keyColumns(spec).map((c) => c.codec.mysqlCompare(mysqlIdent(c.target)));
  const key = spec.primaryKey.length === 0 ? `''` : keyText(keys, 'mysql');
  const ranges = spec.keyRanges;
  const targetOf = (k: string) => mysqlIdent(spec.columns.find((c) => c.name === k)?.target ?? k);
  const last = spec.primaryKey[spec.primaryKey.length - 1] ?? '';
  const keyRange =
    ranges.kind === 'none'
      ? `'*'`
      : ranges.kind === 'hash'
        ? `SUBSTR(MD5(${key}), 1, ${ranges.digits})`
        : `CONCAT_WS(':', ${[
            ...spec.primaryKey.slice(0, -1).map((k) => `CAST(${targetOf(k)} AS CHAR)`),
            `CAST(${targetOf(last)} DIV ${ranges.size} AS CHAR)`,
          ].join(', ')})`;
  return {
    rowText: `CONCAT_WS(CHAR(31), ${parts.join(', ')})`,
    key,
    keyRange,
  };
}

/** The rows a key range name stands for, as bounds a connector turns into a WHERE clause. */
export type KeyRangeBounds =
  /** Equal leading key columns, then a range of the last (integer) one: an index range scan. */
  | {
      readonly kind: 'integer';
      readonly equal: readonly { readonly column: string; readonly value: string }[];
      readonly column: string;
      readonly from: number;
      readonly to: number;
    }
  /** Rows whose key-range expression (pgComparison / mysqlComparison keyRange) equals the name. */
  | { readonly kind: 'expression'; readonly value: string };

export function keyRangeBounds(spec: ReplicaSpec, keyRange: string): KeyRangeBounds {
  const ranges = spec.keyRanges;
  if (ranges.kind !== 'integer') {
    const valid = ranges.kind === 'none' ? keyRange === '*' : new RegExp(`^[0-9a-f]{${ranges.digits}}$`).test(keyRange);
    if (!valid) throw new Error(`"${keyRange}" is not a key range of ${spec.table}`);
    return { kind: 'expression', value: keyRange };
  }
  const parts = keyRange.split(':');
  const keys = spec.primaryKey;
  const last = keys[keys.length - 1];
  const n = Number(parts[parts.length - 1]);
  if (parts.length !== keys.length || last === undefined || !Number.isSafeInteger(n)) {
    throw new Error(`"${keyRange}" is not a key range of ${spec.table}`);
  }
  return {
    kind: 'integer',
    equal: keys.slice(0, -1).map((column, i) => ({ column, value: parts[i] ?? '' })),
    column: last,
    from: n * ranges.size,
    to: n * ranges.size + ranges.size - 1,
  };
}

/** Splits a key built by the comparison SQL (tab-separated, escaped) back into its column values. */
export function splitKey(key: string): string[] {
  return key.split('\t').map((part) => part.replace(/\\(.)/gs, (_, c: string) => (c === 't' ? '\t' : c)));
}

/** What a refused value's error carries, between PostgreSQL and etl. */
const REFUSAL_TAG = 'etl-refuses-value';

/**
 * The COPY select list item of a column: its export, or, for a codec that refuses some values,
 * an expression that makes the COPY itself fail on such a value, naming the column, the row's
 * key and the value (a cast error PostgreSQL raises, so nothing needs creating in the source).
 */
export function pgExportColumn(spec: ReplicaSpec, column: ReplicaColumn): string {
  const c = pgIdent(column.name);
  const exported = column.codec.pgExport(c);
  const refuse = column.codec.refuse;
  if (refuse === undefined) return exported;
  const key = pgKeyText(spec);
  const tag = pgString(`${REFUSAL_TAG}\u001f${column.name}\u001f`);
  const report = `(${tag} || ${key} || chr(31) || left(${c}::text, 80))::int::text`;
  return `CASE WHEN ${refuse.when(c)} THEN ${report} ELSE (${exported})::text END`;
}

/** The order rows are read in: the key's, in byte order for text (MySQL's binary order). */
export function pgKeyOrder(spec: ReplicaSpec): string {
  return keyColumns(spec)
    .map((c) => (c.codec.textual ? `(${c.codec.pgExport(pgIdent(c.name))})::text COLLATE "C"` : pgIdent(c.name)))
    .join(', ');
}

/** A refusal raised by pgExportColumn, read back from PostgreSQL's error message; undefined for any other error. */
export function refusalIn(spec: ReplicaSpec, message: string): DataCheckError | undefined {
  const at = message.indexOf(REFUSAL_TAG);
  if (at < 0) return undefined;
  const [, column = '', key = '', value = ''] = message.slice(at).replace(/"$/, '').split('\u001f');
  const codec = spec.columns.find((c) => c.name === column)?.codec;
  // Each key column by name; text in quotes, so a space, comma or slash in it reads as part of it.
  const values = splitKey(key);
  const keyShown =
    spec.primaryKey.length === 0
      ? `row ${key}`
      : `key ${spec.primaryKey
          .map((k, i) => {
            const v = values[i] ?? '';
            const textual = spec.columns.find((c) => c.name === k)?.codec.textual ?? true;
            return `${k}=${textual ? JSON.stringify(v) : v}`;
          })
          .join(', ')}`;
  return new DataCheckError(
    `${displayName(spec.source)}.${column}, ${keyShown}: the value ${JSON.stringify(value)} cannot be stored in ` +
      `MySQL ${codec?.mysqlType ?? ''} (${codec?.refuse?.reason ?? 'out of range'}); nothing was swapped in`,
    {
      hint:
        `Store the column as exact text with \`as_text: [${column}]\` for ${displayName(spec.source)} in the ` +
        'settings file (etl.yaml), or exclude the table.',
    },
  );
}
