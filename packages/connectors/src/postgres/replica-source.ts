/**
 * PostgreSQL as the source of replication and one side of verify: COPY … TO STDOUT of the
 * formatted columns in one REPEATABLE READ snapshot, and checksums pushed down into SQL.
 */
import {
  keyRangeBounds,
  pgComparison,
  pgReadAllStats,
  UsageError,
  type KeyRangeSum,
  type ChecksumSide,
  type DatabaseEndpoint,
  type ReplicaSource,
  type ReplicaSpec,
  type TableName,
} from '@etl/core';
import type pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { connectPostgres, quoteIdent, withPostgres } from './client.js';
import { pgError } from './errors.js';

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

export class PostgresReplicaSource implements ReplicaSource, ChecksumSide {
  readonly endpoint: string;

  constructor(private readonly db: DatabaseEndpoint) {
    this.endpoint = db.display;
  }

  async read<T>(
    spec: ReplicaSpec,
    since: string | null,
    consume: (chunks: AsyncIterable<Buffer>, watermark: string) => Promise<T>,
    snapshot?: string,
  ): Promise<T> {
    if (since !== null && !TIMESTAMP.test(since)) throw new Error(`invalid watermark ${since}`);
    const client = await connectPostgres(this.db);
    let stream: ReturnType<typeof copyTo> | undefined;
    try {
      const seen = (await client.query<{ w: string; all: boolean }>(WATERMARK_SQL)).rows[0];
      // Blind to other roles' open transactions, the watermark could pass rows they have yet to commit.
      if (seen?.all === false) {
        throw new UsageError(
          `replicate needs to see when every session's transaction began (pg_stat_activity), and role ` +
            `${this.db.user} sees only its own`,
          { hint: `Ask an administrator to run: ${pgReadAllStats(this.db).grant} (see etl init --print-grants)` },
        );
      }
      const watermark = seen?.w ?? '';
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      if (snapshot !== undefined) {
        if (!/^[0-9A-F]+-[0-9A-F]+-[0-9A-F]+$/i.test(snapshot)) throw new Error(`invalid snapshot name ${snapshot}`);
        await client.query(`SET TRANSACTION SNAPSHOT '${snapshot}'`);
      }
      // A copy compiles nothing worth having: with the estimates below it crossed jit_above_cost.
      await client.query('SET LOCAL jit = off');
      const columns = spec.columns.map((c) => c.pgExpression).join(', ');
      const table = quoteIdent(spec.table);
      // The changed rows first (OFFSET 0 keeps the planner from merging the two), found through
      // the updated_at index, then sorted. Without statistics on the table (just filled;
      // autovacuum off or not there yet) the planner guessed a third of it changed and, to avoid
      // sorting that many, walked the whole primary key instead: 0.3 s for no row of 3M lines.
      const changed = `"updated_at" >= '${since}'::timestamp AT TIME ZONE 'UTC'`;
      const from = since === null ? table : `(SELECT * FROM ${table} WHERE ${changed} OFFSET 0) AS ${table}`;
      const order = spec.primaryKey.map(quoteIdent).join(', ');
      const copy = client.query(copyTo(`COPY (SELECT ${columns} FROM ${from} ORDER BY ${order}) TO STDOUT`));
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
      throw pgError(error, this.db);
    } finally {
      await client.end().catch(() => {});
    }
  }

  count(table: TableName): Promise<number> {
    return withPostgres(this.db, async (c) =>
      Number((await c.query<{ n: string }>(`SELECT count(*) AS n FROM ${quoteIdent(table)}`)).rows[0]?.n ?? 0),
    );
  }

  keyRangeCounts(spec: ReplicaSpec): Promise<Map<string, number>> {
    const { keyRange } = pgComparison(spec);
    return withPostgres(this.db, async (c) => {
      const r = await c.query<{ b: string; n: string }>(
        `SELECT ${keyRange} AS b, count(*) AS n FROM ${quoteIdent(spec.table)} GROUP BY 1`,
      );
      return new Map(r.rows.map((row) => [row.b, Number(row.n)]));
    });
  }

  keyRangeSums(spec: ReplicaSpec): Promise<Map<string, KeyRangeSum>> {
    const { keyRange, rowText } = pgComparison(spec);
    return withPostgres(this.db, async (c) => {
      const r = await c.query<{ b: string; n: string; s: string }>(
        `SELECT ${keyRange} AS b, count(*) AS n, sum(('x' || left(md5(${rowText}), 8))::bit(32)::bigint)::text AS s
           FROM ${quoteIdent(spec.table)} GROUP BY 1`,
      );
      return new Map(r.rows.map((row) => [row.b, { count: Number(row.n), sum: row.s }]));
    });
  }

  keysIn(spec: ReplicaSpec, keyRange: string): Promise<Set<string>> {
    const { key } = pgComparison(spec);
    return this.inKeyRange(spec, keyRange, `${key} AS k`, (rows) => new Set(rows.map((r) => String(r['k']))));
  }

  rowHashes(spec: ReplicaSpec, keyRange: string): Promise<Map<string, string>> {
    const { key, rowText } = pgComparison(spec);
    return this.inKeyRange(
      spec,
      keyRange,
      `${key} AS k, md5(${rowText}) AS h`,
      (rows) => new Map(rows.map((r) => [String(r['k']), String(r['h'])])),
    );
  }

  private inKeyRange<T>(
    spec: ReplicaSpec,
    keyRange: string,
    select: string,
    shape: (rows: Record<string, unknown>[]) => T,
  ): Promise<T> {
    const range = keyRangeBounds(spec, keyRange);
    const params: unknown[] = [];
    const conditions = range.equal.map((e) => {
      params.push(e.value);
      return `${quoteIdent(e.column)}::text = $${params.length}`;
    });
    params.push(range.from, range.to);
    conditions.push(`${quoteIdent(range.column)} BETWEEN $${params.length - 1} AND $${params.length}`);
    return withPostgres(this.db, async (c: pg.Client) => {
      const r = await c.query<Record<string, unknown>>(
        `SELECT ${select} FROM ${quoteIdent(spec.table)} WHERE ${conditions.join(' AND ')}`,
        params,
      );
      return shape(r.rows);
    });
  }
}
