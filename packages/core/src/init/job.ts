/**
 * `etl init`: bring every database's etl schema up to date. PostgreSQL first (the source),
 * then MySQL (the replica). Idempotent: a second run applies nothing and says so.
 */
import type { MigrationOutcome, SchemaTarget, ServiceName } from '../ports/index.js';

export interface InitTargetReport extends MigrationOutcome {
  readonly service: ServiceName;
  readonly endpoint: string;
}

export interface InitReport {
  /** False when nothing was created or applied anywhere. */
  readonly changed: boolean;
  readonly targets: readonly InitTargetReport[];
}

export type InitProgress =
  | { readonly type: 'start'; readonly service: ServiceName; readonly endpoint: string }
  | { readonly type: 'done'; readonly service: ServiceName; readonly outcome: MigrationOutcome };

export async function runInit(
  targets: readonly SchemaTarget[],
  onProgress: (event: InitProgress) => void = () => {},
): Promise<InitReport> {
  const reports: InitTargetReport[] = [];
  for (const target of targets) {
    onProgress({ type: 'start', service: target.service, endpoint: target.endpoint });
    const outcome = await target.migrate();
    onProgress({ type: 'done', service: target.service, outcome });
    reports.push({ service: target.service, endpoint: target.endpoint, ...outcome });
  }
  return {
    changed: reports.some((r) => r.databaseCreated || r.applied.length > 0),
    targets: reports,
  };
}
