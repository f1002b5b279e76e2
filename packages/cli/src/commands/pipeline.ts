import { accessSync, constants, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Flags } from '@oclif/core';
import type { PostgresRunStore } from '@etl/connectors';
import {
  PipelineFailedError,
  UsageError,
  flagProblemsError,
  parseCron,
  parseEvery,
  parseSeedOptions,
  runOnSchedule,
  runPipeline,
  scheduleOf,
  selectTasks,
  withPipelineLock,
  type PipelineWork,
  type RunReport,
  type TaskSpec,
} from '@etl/core';
import { EtlCommand } from '../base-command.js';
import { topicPrefixFlag } from './cdc/capture.js';
import { groupFlag, metricsFlags, projectFlag } from '../flags.js';
import { pipelineMetrics, startMetrics } from '../ops/metrics.js';
import { pipelineWork } from '../pipeline-work.js';
import { loadMartsProject } from '../marts-project.js';
import { onStopSignal } from '../signals.js';
import { isInteractive, writeLine } from '../ui/output.js';
import { withStages } from '../ui/progress.js';
import { renderTaskTable } from '../ui/task-table.js';

export default class Pipeline extends EtlCommand<typeof Pipeline, RunReport | RunReport[]> {
  private observe: ReturnType<typeof pipelineMetrics> | undefined;

