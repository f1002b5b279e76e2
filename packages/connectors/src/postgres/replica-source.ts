/**
 * PostgreSQL as the source of replication and one side of verify: COPY … TO STDOUT of the
 * formatted columns in one REPEATABLE READ snapshot, and checksums pushed down into SQL.
 */
import {
  keyRangeBounds,
  PG_EXPORT_SETTINGS,
  pgComparison,
  pgExportColumn,
  pgIdent,
  pgKeyOrder,
  pgReadAllStats,
  pgString,
  pgTable,
  refusalIn,
  UsageError,
  type KeyBound,
  type KeyRangeSum,
  type KeyList,
  type KeySpan,
  type ChecksumSide,
  type ReplicaColumn,
  type DatabaseEndpoint,
  type ReplicaSource,
  type ReplicaSpec,
  type SharedSnapshot,
  type SourceTable,
} from '@etl/core';
import type pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { PostgresCatalog } from './catalog.js';
import { connectPostgres, withPostgres } from './client.js';
import { pgError } from './errors.js';

/** SET (LOCAL) of every export setting (codec.ts): each type's text form as its codec expects it. */
export const exportSettingsSql = (scope: 'LOCAL' | 'SESSION'): string =>
  Object.entries(PG_EXPORT_SETTINGS)
    .map(([name, value]) => `SET ${scope} ${name} = ${pgString(value)}`)
    .join('; ');

/**
 * The oldest moment a change invisible to a snapshot taken right after this query can carry:
 * now, or the start of the oldest transaction still open in this database (updated_at is the
 * writing transaction's start time). Other roles' xact_start is visible only to a superuser or
 * a member of pg_read_all_stats: `all` says whether this role sees them.
 */
const WATERMARK_SQL = `SELECT to_char(least(clock_timestamp(), min(xact_start)) AT TIME ZONE 'UTC',
  'YYYY-MM-DD HH24:MI:SS.US') AS w,
  (SELECT rolsuper OR pg_has_role(current_user, 'pg_read_all_stats', 'USAGE') FROM pg_roles
    WHERE rolname = current_user) AS all
  FROM pg_stat_activity
 WHERE xact_start IS NOT NULL AND pid <> pg_backend_pid() AND datname = current_database()`;

const TIMESTAMP = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,6})?$/;

/** Every `n`-th of the sampled keys, about `chunks - 1` of them, distinct: where the chunks end. */
export function chunkBoundsOf(sample: readonly (readonly string[])[], chunks: number): KeyBound[] {
  const bounds: KeyBound[] = [];
  for (let i = 1; i < chunks; i++) {
    const key = sample[Math.floor((i * sample.length) / chunks)];
    const last = bounds[bounds.length - 1];
    if (key !== undefined && (last === undefined || last.join('\u0000') !== key.join('\u0000'))) bounds.push(key);
  }
  return bounds;
}

/** The key columns of a spec, in the key's order. */
function keyColumnsOf(spec: ReplicaSpec): ReplicaColumn[] {
  return spec.primaryKey.map((k) => {
    const column = spec.columns.find((c) => c.name === k);
    if (column === undefined) throw new Error(`${spec.table}: no key column ${k}`);
    return column;
  });
}

/** A key's values as PostgreSQL literals of the columns' types (each cast back from its text). */
function keyLiterals(spec: ReplicaSpec, columns: readonly ReplicaColumn[], values: KeyBound): string[] {
  if (values.length !== columns.length) throw new Error(`${spec.table}: a key of ${values.length} values`);
  return values.map((v, i) => `${pgString(v)}::${columns[i]?.source.type.formatted ?? 'text'}`);
}

/**
 * The WHERE condition of a chunk: a row comparison of the key in PostgreSQL's own order, which
 * its index serves; or of a list of keys, matched whole.
 */
function spanCondition(spec: ReplicaSpec, span: KeySpan | KeyList): string {
  const columns = keyColumnsOf(spec);
  const tuple = (items: readonly string[]) => (items.length === 1 ? (items[0] ?? '') : `(${items.join(', ')})`);
  const key = tuple(columns.map((c) => pgIdent(c.name)));
  const bound = (values: KeyBound) => tuple(keyLiterals(spec, columns, values));
  if ('keys' in span) return span.keys.length === 0 ? 'false' : `${key} IN (${span.keys.map(bound).join(', ')})`;
  return [
    ...(span.after === null ? [] : [`${key} > ${bound(span.after)}`]),
    ...(span.upTo === null ? [] : [`${key} <= ${bound(span.upTo)}`]),
  ].join(' AND ');
}

