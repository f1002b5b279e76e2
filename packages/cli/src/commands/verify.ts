import { Flags } from '@oclif/core';
import {
  parseTablePatterns,
  runVerify,
  TABLES_FLAG_DESCRIPTION,
  verifyFailedError,
  type VerifyReport,
} from '@etl/core';
import { EtlCommand } from '../base-command.js';
import { configFlag } from '../flags.js';
import { loadSettings } from '../settings-file.js';
import { isInteractive, renderTable, writeLine } from '../ui/output.js';

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

export default class Verify extends EtlCommand<typeof Verify, VerifyReport> {
  static override summary = 'Prove the MySQL replicas equal PostgreSQL, or name the rows that differ.';
  static override description = `For every selected table (the same --tables patterns and settings file as replicate):
row counts, then checksums of key ranges computed inside each database (pushed-down SQL, in the spirit of
data-diff), then, inside each range that differs, the hash of every row, down to the first differing
keys, which it prints. Integer keys are ranged by 10,000 consecutive values; any other key (text, uuid,
composite, numeric) by buckets of a hash of its text, computed identically on both sides, so the two
databases' different orderings of text never matter. A table without a key is compared as a multiset
(count and sum of row hashes).

Every column is compared, normalised the same way on both sides by the codec that copied it: decimals,
timestamps in UTC, floats by their exact binary value, bytes as hex, JSON as the text replication
stored. The demo shop's emails compare after the same trim and lower-casing replication applies, masked
columns (listed under "masked") after the same hash.

Exits 0 when everything is equal, 4 on any difference.`;

  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --tables orders,orderdetails --json',
    {
      description: 'Every table of schema sales but its audit tables',
      command: "<%= config.bin %> <%= command.id %> --tables 'sales.*,!sales.audit_*'",
    },
  ];

  static override flags = {
    tables: Flags.string({
      description: TABLES_FLAG_DESCRIPTION,
      helpValue: '<patterns>',
    }),
    config: configFlag(),
  };

  protected async execute(): Promise<VerifyReport> {
    const tables = this.flags.tables === undefined ? undefined : parseTablePatterns(this.flags.tables);
    const adapters = this.adapters();
    const report = await runVerify(adapters.replicaSource(), adapters.replicaTarget(), tables, {
      now: () => performance.now(),
      settings: loadSettings(this.flags.config, process.cwd()),
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
