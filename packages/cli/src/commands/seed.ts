import { Flags } from '@oclif/core';
import {
  UsageError,
  flagProblemsError,
  parseSeedOptions,
  runSeed,
  type SeedProgress,
  type SeedReport,
  type SeedTable,
} from '@etl/core';
import { using } from '../adapters.js';
import { EtlCommand } from '../base-command.js';
import { yesFlag } from '../flags.js';
import { askYes } from '../ui/confirm.js';
import { isInteractive, renderTable, writeLine } from '../ui/output.js';
import { withStages } from '../ui/progress.js';

const STAGES: readonly SeedTable[] = ['productcategories', 'users', 'products', 'orders', 'orderdetails'];
const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

/** Progress of tables filled together: the orders drawn so far, then the database's own work. */
function togetherText(event: Extract<SeedProgress, { type: 'together' }>): string {
  if (event.orders >= event.toAdd) return `every row drawn; ${event.tables.join(', ')}: loading, then indexes and keys`;
  return (
    `${fmt(event.orders)} / ${fmt(event.toAdd)} orders drawn, ${fmt(event.rowsPerSecond)} orders/s ` +
    `(${event.tables.join(', ')} in one transaction)`
  );
}

export default class Seed extends EtlCommand<typeof Seed, SeedReport> {
  static override summary =
    'Generate the shop dataset in PostgreSQL: categories, users, products, orders and their lines.';
  static override description = `Deterministic: row i of every table is a pure function of --seed and i (and of the
table sizes it references), so the same arguments give byte-identical rows in any database,
whatever the batch size or the number of runs it took.

Idempotent: rerunning with the same arguments adds nothing and says so. Larger counts add only
the missing rows and leave existing ones untouched (--orders 25000 after --orders 20000 adds
5,000 orders with their lines). Killed at any moment, a rerun completes the work with no
duplicates: each batch is one transaction, and an order is always stored with its lines.

Empty tables are filled the way pg_restore does, rows first, then indexes and keys: users,
products and orders with their lines in one transaction (a kill leaves them all empty), each
row drawn once while the database parses the order lines.

Creates the schema first when it is missing (what \`etl init\` does for PostgreSQL).`;

  static override examples = [
    { description: 'A demo-sized shop in seconds', command: '<%= config.bin %> <%= command.id %>' },
    {
      description: 'The benchmark size (about 3 million order lines)',
      command: '<%= config.bin %> <%= command.id %> --users 100000 --products 10000 --orders 1000000',
    },
    {
      description: 'Grow the dataset: adds only the missing 5,000 orders',
      command: '<%= config.bin %> <%= command.id %> --orders 15000',
    },
    { description: 'Start over, in a script', command: '<%= config.bin %> <%= command.id %> --reset --yes --seed 7' },
  ];

  static override flags = {
    users: Flags.string({ description: 'Number of users (ids 1…N).', default: '1000', helpValue: '<n>' }),
    products: Flags.string({ description: 'Number of products (ids 1…N).', default: '200', helpValue: '<n>' }),
    orders: Flags.string({
      description: 'Number of orders (ids 1…N), each with 1 to 5 lines.',
      default: '10000',
      helpValue: '<n>',
    }),
    seed: Flags.string({
      description: 'Seed of the generator: the same seed gives the same rows.',
      default: '42',
      helpValue: '<n>',
    }),
    reset: Flags.boolean({ description: 'Empty the source tables first (asks for confirmation on a terminal).' }),
    yes: yesFlag('for --reset in scripts'),
    concurrency: Flags.string({
      description: 'Batches loaded at once, each on its own connection.',
      default: '2',
      helpValue: '<n>',
    }),
    'batch-size': Flags.string({
      description: 'Ids per transaction (affects speed and crash granularity only).',
      hidden: true,
    }),
  };

  protected async execute(): Promise<SeedReport> {
    const { options, problems } = parseSeedOptions({
      users: this.flags.users,
      products: this.flags.products,
      orders: this.flags.orders,
      seed: this.flags.seed,
      batchSize: this.flags['batch-size'],
      concurrency: this.flags.concurrency,
      reset: this.flags.reset,
    });
    if (options === undefined) throw flagProblemsError(problems);
    const adapters = this.adapters();
    if (options.reset && !this.flags.yes) await this.confirmReset(adapters.config.pg.display);
    return using(adapters.seedStore(), (store) =>
      withStages(
        STAGES,
        (stages) =>
          runSeed(store, options, {
            now: () => performance.now(),
            spool: () => adapters.spool(),
            onProgress: (event) => {
              if (event.type === 'batch') {
                stages.update(
                  event.table,
                  `${fmt(event.added)} / ${fmt(event.toAdd)} rows, ${fmt(event.rowsPerSecond)} rows/s`,
                );
                if (event.table === 'orders') stages.update('orderdetails', 'with their orders');
              } else if (event.type === 'together') {
                // Shown on the first of the tables: its stage is the one running while all of them load.
                stages.update(event.tables[0] ?? 'orders', togetherText(event));
              } else if (event.type === 'done') {
                const r = event.report;
                stages.done(
                  r.table,
                  `${r.table}: ${fmt(r.added)} added, ${fmt(r.present)} present (${r.seconds.toFixed(1)} s)`,
                );
              }
            },
          }),
        { quiet: this.jsonMode && !isInteractive(this.streams.stderr) },
      ),
    );
  }

  private async confirmReset(endpoint: string): Promise<void> {
    const answer = await askYes(
      this.streams,
      `--reset deletes every user, product, category, order and order line in ${endpoint}.`,
    );
    if (answer === 'no-terminal') {
      throw new UsageError('--reset deletes every row of the source tables; refusing without confirmation', {
        hint: 'Add --yes to confirm in a script.',
      });
    }
    if (answer === 'no') throw new UsageError('reset not confirmed; nothing was changed');
  }

  protected render(report: SeedReport): void {
    const rows = report.tables.map((t) => [
      t.table,
      fmt(t.added),
      fmt(t.present),
      t.seconds.toFixed(2),
      t.added > 0 ? fmt(t.rowsPerSecond) : '-',
    ]);
    writeLine(
      this.streams.stdout,
      renderTable(
        ['table', 'rows added', 'rows present', 'seconds', 'rows/s'],
        rows,
        isInteractive(this.streams.stdout),
      ),
    );
    writeLine(
      this.streams.stdout,
      report.changed
        ? `Seeded ${report.endpoint} with seed ${report.seed} in ${report.seconds.toFixed(1)} s.`
        : `Nothing to add: every requested row (seed ${report.seed}) is already present.`,
    );
  }
}
