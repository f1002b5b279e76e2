import { Args, Flags } from '@oclif/core';
import { DataCheckError, MARTS, UsageError, closest, selectMarts, type MartDefinition } from '@etl/core';
import { EtlCommand } from '../../base-command.js';
import { barChart } from '../../ui/chart.js';
import { isInteractive, renderTable, writeLine } from '../../ui/output.js';

export interface ShowResult {
  readonly mart: string;
  readonly orderBy: string;
  readonly rows: readonly Record<string, string | number | null>[];
}

function cell(value: unknown, type: string): string | number | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date)
    return type.startsWith('date ')
      ? value.toISOString().slice(0, 10)
      : value.toISOString().replace('T', ' ').replace('Z', '');
  // Counts as numbers; money stays exact decimal text.
  if (typeof value === 'string' && /^(big)?int\b/.test(type)) return Number(value);
  if (typeof value === 'number' || typeof value === 'string') return value;
  return JSON.stringify(value);
}

export default class MartsShow extends EtlCommand<typeof MartsShow, ShowResult> {
  static override summary = 'Print the rows of a mart, with a bar chart of the top rows.';
  static override description = `Prints the first --limit rows of a mart ordered by --order-by (default: its measure,
largest first; sales_daily by its revenue too). For every sales mart it also draws a horizontal bar
chart of those rows, because people would rather look than read. No colour or box drawing when
stdout is not a terminal. Marts: ${MARTS.map((m) => m.name).join(', ')}.`;

  static override examples = [
    '<%= config.bin %> <%= command.id %> product_sales_analytics',
    '<%= config.bin %> <%= command.id %> user_sales_analytics --limit 20 --order-by orders_count',
    '<%= config.bin %> <%= command.id %> sales_daily --order-by day --asc --json',
  ];

  static override args = {
    mart: Args.string({ description: 'Mart to show.', required: true }),
  };

  static override flags = {
    limit: Flags.integer({ description: 'Rows to show.', default: 10, min: 1, max: 10_000 }),
    'order-by': Flags.string({
      description: 'Column to order by (default: the mart’s measure).',
      helpValue: '<column>',
    }),
    asc: Flags.boolean({ description: 'Smallest first (default: largest first).' }),
  };

  protected async execute(): Promise<ShowResult> {
    const [mart] = selectMarts(this.args.mart) as [MartDefinition];
    const columns = mart.columns.map((c) => c.name);
    const orderBy = this.flags['order-by'] ?? mart.chart?.measure ?? mart.grain[0] ?? columns[0] ?? '';
    if (!columns.includes(orderBy)) {
      const s = closest(orderBy, columns);
      throw new UsageError(
        `--order-by: ${mart.name} has no column "${orderBy}"${s === undefined ? '' : ` (did you mean ${s}?)`}; ` +
          `columns are ${columns.join(', ')}`,
      );
    }
    const warehouse = this.adapters().warehouse();
    if ((await warehouse.rows(mart.name)) === null) {
      throw new DataCheckError(`mart ${mart.name} has not been built yet`, { hint: 'Run `etl marts` first.' });
    }
    const raw = await warehouse.show(mart, orderBy, !this.flags.asc, this.flags.limit);
    const types = new Map(mart.columns.map((c) => [c.name, c.type]));
    const rows = raw.map((r) => Object.fromEntries(columns.map((c) => [c, cell(r[c], types.get(c) ?? '')])));
    return { mart: mart.name, orderBy, rows };
  }

  protected render(result: ShowResult): void {
    const mart = MARTS.find((m) => m.name === result.mart);
    const interactive = isInteractive(this.streams.stdout);
    const columns = mart?.columns.map((c) => c.name) ?? [];
    writeLine(
      this.streams.stdout,
      renderTable(
        columns,
        result.rows.map((r) => columns.map((c) => r[c])),
        interactive,
      ),
    );
    if (mart?.chart !== undefined && result.rows.length > 0) {
      const { measure, label } = mart.chart;
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
