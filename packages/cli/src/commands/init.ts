import { Flags } from '@oclif/core';
import { SERVICE_LABELS, grantStatements, runInit, type InitReport } from '@etl/core';
import { EtlCommand } from '../base-command.js';
import { isInteractive, renderTable, writeLine } from '../ui/output.js';
import { runWithProgress } from '../ui/progress.js';

/** `--print-grants`: the statements an administrator runs, per database. */
export interface GrantsReport {
  readonly grants: { readonly postgres: readonly string[]; readonly mysql: readonly string[] };
}

export default class Init extends EtlCommand<typeof Init, InitReport | GrantsReport> {
  static override summary = 'Create the databases and bring both schemas up to date.';
  static override description = `Creates the PostgreSQL and MySQL databases named in the connection URLs when they
are missing (if the user may), then applies every pending schema migration: etl's own state in
PostgreSQL (schema etl_state: pipeline history, stream offsets), its state and the replica tables
in MySQL. The demo's tables (the shop's and the event tables) are created by etl seed and etl
stream, which fill them; init only brings them up to date where they are. So init on a database of your own
adds schema etl_state and nothing else, and seed or stream there refuse (exit 2) any table of
the demo's names that etl did not create.

Safe to run any number of times: a second run changes nothing and says so. Safe to interrupt:
the next run completes what was left.

etl needs no superuser. --print-grants prints, without connecting, the least an administrator
must grant the users in the URLs: a PostgreSQL role that owns the database (plus
pg_read_all_stats for incremental replicate, and REPLICATION for etl cdc), and a MySQL user
with privileges on its database only. \`etl doctor\` names any of them that is missing.`;

  static override flags = {
    'print-grants': Flags.boolean({
      description: 'Print the GRANT statements etl needs (for an administrator to run) and exit; connects nowhere.',
    }),
  };

  static override examples = [
    {
      description: 'Against the default endpoints (docker compose or `make up`)',
      command: '<%= config.bin %> <%= command.id %>',
    },
    {
      description: 'Into throwaway databases',
      command:
        '<%= config.bin %> <%= command.id %> --pg-url postgres://etl:etl@127.0.0.1:5432/scratch --mysql-url ' +
        'mysql://etl:etl@127.0.0.1:3306/scratch',
    },
    { description: 'For scripts', command: '<%= config.bin %> <%= command.id %> --json' },
    {
      description: 'What a database administrator must grant, for the users in the URLs',
      command: '<%= config.bin %> <%= command.id %> --print-grants',
    },
  ];

  protected async execute(): Promise<InitReport | GrantsReport> {
    if (this.flags['print-grants']) {
      const config = this.loadConfig();
      return { grants: grantStatements(config.pg, config.mysql) };
    }
    const targets = this.adapters().schemaTargets();
    const ctx: { report?: InitReport } = {};
    await runWithProgress(
      [
        {
          title: 'Migrating PostgreSQL and MySQL schemas',
          run: async (context, report) => {
            context.report = await runInit(targets, (event) => {
              if (event.type === 'start') report(`${SERVICE_LABELS[event.service]} ${event.endpoint}`);
            });
          },
        },
      ],
      ctx,
      { quiet: this.jsonMode && !isInteractive(this.streams.stderr) },
    );
    if (ctx.report === undefined) throw new Error('init finished without a report');
    return ctx.report;
  }

  protected render(report: InitReport | GrantsReport): void {
    if ('grants' in report) {
      writeLine(
        this.streams.stdout,
        ['-- PostgreSQL', ...report.grants.postgres, '', '-- MySQL', ...report.grants.mysql].join('\n'),
      );
      return;
    }
    const rows = report.targets.map((t) => [
      SERVICE_LABELS[t.service],
      t.endpoint,
      t.databaseCreated ? 'created' : 'existed',
      t.version,
      t.applied.length === 0 ? 'none' : t.applied.map((m) => `${m.version} ${m.name}`).join('; '),
    ]);
    writeLine(
      this.streams.stdout,
      renderTable(
        ['service', 'endpoint', 'database', 'schema version', 'applied now'],
        rows,
        isInteractive(this.streams.stdout),
      ),
    );
    writeLine(
      this.streams.stdout,
      report.changed
        ? 'Schemas are up to date.'
        : 'Nothing to do: both schemas were already up to date; nothing changed.',
    );
  }
}
