/**
 * Versioned migrations: which ones a database still needs. Pure; the connectors run them.
 */
import { BugError, UsageError } from './errors.js';

export interface Migration<Step = string> {
  readonly version: number;
  readonly name: string;
  /** Statements applied in order. Each must be safe to run again after a crash. */
  readonly steps: readonly Step[];
}

/** Checks a list of migrations is numbered 1, 2, 3… with unique names. */
export function checkMigrations(migrations: readonly Migration<unknown>[]): void {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) {
      throw new BugError(`migration "${m.name}" has version ${m.version}, expected ${i + 1}`);
    }
  });
}

/**
 * The migrations still to apply, in order. A database that has a version this build does not
 * know was migrated by a newer etl: refuse rather than guess.
 */
export function pendingMigrations<Step>(
  migrations: readonly Migration<Step>[],
  appliedVersions: readonly number[],
  where: string,
): Migration<Step>[] {
  checkMigrations(migrations);
  const known = new Set(migrations.map((m) => m.version));
  const unknown = appliedVersions.filter((v) => !known.has(v));
  if (unknown.length > 0) {
    throw new UsageError(
      `${where} has schema version ${Math.max(...unknown)}, newer than this etl knows (${migrations.length})`,
      { hint: 'Upgrade etl, or point it at another database.' },
    );
  }
  const applied = new Set(appliedVersions);
  return migrations.filter((m) => !applied.has(m.version));
}
