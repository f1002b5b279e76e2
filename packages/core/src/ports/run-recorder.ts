/**
 * `etl pipeline`: where runs and their tasks are recorded, and the lock that keeps runs apart. Implemented by
 * PostgresRunStore.
 */

export type TaskStatus = 'pending' | 'running' | 'succeeded' | 'failed' | 'skipped';

export interface TaskRecord {
  readonly task: string;
  readonly status: TaskStatus;
  readonly attempts: number;
  readonly startedAt: string | null;
  readonly finishedAt: string | null;
  readonly seconds: number | null;
  readonly rows: number | null;
  readonly message: string | null;
}

/** Where runs are kept (etl_state.runs and etl_state.run_tasks in PostgreSQL). */
export interface RunRecorder {
  start(command: string, tasks: readonly string[]): Promise<number>;
  task(runId: number, record: TaskRecord): Promise<void>;
  finish(runId: number, status: 'succeeded' | 'failed' | 'interrupted', error: string | null): Promise<void>;
}

/** Keeps two pipelines from running against one database at once. */
export interface PipelineLock {
  /** Takes the lock and resolves to its release; undefined at once when another run holds it and `wait` is false. */
  lock(wait: boolean): Promise<(() => Promise<void>) | undefined>;
}