export class PostgresReplicaSource implements ReplicaSource, ChecksumSide {
  readonly endpoint: string;
  private readonly catalog: PostgresCatalog;

  constructor(private readonly db: DatabaseEndpoint) {
    this.endpoint = db.display;
    this.catalog = new PostgresCatalog(db);
  }

  tables(schemas?: readonly string[]): Promise<SourceTable[]> {
    return this.catalog.tables(schemas);
  }

  async read<T>(
    spec: ReplicaSpec,
    since: string | null,
    consume: (chunks: AsyncIterable<Buffer>, watermark: string) => Promise<T>,
    snapshot?: string,
    span?: KeySpan | KeyList,
  ): Promise<T> {
    if (since !== null && !TIMESTAMP.test(since)) throw new Error(`invalid watermark ${since}`);
    const client = await connectPostgres(this.db);
    let stream: ReturnType<typeof copyTo> | undefined;
    try {
      const watermark = await this.watermark(client);
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      if (snapshot !== undefined) {
        if (!/^[0-9A-F]+-[0-9A-F]+-[0-9A-F]+$/i.test(snapshot)) throw new Error(`invalid snapshot name ${snapshot}`);
        await client.query(`SET TRANSACTION SNAPSHOT '${snapshot}'`);
      }
      // A copy compiles nothing worth having: with the estimates below it crossed jit_above_cost.
      await client.query(`SET LOCAL jit = off; ${exportSettingsSql('LOCAL')}`);
      const columns = spec.columns.map((c) => pgExportColumn(spec, c)).join(', ');
      const table = pgTable(spec.source);
      if (since !== null && spec.cursor === null) throw new Error(`${spec.table} has no cursor column`);
      // The changed rows first (OFFSET 0 keeps the planner from merging the two), found through
      // the updated_at index, then sorted. Without statistics on the table (just filled;
      // autovacuum off or not there yet) the planner guessed a third of it changed and, to avoid
      // sorting that many, walked the whole primary key instead: 0.3 s for no row of 3M lines.
      const changed = `${pgIdent(spec.cursor ?? '')} >= '${since}'::timestamp AT TIME ZONE 'UTC'`;
      const within = span === undefined ? [] : [spanCondition(spec, span)].filter((w) => w !== '');
      const where = (conditions: string[]) => (conditions.length === 0 ? '' : ` WHERE ${conditions.join(' AND ')}`);
      const from =
        since === null
          ? `${table}${where(within)}`
          : `(SELECT * FROM ${table}${where([changed, ...within])} OFFSET 0) AS t`;
      // In the key's order (byte order for text: MySQL's), which InnoDB loads fastest; a table
      // without a key in whatever order PostgreSQL reads it.
      const order = spec.primaryKey.length === 0 ? '' : ` ORDER BY ${pgKeyOrder(spec)}`;
      const copy = client.query(copyTo(`COPY (SELECT ${columns} FROM ${from}${order}) TO STDOUT`));
      stream = copy;
      const result = await consume(copy as AsyncIterable<Buffer>, watermark);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      // A COPY cut short leaves the connection mid-protocol: close it rather than reuse it. The
      // stream still reports the closed connection ("Connection terminated") after this: heard
      // and dropped here, or it would end the process as an unhandled 'error' event.
      stream?.on('error', () => {});
      stream?.destroy();
      throw refusalIn(spec, error instanceof Error ? error.message : String(error)) ?? pgError(error, this.db);
    } finally {
      await client.end().catch(() => {});
    }
  }

  /** The watermark a snapshot taken right after this gets, refused for a role blind to others' transactions. */
  private async watermark(client: pg.Client): Promise<string> {
    const seen = (await client.query<{ w: string; all: boolean }>(WATERMARK_SQL)).rows[0];
    // Blind to other roles' open transactions, the watermark could pass rows they have yet to commit.
    if (seen?.all === false) {
      throw new UsageError(
        `replicate needs to see when every session's transaction began (pg_stat_activity), and role ` +
          `${this.db.user} sees only its own`,
        { hint: `Ask an administrator to run: ${pgReadAllStats(this.db).grant} (see etl init --print-grants)` },
      );
    }
    return seen?.w ?? '';
  }

