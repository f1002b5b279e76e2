import { Args, Errors } from '@oclif/core';
import type { RunDetail } from '@etl/connectors';
import { UsageError } from '@etl/core';
import { EtlCommand } from '../../base-command.js';
import { isInteractive, writeLine } from '../../ui/output.js';
import { renderTaskTable } from '../../ui/task-table.js';

export default class RunsShow extends EtlCommand<typeof RunsShow, RunDetail> {
  static override summary = 'Show one pipeline run with its tasks.';
  static override examples = [
    '<%= config.bin %> <%= command.id %> 12',
    '<%= config.bin %> <%= command.id %> 12 --json',
  ];
  static override args = {
    id: Args.integer({
      description: 'Run id (from `etl runs`).',
      required: true,
      // oclif's own integer check ends as an error of no kind: one line naming the argument, exit 2.
      parse: async (input) => {
        if (!/^[1-9][0-9]{0,15}$/.test(input)) {
          throw new Errors.CLIError(`id: expected a run id (a whole number from 1), got "${input.slice(0, 40)}"`, {
            exit: 2,
          });
        }
        return Number(input);
      },
    }),
  };

  protected async execute(): Promise<RunDetail> {
    const store = this.adapters().runStore();
    await store.prepare();
    const run = await store.get(this.args.id);
    if (run === undefined)
      throw new UsageError(`there is no run ${this.args.id}`, { hint: 'List runs with `etl runs`.' });
    return run;
  }

  protected render(run: RunDetail): void {
    writeLine(
      this.streams.stdout,
      `Run ${run.runId}: ${run.status}, started ${run.startedAt}` +
        (run.seconds === null ? '' : `, ${run.seconds.toFixed(1)} s`),
    );
    writeLine(this.streams.stdout, `Command: ${run.command}`);
    if (run.error !== null) writeLine(this.streams.stdout, `Error: ${run.error}`);
    writeLine(this.streams.stdout, renderTaskTable(run.taskRecords, isInteractive(this.streams.stdout)));
  }
}
