/**
 * Progress on stderr through listr2: a live list of steps on a terminal, plain lines elsewhere,
 * nothing at all with --json unless stderr is a terminal. Jobs never see listr2: they call
 * the callbacks a command builds from these steps.
 */
import { Listr, ListrLogger, ProcessOutput, type ListrTask } from 'listr2';
import { isInteractive } from './output.js';
import { jsonLogs, log, throttledProgress } from './log.js';

/** A progress line, and (for --log-format json) the numbers in it as fields. */
export type Report = (text: string, fields?: Record<string, unknown>) => void;

export interface ProgressStep<Ctx> {
  readonly title: string;
  readonly run: (ctx: Ctx, report: Report, setTitle: (title: string) => void) => Promise<void>;
}

export interface ProgressOptions {
  readonly concurrent?: boolean;
  readonly quiet?: boolean;
}

export async function runWithProgress<Ctx extends object>(
  tasks: readonly ProgressStep<Ctx>[],
  ctx: Ctx,
  options: ProgressOptions = {},
): Promise<Ctx> {
  if (jsonLogs()) return logSteps(tasks, ctx, options);
  const stderr = process.stderr;
  const interactive = isInteractive(stderr);
  const listrTasks: ListrTask<Ctx>[] = tasks.map((task) => ({
    title: task.title,
    task: async (context, handle) => {
      await task.run(
        context,
        (text) => {
          handle.output = text;
        },
        (title) => {
          handle.title = title;
        },
      );
    },
  }));
  const output = new ProcessOutput(stderr, stderr);
  const list = new Listr<Ctx>(listrTasks, {
    concurrent: options.concurrent ?? false,
    exitOnError: true,
    ctx,
    renderer: 'default',
    rendererOptions: { logger: new ListrLogger({ processOutput: output }) },
    fallbackRenderer: 'simple',
    fallbackRendererOptions: { logger: new ListrLogger({ processOutput: output }) },
    fallbackRendererCondition: !interactive,
    silentRendererCondition: options.quiet === true,
    collectErrors: false,
    registerSignalListeners: false,
  });
  return list.run();
}

/** --log-format json: each step's start, its progress at most once a minute, and its end, as log lines. */
async function logSteps<Ctx extends object>(
  tasks: readonly ProgressStep<Ctx>[],
  ctx: Ctx,
  options: ProgressOptions,
): Promise<Ctx> {
  const one = async (task: ProgressStep<Ctx>): Promise<void> => {
    let title = task.title;
    log().info({ step: task.title, event: 'start' }, task.title);
    const progress = throttledProgress(task.title);
    try {
      await task.run(ctx, progress.update, (t) => (title = t));
    } catch (error) {
      progress.end('failed', `${task.title}: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
      throw error;
    }
    progress.end('done', title);
  };
  if (options.concurrent === true) await Promise.all(tasks.map(one));
  else for (const task of tasks) await one(task);
  return ctx;
}

/** Reports on named stages of a job that runs on its own (the job calls these). */
export interface StageReporter {
  update(stage: string, text: string): void;
  done(stage: string, title?: string): void;
}

/**
 * Shows one listr2 task per stage while `work` runs: each task spins until the job says its
 * stage is done, and shows the job's latest progress line meanwhile.
 */
export async function withStages<T>(
  stages: readonly string[],
  work: (reporter: StageReporter) => Promise<T>,
  options: ProgressOptions = {},
): Promise<T> {
  const waiting = new Map<
    string,
    { resolve: (title?: string) => void; reject: (e: unknown) => void; promise: Promise<string | undefined> }
  >();
  const outputs = new Map<string, (text: string) => void>();
  for (const stage of stages) {
    let resolve!: (title?: string) => void;
    let reject!: (e: unknown) => void;
    const promise = new Promise<string | undefined>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    promise.catch(() => {});
    waiting.set(stage, { resolve, reject, promise });
  }
  const reporter: StageReporter = {
    update: (stage, text) => outputs.get(stage)?.(text),
    done: (stage, title) => waiting.get(stage)?.resolve(title),
  };
  const job = work(reporter).then(
    (value) => {
      for (const w of waiting.values()) w.resolve();
      return value;
    },
    (error: unknown) => {
      for (const w of waiting.values()) w.reject(error);
      throw error;
    },
  );
  const display = runWithProgress(
    stages.map((stage) => ({
      title: stage,
      run: async (_ctx: object, report: Report, setTitle: (title: string) => void) => {
        outputs.set(stage, report);
        const title = await waiting.get(stage)?.promise;
        if (title !== undefined) setTitle(title);
      },
    })),
    {},
    options,
  ).catch(() => {});
  const [value] = await Promise.all([job, display]);
  return value;
}
