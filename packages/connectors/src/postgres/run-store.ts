/**
 * The pipeline's history (etl_state.runs, etl_state.run_tasks) and its lock: a PostgreSQL advisory lock
 * held on its own connection for the whole run, so no two pipelines overlap, on this machine
 * or another.
 */
import type { DatabaseEndpoint, RunRecorder, TaskRecord } from '@etl/core';
import type pg from 'pg';
import { connectPostgres, withPostgres, type PgConnectOptions } from './client.js';
import { pgError } from './errors.js';
import { migratePostgres } from './schema-target.js';

const LOCK = `hashtext('etl:pipeline')`;

export interface RunSummary {
  readonly runId: number;
  readonly command: string;
  readonly status: string;
  readonly startedAt: string;
  readonly finishedAt: string | null;
  readonly seconds: number | null;
  readonly error: string | null;
  readonly tasks: number;
  readonly failed: number;
}

export interface RunDetail extends RunSummary {
  readonly taskRecords: readonly TaskRecord[];
}

const iso = (v: Date | null): string | null => (v === null ? null : v.toISOString());

function taskRecord(x: Record<string, unknown>): TaskRecord {
  const s = (x['started_at'] as Date | null) ?? null;
  const f = (x['finished_at'] as Date | null) ?? null;
  return {
    task: String(x['task']),
    status: x['status'] as TaskRecord['status'],
    attempts: Number(x['attempts']),
    startedAt: iso(s),
    finishedAt: iso(f),
    seconds: s !== null && f !== null ? (f.getTime() - s.getTime()) / 1000 : null,
    rows: x['rows'] === null ? null : Number(x['rows']),
    message: (x['message'] as string | null) ?? null,
  };
}

export class PostgresRunStore implements RunRecorder {
  readonly endpoint: string;

  /** `session`: how its reads connect (read-only with a statement timeout for the web page). */
  constructor(
    private readonly db: DatabaseEndpoint,
    private readonly session: PgConnectOptions = {},
  ) {
    this.endpoint = db.display;
  }

  /** Brings the schema (with the history tables) up to date. */
  async prepare(): Promise<void> {
    await migratePostgres(this.db);
  }

  private run<T>(work: (c: pg.Client) => Promise<T>): Promise<T> {
    return withPostgres(this.db, work, this.session);
  }

  /**
   * Takes the pipeline lock on a connection of its own. Returns its release, or undefined when
   * another run holds it and `wait` is false.
   */
  async lock(wait: boolean): Promise<(() => Promise<void>) | undefined> {
    const c = await connectPostgres(this.db);
    try {
      if (wait) {
        await c.query(`SELECT pg_advisory_lock(${LOCK})`);
      } else {
        const got = await c.query<{ ok: boolean }>(`SELECT pg_try_advisory_lock(${LOCK}) AS ok`);
        if (got.rows[0]?.ok !== true) {
          await c.end();
          return undefined;
        }
      }
    } catch (error) {
      await c.end().catch(() => {});
      throw pgError(error, this.db);
    }
    return async () => {
      await c.query(`SELECT pg_advisory_unlock(${LOCK})`).catch(() => {});
      await c.end().catch(() => {});
    };
  }

  async start(command: string): Promise<number> {
    return this.run(async (c) => {
      const r = await c.query<{ run_id: string }>(
        `INSERT INTO etl_state.runs (command, status) VALUES ($1, 'running') RETURNING run_id`,
        [command],
      );
      return Number(r.rows[0]?.run_id);
    });
  }

  async task(runId: number, t: TaskRecord): Promise<void> {
    await this.run((c) =>
      c.query(
        `INSERT INTO etl_state.run_tasks (run_id, task, status, attempts, started_at, finished_at, rows, message)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (run_id, task) DO UPDATE SET status = EXCLUDED.status, attempts = EXCLUDED.attempts,
           started_at = EXCLUDED.started_at, finished_at = EXCLUDED.finished_at, rows = EXCLUDED.rows,
             message = EXCLUDED.message`,
        [runId, t.task, t.status, t.attempts, t.startedAt, t.finishedAt, t.rows, t.message],
      ),
    );
  }

  async finish(runId: number, status: 'succeeded' | 'failed' | 'interrupted', error: string | null): Promise<void> {
    await this.run((c) =>
      c.query(`UPDATE etl_state.runs SET status = $2, finished_at = now(), error = $3 WHERE run_id = $1`, [
        runId,
        status,
        error,
      ]),
    );
  }

