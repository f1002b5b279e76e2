import { Flags } from '@oclif/core';
import type { RunSummary } from '@etl/connectors';
import { EtlCommand } from '../../base-command.js';
import { isInteractive, renderTable, writeLine } from '../../ui/output.js';

export default class Runs extends EtlCommand<typeof Runs, RunSummary[]> {
  static override summary = 'List pipeline runs, newest first.';
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --limit 50 --json',
    '<%= config.bin %> <%= command.id %> show 12',
  ];
  static override flags = {
    limit: Flags.integer({ description: 'How many runs to list.', default: 20, min: 1, max: 10_000 }),
  };

  protected async execute(): Promise<RunSummary[]> {
    const store = this.adapters().runStore();
    await store.prepare();
    return store.list(this.flags.limit);
  }

  protected render(runs: RunSummary[]): void {
    if (runs.length === 0) {
      writeLine(this.streams.stdout, 'No pipeline runs yet: `etl pipeline` starts one.');
      return;
    }
    const rows = runs.map((r) => [
      r.runId,
      r.status,
      r.startedAt,
      r.seconds === null ? '-' : r.seconds.toFixed(1),
      `${r.tasks - r.failed}/${r.tasks}`,
      r.error ?? '',
      r.command,
    ]);
    writeLine(
      this.streams.stdout,
      renderTable(
        ['run', 'status', 'started (UTC)', 'seconds', 'tasks ok', 'error', 'command'],
        rows,
        isInteractive(this.streams.stdout),
      ),
    );
  }
}
