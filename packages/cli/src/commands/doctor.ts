import { SERVICE_LABELS, ServiceUnreachableError, UsageError, runDoctor, type DoctorReport } from '@etl/core';
import { EtlCommand } from '../base-command.js';
import { isInteractive, renderTable, writeLine } from '../ui/output.js';

export default class Doctor extends EtlCommand<typeof Doctor, DoctorReport> {
  static override summary = 'Check that PostgreSQL, MySQL and Kafka are reachable, and what they hold.';
  static override description = `Connects to the three services at once, each with a short deadline, and prints for
each:
its endpoint (password masked), whether it answered, its version, the round-trip latency, the
etl schema version and the row count of every etl table.

It also checks the privileges etl needs (those \`etl init --print-grants\` prints) and names
each one the configured users lack, with the statement that grants it.

Exits 0 when all three answer, 3 when any cannot be reached (with one sentence per failure
saying how to start it), 2 when a privilege is missing, within a few seconds either way.`;

  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --json | jq ".services[] | {service, status}"',
    'ETL_MYSQL_URL=mysql://etl:etl@db.internal:3306/etl <%= config.bin %> <%= command.id %>',
  ];

  protected async execute(): Promise<DoctorReport> {
    const report = await runDoctor(this.adapters().probes(), { now: () => performance.now(), secrets: this.secrets });
    const down = report.services.filter((s) => s.status === 'down');
    if (down.length > 0) {
      this.output(report);
      throw new ServiceUnreachableError(
        down.map((s) => s.service).join(','),
        down.map((s) => `${s.error ?? `${SERVICE_LABELS[s.service]} is down`}.`).join('\n'),
        { hint: down[0]?.hint ?? 'Start the services with `make up`.' },
      );
    }
    const missing = report.services.flatMap((s) => s.missing);
    if (missing.length > 0) {
      this.output(report);
      throw new UsageError(
        `${missing.length === 1 ? 'a privilege is' : `${missing.length} privileges are`} missing: ` +
          missing.map((p) => `${SERVICE_LABELS[p.service]} ${p.name}`).join(', '),
        { hint: `Ask an administrator to run: ${missing.map((p) => p.grant).join(' ')}` },
      );
    }
    return report;
  }

  protected render(report: DoctorReport): void {
    const interactive = isInteractive(this.streams.stdout);
    const services = report.services.map((s) => [
      SERVICE_LABELS[s.service],
      s.endpoint,
      s.status,
      s.version,
      `${s.latencyMs} ms`,
      s.service === 'kafka' ? 'n/a' : s.status === 'down' ? '?' : (s.schemaVersion ?? 'not initialised'),
      s.detail,
    ]);
    writeLine(
      this.streams.stdout,
      renderTable(['service', 'endpoint', 'status', 'version', 'latency', 'schema', 'notes'], services, interactive),
    );
    const databases = report.services.filter((s) => s.service !== 'kafka');
    const names = [...new Set(databases.flatMap((s) => Object.keys(s.tables)))].sort();
    if (names.length > 0) {
      const rows = names.map((name) => [
        name,
        ...databases.map((s) => s.tables[name] ?? (s.status === 'up' ? '-' : '?')),
      ]);
      writeLine(this.streams.stdout);
      writeLine(
        this.streams.stdout,
        renderTable(['table', ...databases.map((s) => `${SERVICE_LABELS[s.service]} rows`)], rows, interactive),
      );
    }
    const missing = report.services.flatMap((s) => s.missing);
    if (missing.length > 0) {
      writeLine(this.streams.stdout);
      writeLine(
        this.streams.stdout,
        renderTable(
          ['missing privilege', 'needed for', 'grant (as an administrator)'],
          missing.map((p) => [`${SERVICE_LABELS[p.service]} ${p.name}`, p.neededFor, p.grant]),
          interactive,
        ),
      );
    }
  }
}
