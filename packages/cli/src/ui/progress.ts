/**
 * Progress on stderr through listr2: a live task list on a terminal, plain lines elsewhere,
 * nothing at all with --json unless stderr is a terminal. Jobs never see listr2: they call
 * the callbacks a command builds from these tasks.
 */
import { Listr, ListrLogger, ProcessOutput, type ListrTask } from 'listr2';
import { isInteractive } from './output.js';

export interface ProgressTask<Ctx> {
  readonly title: string;
  readonly run: (ctx: Ctx, report: (text: string) => void) => Promise<void>;
}

export interface ProgressOptions {
  readonly concurrent?: boolean;
  readonly quiet?: boolean;
}

export async function runWithProgress<Ctx extends object>(
  tasks: readonly ProgressTask<Ctx>[],
  ctx: Ctx,
  options: ProgressOptions = {},
): Promise<Ctx> {
  const stderr = process.stderr;
  const interactive = isInteractive(stderr);
  const listrTasks: ListrTask<Ctx>[] = tasks.map((task) => ({
    title: task.title,
    task: async (context, handle) => {
      await task.run(context, (text) => {
        handle.output = text;
      });
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
