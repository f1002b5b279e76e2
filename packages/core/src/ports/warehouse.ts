/** `etl marts`: the MySQL warehouse as a marts project needs it. Implemented by MysqlWarehouse. */
import { DataCheckError } from '../errors.js';

export type RelationKind = 'table' | 'view';

export interface WarehouseColumn {
  readonly name: string;
  /** MySQL's DATA_TYPE: `bigint`, `decimal`, `date`, `varchar`… */
  readonly dataType: string;
  /** MySQL's COLUMN_TYPE: `decimal(34,2)`, `varchar(100)`… */
  readonly columnType: string;
}

export interface FailingRows {
  readonly count: number;
  /** A few of them, for the message. */
  readonly sample: readonly Record<string, unknown>[];
}

/** The last build of a model, as `etl ui` lists it. */
export interface ModelBuildRecord {
  readonly model: string;
  readonly materialized: string;
  readonly status: 'built' | 'failed' | 'skipped';
  /** ISO times: the last attempt, and the last build that succeeded. */
  readonly attemptedAt: string;
  readonly builtAt: string | null;
  readonly rows: number | null;
  readonly seconds: number;
  readonly testsPassed: number;
  readonly testsFailed: number;
  readonly testsWarned: number;
  readonly message: string;
}

/**
 * MySQL refused a model's SQL (syntax, an unknown column or table…): its message, and the line
 * of the statement it names (1-based, counting from the model's own first line).
 */
export class ModelSqlError extends DataCheckError {
  constructor(
    message: string,
    readonly line?: number,
  ) {
    super(message);
  }
}

/** A table built with a UNIQUE key found two rows with one key value (MySQL's error 1062). */
export class DuplicateKeyError extends ModelSqlError {}

/** The MySQL warehouse as marts need it; connectors implements it. */
export interface Warehouse {
  readonly endpoint: string;
  prepare(): Promise<void>;
  /**
   * Takes the lock that keeps two builds of this database's models apart, on a session of its
   * own: returns its release, or undefined at once when another build holds it.
   */
  lock(): Promise<(() => Promise<void>) | undefined>;
  /** Row count of a table, or null when it does not exist. */
  rows(table: string): Promise<number | null>;
  /** Whether a table holds a row (without counting them), or null when it does not exist. */
  holdsRows(table: string): Promise<boolean | null>;
  /** Whether a name is a table, a view, or nothing. */
  relation(name: string): Promise<RelationKind | null>;
  /** `CREATE OR REPLACE VIEW name AS select`. Throws ModelSqlError for the SELECT's faults. */
  createView(name: string, select: string): Promise<void>;
  /**
   * Drops `name` if it exists, then `CREATE TABLE name (KEY …) AS select`, one index per entry
   * of `indexes` built as the rows go in; returns its rows. The entry equal to `unique` is a
   * UNIQUE key: two rows with one value of it throw DuplicateKeyError and build nothing.
   */
  createTable(
    name: string,
    select: string,
    indexes?: readonly (readonly string[])[],
    unique?: readonly string[],
  ): Promise<number>;
  /** A relation's columns in order (empty when it does not exist). */
  columns(relation: string): Promise<WarehouseColumn[]>;
  /** How many rows a test's query returns, and a sample of them. */
  failures(sql: string, sample: number): Promise<FailingRows>;
  /** Puts `stage` (a table or a view) in place of `target` in one RENAME, dropping the previous one. */
  swap(stage: string, target: string): Promise<void>;
  /**
   * In one transaction, replaces the rows of `target` whose key is in `delta`, and adds the
   * others: `deleted` counts the rows replaced, `inserted` the rows of `delta`.
   */
  merge(delta: string, target: string, key: readonly string[]): Promise<{ deleted: number; inserted: number }>;
  /** Drops a table or view, if it exists. */
  drop(name: string): Promise<void>;
  /** Runs a query returning one value and returns it as text. */
  value(sql: string): Promise<string | null>;
  /** Rows of a model, ordered by `orderBy` then `tieBreak`; dates and times as exact text. */
  show(
    relation: string,
    columns: readonly string[],
    order: { readonly by: string; readonly descending: boolean; readonly tieBreak: readonly string[] },
    limit: number,
  ): Promise<Record<string, unknown>[]>;
  recordBuild(record: ModelBuildRecord): Promise<void>;
  builds(): Promise<ModelBuildRecord[]>;
  /** When etl last copied (replicate) or applied (cdc) into each replica; absent when never. */
  lastLoaded(replicas: readonly string[]): Promise<Map<string, Date>>;
  /** The tables etl replicates into (no model may take one's name). */
  replicaTables(): Promise<string[]>;
}