  private static summary(row: Record<string, unknown>): RunSummary {
    const started = row['started_at'] as Date;
    const finished = (row['finished_at'] as Date | null) ?? null;
    return {
      runId: Number(row['run_id']),
      command: String(row['command']),
      status: String(row['status']),
      startedAt: started.toISOString(),
      finishedAt: iso(finished),
      seconds: finished === null ? null : (finished.getTime() - started.getTime()) / 1000,
      error: (row['error'] as string | null) ?? null,
      tasks: Number(row['tasks'] ?? 0),
      failed: Number(row['failed'] ?? 0),
    };
  }

  /** The newest runs (before run `before`, when given): keyset paging, whatever the history's length. */
  async list(limit: number, before?: number): Promise<RunSummary[]> {
    return this.run(async (c) => {
      const r = await c.query<Record<string, unknown>>(
        `SELECT r.*,
                (SELECT count(*) FROM etl_state.run_tasks t WHERE t.run_id = r.run_id) AS tasks,
                (SELECT count(*) FROM etl_state.run_tasks t WHERE t.run_id = r.run_id AND t.status = 'failed') AS failed
           FROM (SELECT * FROM etl_state.runs WHERE $2::bigint IS NULL OR run_id < $2 ORDER BY run_id DESC LIMIT $1) r
          ORDER BY r.run_id DESC`,
        [limit, before ?? null],
      );
      return r.rows.map((row) => PostgresRunStore.summary(row));
    });
  }

  /** The newest runs with their tasks, for the runs grid: two index scans, whatever the history's length. */
  async page(limit: number, before?: number): Promise<RunDetail[]> {
    return this.run(async (c) => {
      const runs = await c.query<Record<string, unknown>>(
        `SELECT * FROM etl_state.runs WHERE $2::bigint IS NULL OR run_id < $2 ORDER BY run_id DESC LIMIT $1`,
        [limit, before ?? null],
      );
      const ids = runs.rows.map((row) => Number(row['run_id']));
      const tasks = await c.query<Record<string, unknown>>(
        `SELECT * FROM etl_state.run_tasks WHERE run_id = ANY($1::bigint[]) ORDER BY started_at NULLS LAST, task`,
        [ids],
      );
      return runs.rows.map((row) => {
        const records = tasks.rows.filter((t) => Number(t['run_id']) === Number(row['run_id'])).map(taskRecord);
        const summary = PostgresRunStore.summary({
          ...row,
          tasks: records.length,
          failed: records.filter((t) => t.status === 'failed').length,
        });
        return { ...summary, taskRecords: records };
      });
    });
  }

  /**
   * Changes whenever a run starts or ends or a task of a recent run changes: the web page's one
   * cheap check for live updates.
   */
  async changeToken(): Promise<string> {
    return this.run(async (c) => {
      const r = await c.query<{ token: string | null }>(
        `SELECT md5(string_agg(r.run_id || r.status || coalesce(t.s, ''), ',' ORDER BY r.run_id)) AS token
           FROM (SELECT run_id, status FROM etl_state.runs ORDER BY run_id DESC LIMIT 3) r
           LEFT JOIN LATERAL (SELECT string_agg(task || status || attempts, ',' ORDER BY task) AS s
                                FROM etl_state.run_tasks WHERE run_id = r.run_id) t ON true`,
      );
      return r.rows[0]?.token ?? 'empty';
    });
  }

  async get(runId: number): Promise<RunDetail | undefined> {
    return this.run(async (c) => {
      const r = await c.query<Record<string, unknown>>(
        `SELECT r.*, (SELECT count(*) FROM etl_state.run_tasks WHERE run_id = r.run_id) AS tasks,
                (SELECT count(*) FROM etl_state.run_tasks WHERE run_id = r.run_id AND status = 'failed') AS failed
           FROM etl_state.runs r WHERE r.run_id = $1`,
        [runId],
      );
      const row = r.rows[0];
      if (row === undefined) return undefined;
      const t = await c.query<Record<string, unknown>>(
        `SELECT * FROM etl_state.run_tasks WHERE run_id = $1 ORDER BY started_at NULLS LAST, task`,
        [runId],
      );
      return {
        ...PostgresRunStore.summary(row),
        taskRecords: t.rows.map(taskRecord),
      };
    });
  }
}
