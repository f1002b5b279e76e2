/**
 * What replication does to each table, as data: which columns travel, how PostgreSQL
 * formats each one for MySQL (pushed down into the COPY query), and which values are
 * transformed on the way (emails trimmed and lower-cased, masked columns hashed).
 * One place per table; the connectors only render and run it.
 */
import { createHash } from 'node:crypto';
import { UsageError } from '../errors.js';
import { closest } from '../suggest.js';
import { dependencyWaves } from '../concurrency.js';
import { REPLICATED_TABLES, TABLES, isTableName, type ColumnDef, type TableName } from '../schema/tables.js';

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
  readonly name: string;
  readonly def: ColumnDef;
  /** SQL run in PostgreSQL whose text output is exactly what MySQL should store. */
  readonly pgExpression: string;
  /** Applied to the value on its way, when the column needs it. */
  readonly transform?: ValueTransform;
}

export interface ReplicaSpec {
  readonly table: TableName;
  readonly columns: readonly ReplicaColumn[];
  readonly primaryKey: readonly string[];
  /** True when some column is transformed in etl (rows must be parsed, not passed through). */
  readonly transformsRows: boolean;
  /** Masked columns, as `table.column`. */
  readonly masked: readonly string[];
}

const quote = (name: string): string => `"${name.replace(/"/g, '""')}"`;

/** How PostgreSQL should print a column so that MySQL stores the same value. */
export function pgExpressionFor(column: ColumnDef): string {
  const c = quote(column.name);
  switch (column.type.kind) {
    case 'timestamptz':
      // DATETIME(6) holds UTC; microseconds kept.
      return `to_char(${c} AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')`;
    case 'inet':
      return `host(${c})`;
    case 'uuid':
    case 'jsonb':
      return `${c}::text`;
    default:
      return c;
  }
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

const ROW_TRANSFORMS: Readonly<Record<string, ValueTransform>> = {
  'users.email': normaliseEmail,
};

/** Parses `--mask users.email,users.phone` (or `--unmask`), naming any unknown table or column. */
export function parseMasks(raw: string | undefined, flag = '--mask'): string[] {
  if (raw === undefined || raw.trim() === '') return [];
  const masks = raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const problems: string[] = [];
  for (const mask of masks) {
    const [table, column, extra] = mask.split('.');
    if (
      table === undefined ||
      column === undefined ||
      extra !== undefined ||
      !isTableName(table) ||
      !(REPLICATED_TABLES as readonly string[]).includes(table)
    ) {
      problems.push(`"${mask}" is not table.column of a replicated table`);
      continue;
    }
    const def = TABLES[table].columns.find((c) => c.name === column);
    if (def === undefined) {
      const suggestion = closest(
        column,
        TABLES[table].columns.map((c) => c.name),
      );
      problems.push(
        `${table} has no column "${column}"${
          suggestion === undefined ? '' : ` (did you mean ${table}.${suggestion}?)`
        }`,
      );
    } else if (
      (TABLES[table].primaryKey as readonly string[]).includes(column) ||
      !['varchar', 'text'].includes(def.type.kind)
    ) {
      problems.push(`${mask} cannot be masked: only non-key text columns can`);
    }
  }
  if (problems.length > 0)
    throw new UsageError(`${flag}: ${problems.join('; ')}`, {
      hint: `Name columns as table.column, for example ${flag} users.email,users.phone.`,
    });
  return [...new Set(masks)];
}

export function replicaSpec(table: TableName, masks: readonly string[] = []): ReplicaSpec {
  const def = TABLES[table];
  const masked = masks.filter((m) => m.startsWith(`${table}.`));
  const columns = def.columns.map((column): ReplicaColumn => {
    const key = `${table}.${column.name}`;
    const base = ROW_TRANSFORMS[key];
    const transform = masked.includes(key) ? composeTransforms(base, mask) : base;
    return {
      name: column.name,
      def: column,
      pgExpression: pgExpressionFor(column),
      ...(transform === undefined ? {} : { transform }),
    };
  });
  return {
    table,
    columns,
    primaryKey: def.primaryKey,
    transformsRows: columns.some((c) => c.transform !== undefined),
    masked,
  };
}

/** Parses `--tables a,b`: every name valid, listed back in foreign-key order. */
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
    );
  }
  return REPLICATED_TABLES.filter((t) => names.includes(t));
}

