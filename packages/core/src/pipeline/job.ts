/**
 * Runs a task graph: independent tasks at once, dependents after their dependencies, transient
 * failures retried with exponential backoff, a failed task's dependents marked skipped while
 * independent tasks go on. Every step is recorded through a RunRecorder.
 */
import type { PipelineLock, RunRecorder, TaskRecord, TaskStatus } from '../ports/index.js';
import { BusyError, EtlError, ExitCode, isTransient, type ErrorKind } from '../errors.js';
import type { TaskName, TaskSpec } from './graph.js';

export interface TaskResult {
  readonly rows?: number;
  readonly message?: string;
}

export interface RunReport {
  readonly runId: number;
  readonly status: 'succeeded' | 'failed';
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly seconds: number;
  readonly tasks: readonly TaskRecord[];
}

export interface PipelineOptions {
  readonly retries: number;
  /** First backoff in ms; doubles each attempt. */
  readonly backoffMs: number;
  readonly command: string;
}

export interface PipelineRun {
  readonly now: () => number;
  readonly clock: () => Date;
  readonly sleep: (ms: number) => Promise<void>;
  readonly onTask?: (record: TaskRecord) => void;
  readonly onRetry?: (task: string, attempt: number, error: Error, waitMs: number) => void;
}

/** What each task does, keyed by task name: a task without work does not compile. */
export type PipelineWork<Name extends string = TaskName> = Readonly<Record<Name, () => Promise<TaskResult>>>;

/** A task's outcome: its result, or the error of its last attempt. */
type Attempted =
  | { readonly ok: true; readonly result: TaskResult; readonly attempts: number }
  | { readonly ok: false; readonly error: Error; readonly attempts: number };

/** Runs a task, retrying a transient failure with exponential backoff, reporting each attempt. */
async function attempt(
  task: string,
  fn: () => Promise<TaskResult>,
  options: PipelineOptions,
  run: PipelineRun,
  onAttempt: (n: number) => Promise<void>,
): Promise<Attempted> {
  for (let n = 1; ; n++) {
    await onAttempt(n);
    try {
      return { ok: true, result: await fn(), attempts: n };
    } catch (error) {
      const err = error instanceof Error ? error : new Error(String(error));
      if (n > options.retries || !isTransient(err)) return { ok: false, error: err, attempts: n };
      const wait = options.backoffMs * 2 ** (n - 1);
      run.onRetry?.(task, n, err, wait);
      await run.sleep(wait);
    }
  }
}

const firstLine = (message: string): string => message.split('\n')[0] ?? message;

const pendingRecord = (task: string): TaskRecord => ({
  task,
  status: 'pending',
  attempts: 0,
  startedAt: null,
  finishedAt: null,
  seconds: null,
  rows: null,
  message: null,
});

/**
 * One task, once its dependencies have settled: skipped when one did not succeed, otherwise
 * attempted (with retries), each change recorded through `update`.
 */
async function settleTask(
  task: string,
  blockedBy: readonly string[],
  fn: () => Promise<TaskResult>,
  update: (record: TaskRecord) => Promise<void>,
  options: PipelineOptions,
  run: PipelineRun,
): Promise<{ readonly status: TaskStatus; readonly error?: Error }> {
  const pending = pendingRecord(task);
  if (blockedBy.length > 0) {
    await update({ ...pending, status: 'skipped', message: `skipped: ${blockedBy.join(', ')} did not succeed` });
    return { status: 'skipped' };
  }
  const started = run.now();
  const startedAt = run.clock().toISOString();
  const outcome = await attempt(task, fn, options, run, (n) =>
    update({ ...pending, status: 'running', attempts: n, startedAt }),
  );
  const status = outcome.ok ? 'succeeded' : 'failed';
  await update({
    task,
    status,
    attempts: outcome.attempts,
    startedAt,
    finishedAt: run.clock().toISOString(),
    seconds: (run.now() - started) / 1000,
    rows: outcome.ok ? (outcome.result.rows ?? null) : null,
    message: outcome.ok ? (outcome.result.message ?? null) : firstLine(outcome.error.message),
  });
  return outcome.ok ? { status } : { status, error: outcome.error };
}

