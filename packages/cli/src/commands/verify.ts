import { Flags } from '@oclif/core';
import { parseTables, runVerify, verifyFailedError, type VerifyReport } from '@etl/core';
import { EtlCommand } from '../base-command.js';
import { isInteractive, renderTable, writeLine } from '../ui/output.js';

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

export default class Verify extends EtlCommand<typeof Verify, VerifyReport> {
  static override summary = 'Prove the MySQL replicas equal PostgreSQL, or name the rows that differ.';
  static override description = `For every replicated table: row counts, then checksums of key ranges of 10,000
computed inside
each database (pushed-down SQL, in the spirit of data-diff), then, inside each range that differs,
the hash of every row, down to the first differing keys, which it prints. Decimals and timestamps
are normalised so equal data compares equal; emails compare after the same trim and lower-casing
replication applies, masked columns (listed under "masked") after the same hash. JSON payloads are not compared (each
database spells JSON its own way); the columns extracted from them are.

Exits 0 when everything is equal, 4 on any difference.`;

  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --tables orders,orderdetails --json',
  ];

  static override flags = {
    tables: Flags.string({
      description: 'Comma-separated tables (default: all replicated tables).',
      helpValue: '<a,b>',
    }),
  };

  protected async execute(): Promise<VerifyReport> {
    const tables = parseTables(this.flags.tables);
    const adapters = this.adapters();
    const report = await runVerify(adapters.replicaSource(), adapters.replicaTarget(), tables, {
      now: () => performance.now(),
    });
    if (!report.equal) {
      this.output(report);
      throw verifyFailedError(report);
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
      t.masked.length === 0 ? '-' : t.masked.map((m) => m.slice(t.table.length + 1)).join(', '),
      t.differences.map((d) => d.key.replaceAll('\t', '/')).join(', ') || '-',
      t.seconds.toFixed(2),
    ]);
    writeLine(
      this.streams.stdout,
      renderTable(
        [
          'table',
          'status',
          'PostgreSQL rows',
          'MySQL rows',
          'ranges differing',
          'masked',
          'first differing keys',
          'seconds',
        ],
        rows,
        isInteractive(this.streams.stdout),
      ),
    );
  }
}
