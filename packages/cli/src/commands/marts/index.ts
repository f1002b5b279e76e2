import { Flags } from '@oclif/core';
import { runMarts, selectMarts, type MartsReport } from '@etl/core';
import { EtlCommand } from '../../base-command.js';
import { isInteractive, renderTable, writeLine } from '../../ui/output.js';
import { withStages } from '../../ui/progress.js';

export default class Marts extends EtlCommand<typeof Marts, MartsReport> {
  static override summary = 'Build the sales marts in MySQL from the replicas: atomically, tested.';
  static override description = `Marts: user_sales_analytics, product_sales_analytics, sales_daily, category_sales (see
\`etl marts show <mart>\`). Each is built into a stage table with one INSERT … SELECT (all the work
in the database), its data tests run on the stage (grain unique, keys not null, every user or
product present, revenue reconciling with the order lines), and only then is it swapped in with
one atomic RENAME TABLE. A failing test leaves the previous mart in place and exits 4 naming the
mart and the test. Cancelled orders count nowhere; orders are counted as distinct orders.

Reads only the MySQL replicas: run \`etl replicate\` first.`;

  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --only sales_daily,category_sales',
    '<%= config.bin %> <%= command.id %> show product_sales_analytics --limit 5',
  ];

  static override flags = {
    only: Flags.string({
      description: 'Comma-separated marts to build (with the marts they depend on).',
      helpValue: '<a,b>',
    }),
  };

  protected async execute(): Promise<MartsReport> {
    const marts = selectMarts(this.flags.only);
    const warehouse = this.adapters().warehouse();
    return withStages(
      marts.map((m) => m.name),
      (stages) =>
        runMarts(warehouse, marts, {
          now: () => performance.now(),
          onProgress: (event) => {
            if (event.type === 'start') stages.update(event.mart, 'building…');
            else if (event.type === 'testing')
              stages.update(event.mart, `${event.rows.toLocaleString('en-US')} rows; testing…`);
            else
              stages.done(
                event.report.mart,
                `${event.report.mart}: ${event.report.rows.toLocaleString('en-US')} rows, ` +
                  `${event.report.testsPassed} tests passed (${event.report.seconds.toFixed(1)} s)`,
              );
          },
        }),
      { quiet: this.jsonMode && !isInteractive(this.streams.stderr) },
    );
  }

  protected render(report: MartsReport): void {
    const rows = report.marts.map((m) => [
      m.mart,
      m.rows.toLocaleString('en-US'),
      m.seconds.toFixed(2),
      `${m.testsPassed}/${m.tests.length}`,
    ]);
    writeLine(
      this.streams.stdout,
      renderTable(['mart', 'rows', 'seconds', 'tests passed'], rows, isInteractive(this.streams.stdout)),
    );
    writeLine(
      this.streams.stdout,
      `Built ${report.marts.length} mart${report.marts.length === 1 ? '' : 's'} in ${report.target} in ` +
        `${report.seconds.toFixed(1)} s.`,
    );
  }
}