  async shareSnapshot<T>(work: (snapshot: SharedSnapshot) => Promise<T>, exported?: string): Promise<T> {
    const client = await connectPostgres(this.db);
    try {
      let shared: SharedSnapshot;
      try {
        const watermark = await this.watermark(client);
        if (exported === undefined) {
          await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
          const name = (await client.query<{ s: string }>('SELECT pg_export_snapshot() AS s')).rows[0]?.s ?? '';
          shared = { name, watermark };
        } else {
          shared = { name: exported, watermark };
        }
      } catch (error) {
        throw pgError(error, this.db);
      }
      // The snapshot lives as long as this transaction: open until every chunk has been read.
      const result = await work(shared);
      if (exported === undefined) await client.query('COMMIT').catch(() => {});
      return result;
    } finally {
      await client.end().catch(() => {});
    }
  }

  chunkBounds(spec: ReplicaSpec, rows: number): Promise<KeyBound[]> {
    if (spec.primaryKey.length === 0 || !Number.isInteger(rows) || rows < 1) return Promise.resolve([]);
    const table = pgTable(spec.source);
    return this.compare(async (c) => {
      // The planner's estimate needs no statistics (it scales the table's pages when there are none).
      const plan = await c.query<{ 'QUERY PLAN': [{ Plan: { 'Plan Rows': number } }] }>(
        `EXPLAIN (FORMAT JSON) SELECT 1 FROM ${table}`,
      );
      const estimate = plan.rows[0]?.['QUERY PLAN'][0].Plan['Plan Rows'] ?? 0;
      const chunks = Math.ceil(estimate / rows);
      if (chunks < 2) return [];
      // About 100 sampled keys per chunk, read from whole pages (SYSTEM): quick on any size.
      const keys = spec.primaryKey.map((k) => pgIdent(k));
      const sampled = (percent: number) =>
        c.query<string[]>({
          text:
            // Aliased: ORDER BY a name would otherwise sort by the output column, the key's text.
            `SELECT ${keys.map((k, i) => `${k}::text AS b${i}`).join(', ')} FROM ${table} ` +
            `TABLESAMPLE SYSTEM (${percent.toFixed(6)}) ORDER BY ${keys.join(', ')}`,
          rowMode: 'array',
        });
      let percent = Math.min(100, ((chunks * 100) / estimate) * 100);
      let sample = await sampled(percent);
      // A small table has few pages, and a sample of them can miss nearly all (16% of 14 pages
      // drew none about once in eleven): ten times more, up to the whole table, until it shows.
      while (sample.rows.length < chunks * 10 && percent < 100) {
        percent = Math.min(100, percent * 10);
        sample = await sampled(percent);
      }
      return chunkBoundsOf(sample.rows, chunks);
    });
  }

  count(spec: ReplicaSpec): Promise<number> {
    return withPostgres(this.db, async (c) =>
      Number((await c.query<{ n: string }>(`SELECT count(*) AS n FROM ${pgTable(spec.source)}`)).rows[0]?.n ?? 0),
    );
  }

  keyRangeCounts(spec: ReplicaSpec): Promise<Map<string, number>> {
    const { keyRange } = pgComparison(spec);
    return this.compare(async (c) => {
      const r = await c.query<{ b: string; n: string }>(
        `SELECT ${keyRange} AS b, count(*) AS n FROM ${pgTable(spec.source)} GROUP BY 1`,
      );
      return new Map(r.rows.map((row) => [row.b, Number(row.n)]));
    });
  }

  keyRangeSums(spec: ReplicaSpec): Promise<Map<string, KeyRangeSum>> {
    const { keyRange, rowText } = pgComparison(spec);
    return this.compare(async (c) => {
      const r = await c.query<{ b: string; n: string; s: string }>(
        `SELECT ${keyRange} AS b, count(*) AS n, sum(('x' || left(md5(${rowText}), 8))::bit(32)::bigint)::text AS s
           FROM ${pgTable(spec.source)} GROUP BY 1`,
      );
      return new Map(r.rows.map((row) => [row.b, { count: Number(row.n), sum: row.s }]));
    });
  }