  static override summary = 'Run the whole flow as one task graph, with retries, history, a lock and schedules.';
  static override description = `Tasks: init → seed → replicate → marts → verify, and seed → produce → stream →
replicate-events
(kafka_events) → verify. Independent tasks run at once; dependents wait. A transient failure
(connection refused or reset, deadlock, lock timeout, broker not available) is retried --retries
times with exponential backoff; a failed data check or bad input is not. A failed task marks its
dependents skipped; independent tasks still run.

Every run and its tasks are recorded in PostgreSQL (see \`etl runs\`). A PostgreSQL advisory lock
is held for the run: a second pipeline, on this machine or another, waits for it (--wait) or exits
75 at once. --report writes a run report in the spirit of dbt's run_results.json.

Change data capture runs only when asked for: --only cdc-capture,cdc-apply drains the WAL into
Kafka and Kafka into MySQL once (see etl cdc capture and etl cdc apply); with --every it keeps
the replicas minutes behind PostgreSQL.

--every 15m or --cron "*/15 * * * *" keeps running and starts the pipeline on that schedule,
never overlapping; SIGINT/SIGTERM stops it after the run in progress.`;

  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --orders 100000 --events 50000 --report run.json',
    '<%= config.bin %> <%= command.id %> --from replicate',
    '<%= config.bin %> <%= command.id %> --skip produce,stream,replicate-events',
    '<%= config.bin %> <%= command.id %> --every 15m --wait',
  ];

  static override flags = {
    project: projectFlag(),
    ...metricsFlags(),
    'cdc-topic-prefix': topicPrefixFlag,
    'cdc-group': groupFlag('Consumer group of the cdc-apply task.', { name: 'etl-cdc-apply', env: 'ETL_CDC_GROUP' }),
    only: Flags.string({ description: 'Run only these tasks (comma-separated).', helpValue: '<a,b>' }),
    skip: Flags.string({ description: 'Leave these tasks out.', helpValue: '<a,b>' }),
    from: Flags.string({ description: 'Run this task and everything after it.', helpValue: '<task>' }),
    retries: Flags.integer({
      description: 'Retries of a task after a transient failure.',
      default: 2,
      min: 0,
      max: 10,
    }),
    backoff: Flags.integer({
      description: 'First retry delay in ms (doubles each time).',
      default: 1000,
      min: 0,
      hidden: true,
    }),
    wait: Flags.boolean({ description: 'Wait for a pipeline already running instead of exiting 75.' }),
    report: Flags.string({ description: 'Write a run report (JSON) to this file.', helpValue: '<path.json>' }),
    every: Flags.string({
      description: 'Run on an interval (30s, 15m, 2h, 1d) until interrupted.',
      exclusive: ['cron'],
    }),
    cron: Flags.string({ description: 'Run on a cron schedule (5 fields, UTC) until interrupted.' }),
    users: Flags.string({ description: 'etl seed --users.', default: '1000' }),
    products: Flags.string({ description: 'etl seed --products.', default: '200' }),
    orders: Flags.string({ description: 'etl seed --orders.', default: '10000' }),
    seed: Flags.string({ description: 'etl seed --seed (and produce --seed).', default: '42' }),
    events: Flags.integer({ description: 'etl produce --count.', default: 1000, min: 1 }),
    group: groupFlag('etl stream --group.'),
  };

  protected async execute(): Promise<RunReport | RunReport[]> {
    const tasks = selectTasks({ only: this.flags.only, skip: this.flags.skip, from: this.flags.from });
    const { options: seed, problems } = parseSeedOptions({
      users: this.flags.users,
      products: this.flags.products,
      orders: this.flags.orders,
      seed: this.flags.seed,
    });
    if (seed === undefined) throw flagProblemsError(problems);
    // Refused before any work starts and before a run is recorded.
    if (this.flags.report !== undefined) checkReportPath(this.flags.report);
    const every = this.flags.every === undefined ? undefined : parseEvery(this.flags.every);
    const cron = this.flags.cron === undefined ? undefined : parseCron(this.flags.cron);
    const schedule = scheduleOf(every, cron, () => new Date());
    // A project named by --project (or ETL_MARTS_PROJECT) is checked now, before any work;
    // otherwise it is read when the marts task runs (most runs of the other tasks never need it).
    const named = this.flags.project === undefined ? undefined : loadMartsProject(this.flags.project, process.cwd());
    const project = () => named ?? loadMartsProject(undefined, process.cwd());
    const adapters = this.adapters();
    const store = adapters.runStore();
    await store.prepare(); // the history tables must exist before the first task
    const work = pipelineWork(adapters, {
      project,
      seed,
      events: this.flags.events,
      group: this.flags.group,
      cdcTopicPrefix: this.flags['cdc-topic-prefix'],
      cdcGroup: this.flags['cdc-group'],
    });
    const { metrics, close } = await startMetrics('pipeline', this.flags, (l) => writeLine(this.streams.stderr, l));
    const now = Date.now();
    const interval =
      every !== undefined
        ? every / 1000
        : cron !== undefined
          ? (cron.next(cron.next(new Date(now))).getTime() - cron.next(new Date(now)).getTime()) / 1000
          : undefined;
    this.observe = metrics === undefined ? undefined : pipelineMetrics(metrics, interval);
    const wait = this.flags.wait || schedule !== undefined;
    const once = () =>
      withPipelineLock(
        store,
        wait,
        () => writeLine(this.streams.stderr, 'Another pipeline is running; waiting for it to finish…'),
        () => this.runOnce(tasks, work, store),
      );
    if (schedule === undefined) return once().finally(() => close());

    // On a schedule: one run at a time, until SIGINT/SIGTERM.
    const stop = new AbortController();
    const release = onStopSignal(() => stop.abort());
    try {
      return await runOnSchedule(schedule, once, {
        clock: () => Date.now(),
        sleep: (ms) =>
          new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, ms);
            stop.signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
          }),
        stopped: () => stop.signal.aborted,
        onWaiting: (next) => writeLine(this.streams.stderr, `Next run at ${next.toISOString()}`),
        onRun: (outcome) =>
          writeLine(
            this.streams.stderr,
            'result' in outcome
              ? `Run ${outcome.result.runId} ${outcome.result.status} in ${outcome.result.seconds.toFixed(1)} s`
              : `Run failed: ${outcome.error.message}`,
          ),
        resultOf: (error) => (error instanceof PipelineFailedError ? error.report : undefined),
      });
    } finally {
      release();
      await close();
    }
  }

  private async runOnce(tasks: readonly TaskSpec[], work: PipelineWork, store: PostgresRunStore): Promise<RunReport> {
    let failure: PipelineFailedError | undefined;
    const report = await withStages(
      tasks.map((t) => t.name),
      async (stages) => {
        try {
          return await runPipeline(
            tasks,
            work,
            store,
            {
              retries: this.flags.retries,
              backoffMs: this.flags.backoff,
              command: `etl pipeline ${this.argv.join(' ')}`.trim(),
            },
            {
              now: () => performance.now(),
              clock: () => new Date(),
              sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
              onTask: (t) => {
                this.observe?.task(t);
                if (t.status === 'running')
                  stages.update(t.task, t.attempts > 1 ? `attempt ${t.attempts}…` : 'running…');
                else if (t.status !== 'pending')
                  stages.done(t.task, `${t.task}: ${t.status}${t.message === null ? '' : ` — ${t.message}`}`);
              },
              onRetry: (task, attempt, error, waitMs) =>
                stages.update(
                  task,
                  `attempt ${attempt} failed (${error.message.split('\n')[0]}); retrying in ${waitMs} ms`,
                ),
            },
          );
        } catch (error) {
          if (error instanceof PipelineFailedError) {
            failure = error;
            return error.report;
          }
          throw error;
        }
      },
      { quiet: this.jsonMode && !isInteractive(this.streams.stderr) },
    );
    this.observe?.run(report.status);
    if (this.flags.report !== undefined) this.writeReport(this.flags.report, report);
    if (failure !== undefined) {
      this.output(report);
      throw failure;
    }
    return report;
  }

  private writeReport(path: string, report: RunReport): void {
    const body = {
      metadata: {
        generator: 'etl',
        generated_at: new Date().toISOString(),
        command: `etl pipeline ${this.argv.join(' ')}`.trim(),
      },
      run_id: report.runId,
      status: report.status,
      started_at: report.startedAt,
      finished_at: report.finishedAt,
      elapsed_time: report.seconds,
      results: report.tasks.map((t) => ({
        task: t.task,
        status: t.status,
        attempts: t.attempts,
        timing: { started_at: t.startedAt, completed_at: t.finishedAt },
        execution_time: t.seconds,
        rows_affected: t.rows,
        message: t.message,
      })),
    };
    // Written beside the target, then renamed over it: a reader never sees half a report.
    const temporary = `${path}.${process.pid}.tmp`;
    writeFileSync(temporary, `${JSON.stringify(body, null, 2)}\n`);
    renameSync(temporary, path);
  }

  protected render(result: RunReport | RunReport[]): void {
    const reports = Array.isArray(result) ? result : [result];
    for (const report of reports) {
      writeLine(this.streams.stdout, renderTaskTable(report.tasks, isInteractive(this.streams.stdout)));
      writeLine(this.streams.stdout, `Run ${report.runId} ${report.status} in ${report.seconds.toFixed(1)} s.`);
    }
  }
}

/** A --report path the pipeline can write: its directory exists and is writable, and it is not a directory. */
function checkReportPath(path: string): void {
  const target = resolve(path);
  const refuse = (why: string): never => {
    throw new UsageError(`--report: cannot write ${path}: ${why}`, {
      hint: 'Name a file in an existing, writable directory.',
    });
  };
  const directory = dirname(target);
  const stats = (p: string) => {
    try {
      return statSync(p);
    } catch {
      return undefined;
    }
  };
  const dir = stats(directory);
  if (dir === undefined) refuse(`directory ${directory} does not exist`);
  if (dir?.isDirectory() !== true) refuse(`${directory} is not a directory`);
  const file = stats(target);
  if (file?.isDirectory() === true) refuse('it is a directory');
  // The report is written as a file beside the target and renamed over it: try exactly that.
  const probe = `${target}.${process.pid}.tmp`;
  try {
    writeFileSync(probe, '', { flag: 'wx' });
    unlinkSync(probe);
  } catch (error) {
    refuse(`directory ${directory} is not writable (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  if (file !== undefined) {
    try {
      accessSync(target, constants.W_OK);
    } catch {
      refuse('the file is not writable');
    }
  }
}
