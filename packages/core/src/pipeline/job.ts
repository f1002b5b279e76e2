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

export async function runPipeline<Name extends string>(
  tasks: readonly TaskSpec<Name>[],
  work: PipelineWork<Name>,
  recorder: RunRecorder,
  options: PipelineOptions,
  run: PipelineRun,
): Promise<RunReport> {
  const started = run.now();
  const startedAt = run.clock().toISOString();
  const runId = await recorder.start(options.command, tasks.map((t) => t.name));
  const records = new Map<string, TaskRecord>(
    tasks.map((t) => [t.name, { task: t.name, status: 'pending', attempts: 0, startedAt: null, finishedAt: null, seconds: null, rows: null, message: null }]),
  );
  const update = async (record: TaskRecord): Promise<void> => {
    records.set(record.task, record);
    run.onTask?.(record);
    await recorder.task(runId, record);
  };

  const finished = new Map<string, Promise<TaskStatus>>();
  const execute = (task: TaskSpec<Name>): Promise<TaskStatus> => {
    const existing = finished.get(task.name);
    if (existing !== undefined) return existing;
    const promise = (async (): Promise<TaskStatus> => {
      const deps = await Promise.all(task.dependsOn.map((d) => execute(tasks.find((t) => t.name === d) as TaskSpec<Name>)));
      const blocked = task.dependsOn.filter((_, i) => deps[i] !== 'succeeded');
      if (blocked.length > 0) {
        await update({ ...(records.get(task.name) as TaskRecord), status: 'skipped', message: `skipped: ${blocked.join(', ')} did not succeed` });
        return 'skipped';
      }
      const fn = work[task.name];
      const taskStarted = run.now();
      const startedTaskAt = run.clock().toISOString();
      for (let attempt = 1; ; attempt++) {
        await update({ ...(records.get(task.name) as TaskRecord), status: 'running', attempts: attempt, startedAt: startedTaskAt });
        const settle = (status: 'succeeded' | 'failed', rows: number | null, message: string | null): Promise<void> =>
          update({
            task: task.name,
            status,
            attempts: attempt,
            startedAt: startedTaskAt,
            finishedAt: run.clock().toISOString(),
            seconds: (run.now() - taskStarted) / 1000,
            rows,
            message,
          });
        try {
          const result = await fn();
          await settle('succeeded', result.rows ?? null, result.message ?? null);
          return 'succeeded';
        } catch (error) {
          const err = error instanceof Error ? error : new Error(String(error));
          if (attempt <= options.retries && isTransient(err)) {
            const wait = options.backoffMs * 2 ** (attempt - 1);
            run.onRetry?.(task.name, attempt, err, wait);
            await run.sleep(wait);
            continue;
          }
          await settle('failed', null, err.message.split('\n')[0] ?? err.message);
          failures.push(err);
          return 'failed';
        }
      }
    })();
    finished.set(task.name, promise);
    return promise;
  };
  const failures: Error[] = [];
  await Promise.all(tasks.map(execute));
  const status = failures.length === 0 ? 'succeeded' : 'failed';
  await recorder.finish(runId, status, failures[0]?.message.split('\n')[0] ?? null);
  const report: RunReport = {
    runId,
    status,
    startedAt,
    finishedAt: run.clock().toISOString(),
    seconds: (run.now() - started) / 1000,
    tasks: tasks.map((t) => records.get(t.name) as TaskRecord),
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
    super(`pipeline run ${report.runId} failed: ${report.tasks.filter((t) => t.status === 'failed').map((t) => `${t.task} (${t.message ?? 'failed'})`).join('; ')}`, {
      hint: `See \`etl runs show ${report.runId}\`.`,
      cause: first,
    });
    this.kind = first instanceof EtlError ? first.kind : 'bug';
    this.exitCode = first instanceof EtlError ? first.exitCode : ExitCode.bug;
  }
}

/** Runs `work` holding the pipeline lock: waits for it (`wait`) or refuses with BusyError (exit 75). */
export async function withPipelineLock<T>(lock: PipelineLock, wait: boolean, onWaiting: () => void, work: () => Promise<T>): Promise<T> {
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
