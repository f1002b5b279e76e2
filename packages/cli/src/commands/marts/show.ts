import { Args, Flags } from '@oclif/core';
import { SHOW_DEFAULT_LIMIT, SHOW_MAX_LIMIT, showModel, type ShowResult } from '@etl/core';
import { EtlCommand } from '../../base-command.js';
import { projectFlag } from '../../flags.js';
import { loadMartsProject } from '../../marts-project.js';
import { barChart } from '../../ui/chart.js';
import { isInteractive, renderTable, writeLine } from '../../ui/output.js';

export type { ShowResult } from '@etl/core';

export default class MartsShow extends EtlCommand<typeof MartsShow, ShowResult> {
  static override summary = 'Print the rows of a mart, with a bar chart of the top rows.';
  static override description = `Prints the first --limit rows of a model ordered by --order-by (default: the measure
its schema.yml declares under meta, largest first; else its key), ties broken by its key. When the
model declares a measure (meta: {measure: revenue, label: product_name}) it also draws a
horizontal bar chart of those rows. No colour or box drawing when stdout is not a terminal.
--json prints exactly what the page's /api/marts/<model> returns.`;

  static override examples = [
    '<%= config.bin %> <%= command.id %> product_sales_analytics',
    '<%= config.bin %> <%= command.id %> user_sales_analytics --limit 20 --order-by orders_count',
    '<%= config.bin %> <%= command.id %> sales_daily --order-by day --asc --json',
  ];

  static override args = {
    mart: Args.string({ description: 'Model to show.', required: true }),
  };

  static override flags = {
    project: projectFlag(),
    limit: Flags.integer({ description: 'Rows to show.', default: SHOW_DEFAULT_LIMIT, min: 1, max: SHOW_MAX_LIMIT }),
    'order-by': Flags.string({
      description: 'Column to order by (default: the model’s measure).',
      helpValue: '<column>',
    }),
    asc: Flags.boolean({ description: 'Smallest first (default: largest first).' }),
  };

  protected async execute(): Promise<ShowResult> {
    const project = loadMartsProject(this.flags.project, process.cwd());
    return showModel(this.adapters().warehouse(), project, this.args.mart, {
      ...(this.flags['order-by'] === undefined ? {} : { orderBy: this.flags['order-by'] }),
      ascending: this.flags.asc,
      limit: this.flags.limit,
    });
  }

  protected render(result: ShowResult): void {
    const interactive = isInteractive(this.streams.stdout);
    writeLine(
      this.streams.stdout,
      renderTable(
        [...result.columns],
        result.rows.map((r) => result.columns.map((c) => r[c])),
        interactive,
      ),
    );
    if (result.chart !== undefined && result.rows.length > 0) {
      const { measure } = result.chart;
      const label = result.chart.label ?? result.columns[0] ?? measure;
      writeLine(this.streams.stdout);
      writeLine(this.streams.stdout, `${measure} by ${label}:`);
      writeLine(
        this.streams.stdout,
        barChart(
          result.rows.map((r) => ({
            label: String(r[label] ?? '-'),
            value: Number(r[measure] ?? 0),
            text: String(r[measure] ?? '0'),
          })),
          { interactive },
        ),
      );
    }
  }
}
