import { Flags } from '@oclif/core';
import { MartsFailedError, runMarts, selectModels, type MartReport, type MartsReport } from '@etl/core';
import { EtlCommand } from '../../base-command.js';
import { projectFlag } from '../../flags.js';
import { loadMartsProject } from '../../marts-project.js';
import { isInteractive, renderTable, writeLine } from '../../ui/output.js';
import { withStages } from '../../ui/progress.js';

const fmt = (n: number) => n.toLocaleString('en-US');

function summary(r: MartReport): string {
  if (r.status !== 'built') return `${r.mart}: ${r.status}`;
  const rows =
    r.mode === 'view'
      ? 'view'
      : r.mergedRows === undefined
        ? `${fmt(r.rows)} rows`
        : `${fmt(r.mergedRows)} rows merged`;
  return `${r.mart}: ${rows}, ${r.testsPassed}/${r.tests.length} tests passed (${r.seconds.toFixed(1)} s)`;
}

export default class Marts extends EtlCommand<typeof Marts, MartsReport> {
  static override summary =
    'Build the marts in MySQL from the replicas: a dbt-style project, tested before it replaces anything.';
  static override description = `Builds the models of a marts project (--project; default ./marts when present, else the
built-in demo project: user_sales_analytics, product_sales_analytics, sales_daily, category_sales)
in dependency order, --concurrency independent models at a time. A model is name.sql holding one
SELECT; it reads other models with {{ ref('name') }} and replicas by name or with
{{ source('schema.table') }}; schema.yml gives descriptions and tests (unique, not_null,
accepted_values, relationships; severity warn or error) and tests/*.sql return failing rows.

table: built into a stage (CREATE TABLE … AS SELECT), tested there, swapped in with one atomic
RENAME TABLE. view: a stage view, tested, renamed in. incremental: the first build as a table;
later only the rows its {% if is_incremental() %} branch selects, tested, merged by unique_key in
one transaction. A failing error test keeps the previous version, skips what reads it, and exits 4
naming the model, the test and failing rows. The whole project is checked first (exit 2 for a
missing ref, a cycle, a test on a missing column…). See docs/marts.md.`;

  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --project ./analytics --select "orders_enriched+"',
    '<%= config.bin %> <%= command.id %> --select +sales_daily --exclude user_sales_analytics',
    '<%= config.bin %> <%= command.id %> --select daily_lines --full-refresh',
    '<%= config.bin %> <%= command.id %> show product_sales_analytics --limit 5',
  ];

  static override flags = {
    project: projectFlag(),
    select: Flags.string({
      char: 's',
      description:
        'Models to build: name, name+ (and what reads it), +name (and what it reads); several, space- or ' +
        'comma-separated.',
      helpValue: '<selector>',
    }),
    exclude: Flags.string({ description: 'Models to leave out, in --select’s forms.', helpValue: '<selector>' }),
    only: Flags.string({
      description: 'Comma-separated models to build, each with the models it reads (same as --select +a,+b).',
      helpValue: '<a,b>',
    }),
    concurrency: Flags.integer({ description: 'Independent models built at once.', default: 2, min: 1, max: 16 }),
    'full-refresh': Flags.boolean({ description: 'Rebuild incremental models whole.' }),
  };

  protected async execute(): Promise<MartsReport> {
    const project = loadMartsProject(this.flags.project, process.cwd());
    const only = this.flags.only
      ?.split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '')
      .map((s) => `+${s}`)
      .join(' ');
    const models = selectModels(
      project,
      this.flags.select ?? only,
      this.flags.exclude,
      this.flags.select === undefined && only !== undefined ? '--only' : '--select',
    );
    const warehouse = this.adapters().warehouse();
    try {
      return await withStages(
        models.map((m) => m.name),
        (stages) =>
          runMarts(warehouse, project, models, {
            now: () => performance.now(),
            concurrency: this.flags.concurrency,
            fullRefresh: this.flags['full-refresh'],
            onProgress: (event) => {
              if (event.type === 'start') stages.update(event.mart, 'building…');
              else if (event.type === 'testing') stages.update(event.mart, `${fmt(event.rows)} rows; testing…`);
              else stages.done(event.report.mart, summary(event.report));
            },
          }),
        { quiet: this.jsonMode && !isInteractive(this.streams.stderr) },
      );
    } catch (error) {
      if (error instanceof MartsFailedError) this.output(error.report);
      throw error;
    }
  }

  protected render(report: MartsReport): void {
    const rows = report.marts.map((m) => [
      m.mart,
      m.materialized,
      m.status === 'built' ? (m.mode === 'view' ? '-' : fmt(m.rows)) : m.status,
      m.seconds.toFixed(2),
      `${m.testsPassed}/${m.tests.length}`,
    ]);
    writeLine(
      this.streams.stdout,
      renderTable(
        ['mart', 'materialized', 'rows', 'seconds', 'tests passed'],
        rows,
        isInteractive(this.streams.stdout),
      ),
    );
    for (const m of report.marts)
      for (const w of m.warnings) writeLine(this.streams.stderr, `Warning: ${m.mart}: ${w}`);
    const built = report.marts.filter((m) => m.status === 'built').length;
    writeLine(
      this.streams.stdout,
      `Built ${built} mart${built === 1 ? '' : 's'} of ${report.project} in ${report.target} in ` +
        `${report.seconds.toFixed(1)} s.`,
    );
  }
}