  keysIn(spec: ReplicaSpec, keyRanges: readonly string[]): Promise<Set<string>> {
    const { key } = pgComparison(spec);
    return this.inKeyRanges(spec, keyRanges, `${key} AS k`, (rows) => new Set(rows.map((r) => String(r['k']))));
  }

  async keysAbsent(spec: ReplicaSpec, keys: readonly KeyBound[], snapshot: string): Promise<string[]> {
    if (keys.length === 0) return [];
    if (!/^[0-9A-F]+-[0-9A-F]+-[0-9A-F]+$/i.test(snapshot)) throw new Error(`invalid snapshot name ${snapshot}`);
    const columns = keyColumnsOf(spec);
    const names = columns.map((c) => pgIdent(c.name));
    const rows = keys.map((k) => `(${keyLiterals(spec, columns, k).join(', ')})`);
    const match = names.map((n) => `s.${n} = t.${n}`).join(' AND ');
    return withPostgres(this.db, async (c) => {
      await c.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      await c.query(`SET TRANSACTION SNAPSHOT '${snapshot}'`);
      await c.query(exportSettingsSql('LOCAL'));
      // The key's comparison text is computed from the listed values (t's columns bear the key's names).
      const r = await c.query<{ k: string }>(
        `SELECT ${pgComparison(spec).key} AS k FROM (VALUES ${rows.join(', ')}) AS t(${names.join(', ')})
          WHERE NOT EXISTS (SELECT 1 FROM ${pgTable(spec.source)} s WHERE ${match})`,
      );
      await c.query('COMMIT');
      return r.rows.map((row) => row.k);
    }).catch((error: unknown) => {
      throw pgError(error, this.db);
    });
  }

  rowHashes(spec: ReplicaSpec, keyRange: string): Promise<Map<string, string>> {
    const { key, rowText } = pgComparison(spec);
    return this.inKeyRanges(
      spec,
      [keyRange],
      `${key} AS k, md5(${rowText}) AS h`,
      (rows) => new Map(rows.map((r) => [String(r['k']), String(r['h'])])),
    );
  }

  /** A connection in the export's settings: the comparison text of each type is the one its codec expects. */
  private compare<T>(work: (c: pg.Client) => Promise<T>): Promise<T> {
    return withPostgres(this.db, async (c) => {
      await c.query(exportSettingsSql('SESSION'));
      return work(c);
    });
  }

  /** The rows of these key ranges (one scan of the table for a hash's ranges, index ranges for integers). */
  private inKeyRanges<T>(
    spec: ReplicaSpec,
    keyRanges: readonly string[],
    select: string,
    shape: (rows: Record<string, unknown>[]) => T,
  ): Promise<T> {
    const params: unknown[] = [];
    const bounds = keyRanges.map((keyRange) => keyRangeBounds(spec, keyRange));
    // A hash's ranges: its expression computed once per row, matched against them all.
    const hashed = bounds.flatMap((range) => (range.kind === 'expression' ? [range.value] : []));
    if (hashed.length > 0) params.push(hashed);
    const conditions = bounds.flatMap((range) => {
      if (range.kind === 'expression') return [];
      const parts: string[] = [];
      for (const e of range.equal) {
        params.push(e.value);
        parts.push(`${pgIdent(e.column)}::text = $${params.length}`);
      }
      params.push(range.from, range.to);
      parts.push(`${pgIdent(range.column)} BETWEEN $${params.length - 1} AND $${params.length}`);
      return [`(${parts.join(' AND ')})`];
    });
    if (hashed.length > 0) conditions.push(`${pgComparison(spec).keyRange} = ANY($1::text[])`);
    if (conditions.length === 0) return Promise.resolve(shape([]));
    return this.compare(async (c: pg.Client) => {
      const r = await c.query<Record<string, unknown>>(
        `SELECT ${select} FROM ${pgTable(spec.source)} WHERE ${conditions.join(' OR ')}`,
        params,
      );
      return shape(r.rows);
    });
  }
}