/**
 * Runs the graph: every task as soon as its dependencies have settled, independent tasks at
 * once. Records the run; throws PipelineFailedError (carrying the report) when a task failed.
 */
export async function runPipeline<Name extends string>(
  tasks: readonly TaskSpec<Name>[],
  work: PipelineWork<Name>,
  recorder: RunRecorder,
  options: PipelineOptions,
  run: PipelineRun,
): Promise<RunReport> {
  const started = run.now();
  const startedAt = run.clock().toISOString();
  const runId = await recorder.start(
    options.command,
    tasks.map((t) => t.name),
  );
  const records = new Map<string, TaskRecord>(tasks.map((t) => [t.name, pendingRecord(t.name)]));
  const update = async (record: TaskRecord): Promise<void> => {
    records.set(record.task, record);
    run.onTask?.(record);
    await recorder.task(runId, record);
  };
  const failures: Error[] = [];
  const settled = new Map<Name, Promise<TaskStatus>>();
  const settle = (task: TaskSpec<Name>): Promise<TaskStatus> => {
    let status = settled.get(task.name);
    if (status === undefined) {
      status = (async () => {
        // A dependency not in the graph was not selected: it counts as done.
        const deps = task.dependsOn.flatMap((d) => tasks.filter((t) => t.name === d));
        const statuses = await Promise.all(deps.map(settle));
        const blockedBy = deps.filter((_, i) => statuses[i] !== 'succeeded').map((d) => d.name);
        const outcome = await settleTask(task.name, blockedBy, work[task.name], update, options, run);
        if (outcome.error !== undefined) failures.push(outcome.error);
        return outcome.status;
      })();
      settled.set(task.name, status);
    }
    return status;
  };
  await Promise.all(tasks.map(settle));

  const status = failures.length === 0 ? 'succeeded' : 'failed';
  await recorder.finish(runId, status, failures[0] === undefined ? null : firstLine(failures[0].message));
  const report: RunReport = {
    runId,
    status,
    startedAt,
    finishedAt: run.clock().toISOString(),
    seconds: (run.now() - started) / 1000,
    tasks: tasks.map((t) => records.get(t.name) ?? pendingRecord(t.name)),
  };
  if (failures[0] !== undefined) throw new PipelineFailedError(report, failures[0]);
  return report;
}

/**
 * A run that failed: carries the report (for --report and --json), and exits as its first
 * failed task would have (3 for a service, 4 for a data check, …).
 */
export class PipelineFailedError extends EtlError {
  readonly kind: ErrorKind;
  readonly exitCode: ExitCode;

  constructor(
    readonly report: RunReport,
    readonly first: Error,
  ) {
    super(
      `pipeline run ${report.runId} failed: ${report.tasks
        .filter((t) => t.status === 'failed')
        .map((t) => `${t.task} (${t.message ?? 'failed'})`)
        .join('; ')}`,
      {
        hint: `See \`etl runs show ${report.runId}\`.`,
        cause: first,
      },
    );
    this.kind = first instanceof EtlError ? first.kind : 'bug';
    this.exitCode = first instanceof EtlError ? first.exitCode : ExitCode.bug;
  }
}

/** Runs `work` holding the pipeline lock: waits for it (`wait`) or refuses with BusyError (exit 75). */
export async function withPipelineLock<T>(
  lock: PipelineLock,
  wait: boolean,
  onWaiting: () => void,
  work: () => Promise<T>,
): Promise<T> {
  let release = await lock.lock(false);
  if (release === undefined) {
    if (!wait) {
      throw new BusyError('another etl pipeline is running against this database', {
        hint: 'Wait for it, or pass --wait to queue behind it (`etl runs` shows it).',
      });
    }
    onWaiting();
    release = await lock.lock(true);
  }
  try {
    return await work();
  } finally {
    await release?.();
  }
}