/** Tables in waves: each after the tables it references, when those are replicated too. */
export function tableWaves(tables: readonly TableName[]): TableName[][] {
  return dependencyWaves(
    tables,
    (t) => t,
    (t) => REPLICA_DEPENDENCIES[t] ?? [],
  );
}

const mysqlQuote = (name: string): string => `\`${name.replace(/`/g, '``')}\``;

/** Keys are grouped in ranges of this many for checksums and delete detection. */
export const KEY_RANGE_SIZE = 10_000;

/** SQL for each side of a comparison: the row's normalised text, its key, its key range. */
export interface ComparisonSql {
  readonly rowText: string;
  readonly key: string;
  readonly keyRange: string;
}

/** PostgreSQL side: the values as replication writes them (transforms and masks applied). */
export function pgComparison(spec: ReplicaSpec, keyRangeSize = KEY_RANGE_SIZE): ComparisonSql {
  const parts = spec.columns.map((c) => {
    // JSON in jsonb's canonical text: keys ordered by length then bytes, ", " and ": ".
    const text = `(${c.pgExpression})::text`;
    return `coalesce(${c.transform === undefined ? text : c.transform.sql(text)}, '\\N')`;
  });
  const keys = spec.primaryKey.map((k) => `${quote(k)}::text`);
  const last = spec.primaryKey[spec.primaryKey.length - 1] ?? '';
  const keyRangeParts = [
    ...spec.primaryKey.slice(0, -1).map((k) => `${quote(k)}::text`),
    `(${quote(last)} / ${keyRangeSize})::text`,
  ];
  return {
    rowText: `concat_ws(chr(31), ${parts.join(', ')})`,
    key: `concat_ws(chr(9), ${keys.join(', ')})`,
    keyRange: `concat_ws(':', ${keyRangeParts.join(', ')})`,
  };
}

/** MySQL side: the stored values, printed the way PostgreSQL prints them. */
export function mysqlComparison(spec: ReplicaSpec, keyRangeSize = KEY_RANGE_SIZE): ComparisonSql {
  const parts = spec.columns.map((c) => {
    const q = mysqlQuote(c.name);
    // JSON: MySQL prints its stored form with jsonb's key order and spacing; MariaDB keeps the
    // text etl loaded, which is jsonb's. So key order and spacing never differ; values do.
    const expr =
      c.def.type.kind === 'timestamptz'
        ? `DATE_FORMAT(${q}, '%Y-%m-%d %H:%i:%s.%f')`
        : ['integer', 'bigint', 'numeric', 'jsonb'].includes(c.def.type.kind)
          ? `CAST(${q} AS CHAR)`
          : q;
    return `COALESCE(${expr}, '\\\\N')`;
  });
  const keys = spec.primaryKey.map((k) => `CAST(${mysqlQuote(k)} AS CHAR)`);
  const last = spec.primaryKey[spec.primaryKey.length - 1] ?? '';
  const keyRangeParts = [
    ...spec.primaryKey.slice(0, -1).map((k) => `CAST(${mysqlQuote(k)} AS CHAR)`),
    `CAST(${mysqlQuote(last)} DIV ${keyRangeSize} AS CHAR)`,
  ];
  return {
    rowText: `CONCAT_WS(CHAR(31), ${parts.join(', ')})`,
    key: `CONCAT_WS(CHAR(9), ${keys.join(', ')})`,
    keyRange: `CONCAT_WS(':', ${keyRangeParts.join(', ')})`,
  };
}

/** The bounds a key range name stands for: equal prefix columns, then a range of the last one. */
export interface KeyRangeBounds {
  readonly equal: readonly { readonly column: string; readonly value: string }[];
  readonly column: string;
  readonly from: number;
  readonly to: number;
}

export function keyRangeBounds(spec: ReplicaSpec, keyRange: string, keyRangeSize = KEY_RANGE_SIZE): KeyRangeBounds {
  const parts = keyRange.split(':');
  const keys = spec.primaryKey;
  const last = keys[keys.length - 1];
  const n = Number(parts[parts.length - 1]);
  if (parts.length !== keys.length || last === undefined || !Number.isSafeInteger(n)) {
    throw new Error(`"${keyRange}" is not a key range of ${spec.table}`);
  }
  return {
    equal: keys.slice(0, -1).map((column, i) => ({ column, value: parts[i] ?? '' })),
    column: last,
    from: n * keyRangeSize,
    to: n * keyRangeSize + keyRangeSize - 1,
  };
}

/** Splits a key built by the comparison SQL (tab-separated) back into its column values. */
export function splitKey(key: string): string[] {
  return key.split('\t');
}
