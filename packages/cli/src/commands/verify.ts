import { Flags } from '@oclif/core';
import { MysqlReplicaTarget, PostgresReplicaSource } from '@etl/connectors';
import { DataCheckError, parseTables, runVerify, type VerifyReport } from '@etl/core';
import { EtlCommand } from '../base-command.js';
import { isInteractive, renderTable, writeLine } from '../ui/output.js';

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

export default class Verify extends EtlCommand<typeof Verify, VerifyReport> {
  static override summary = 'Prove the MySQL replicas equal PostgreSQL, or name the rows that differ.';
  static override description = `For every replicated table: row counts, then checksums of key ranges of 10,000 computed inside
each database (pushed-down SQL, in the spirit of data-diff), then, inside each range that differs,
the hash of every row, down to the first differing keys, which it prints. Decimals and timestamps
are normalised so equal data compares equal; emails compare after the same trim and lower-casing
replication applies, masked columns after the same hash. JSON payloads are not compared (each
database spells JSON its own way); the columns extracted from them are.

Exits 0 when everything is equal, 4 on any difference.`;

  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --tables orders,orderdetails --json'];

  static override flags = {
    tables: Flags.string({ description: 'Comma-separated tables (default: all replicated tables).', helpValue: '<a,b>' }),
  };

  protected async execute(): Promise<VerifyReport> {
    const tables = parseTables(this.flags.tables);
    const config = this.loadConfig();
    const source = new PostgresReplicaSource(config.pg);
    const target = new MysqlReplicaTarget(config.mysql);
    await target.prepare();
    const report = await runVerify(source, target, tables, {
      now: () => performance.now(),
      masksOf: async (table) => (await target.state(table))?.masked ?? [],
    });
    if (!report.equal) {
      this.output(report);
      const bad = report.tables.filter((t) => !t.equal);
      throw new DataCheckError(
        bad
          .map((t) => {
            const byProblem = new Map<string, string[]>();
            for (const d of t.differences) byProblem.set(d.problem, [...(byProblem.get(d.problem) ?? []), d.key.replaceAll('\t', '/')]);
            const keys = [...byProblem].map(([problem, list]) => `${list.join(', ')} (${problem})`).join('; ');
            return `${t.table} differs: ${fmt(t.sourceRows)} rows in PostgreSQL, ${fmt(t.targetRows)} in MySQL${keys === '' ? '' : `; first differing keys: ${keys}`}`;
          })
          .join('\n'),
        { hint: 'Run `etl replicate` (or `etl replicate --mode full --tables …`) to bring the replica up to date.' },
      );
    }
    return report;
  }

  protected render(report: VerifyReport): void {
    const rows = report.tables.map((t) => [
      t.table,
      t.equal ? 'equal' : 'DIFFERENT',
      fmt(t.sourceRows),
      fmt(t.targetRows),
      `${t.differingRanges}/${t.ranges}`,
      t.differences.map((d) => d.key.replaceAll('\t', '/')).join(', ') || '-',
      t.seconds.toFixed(2),
    ]);
    writeLine(
      this.streams.stdout,
      renderTable(['table', 'status', 'PostgreSQL rows', 'MySQL rows', 'ranges differing', 'first differing keys', 'seconds'], rows, isInteractive(this.streams.stdout)),
    );
  }
}
