/**
 * `etl verify`: are the MySQL replicas equal to PostgreSQL? Row counts first, then checksums
 * of key ranges computed inside each database, then, inside each range that differs, the
 * hashes of its rows, down to the first differing keys.
 */
import type { ChecksumSide, ReplicaChecksumSide, SourceCatalog } from '../ports/index.js';
import { DataCheckError } from '../errors.js';
import type { TablePattern } from '../catalog/selection.js';
import { planReplicas } from '../replicate/plan.js';
import type { ReplicationSettings } from '../replicate/settings.js';

export interface VerifyTableReport {
  readonly table: string;
  readonly equal: boolean;
  readonly sourceRows: number;
  readonly targetRows: number;
  readonly ranges: number;
  readonly differingRanges: number;
  /** The first differing keys (tab-separated for composite keys), with what differs. */
  readonly differences: readonly {
    readonly key: string;
    readonly problem: 'missing in MySQL' | 'extra in MySQL' | 'values differ';
  }[];
  /** The columns masked in the replica, compared after the same hash. */
  readonly masked: readonly string[];
  readonly seconds: number;
}

export interface VerifyReport {
  readonly equal: boolean;
  readonly tables: readonly VerifyTableReport[];
}

const MAX_DIFFERENCES = 10;

export async function runVerify(
  source: ChecksumSide & SourceCatalog,
  target: ReplicaChecksumSide,
  tables: readonly TablePattern[] | undefined,
  options: { readonly now: () => number; readonly settings?: ReplicationSettings },
): Promise<VerifyReport> {
  const plan = planReplicas(await source.tables(), tables, options.settings);
  await target.prepare();
  const reports: VerifyTableReport[] = [];
  for (const [i, sourceTable] of plan.tables.entries()) {
    const table = plan.names[i] ?? '';
    const started = options.now();
    const spec = plan.spec(sourceTable, (await target.state(table))?.masked ?? []);
    const [sourceRows, targetRows] = await Promise.all([source.count(spec), target.count(spec)]);
    const [sourceKeyRanges, targetKeyRanges] = await Promise.all([
      source.keyRangeSums(spec),
      target.keyRangeSums(spec),
    ]);
    const keyRanges = [...new Set([...sourceKeyRanges.keys(), ...targetKeyRanges.keys()])].sort(compareKeyRanges);
    const differing = keyRanges.filter((b) => {
      const s = sourceKeyRanges.get(b);
      const t = targetKeyRanges.get(b);
      return s?.count !== t?.count || s?.sum !== t?.sum;
    });
    const differences: VerifyTableReport['differences'][number][] = [];
    // A table without a key is compared as a multiset: it differs, but no row can be named.
    for (const keyRange of spec.keyRanges.kind === 'none' ? [] : differing) {
      if (differences.length >= MAX_DIFFERENCES) break;
      const [s, t] = await Promise.all([source.rowHashes(spec, keyRange), target.rowHashes(spec, keyRange)]);
      const keys = [...new Set([...s.keys(), ...t.keys()])].sort(compareKeys);
      for (const key of keys) {
        const a = s.get(key);
        const b = t.get(key);
        if (a === b) continue;
        differences.push({
          key,
          problem: a === undefined ? 'extra in MySQL' : b === undefined ? 'missing in MySQL' : 'values differ',
        });
        if (differences.length >= MAX_DIFFERENCES) break;
      }
    }
    reports.push({
      table,
      equal: sourceRows === targetRows && differing.length === 0,
      sourceRows,
      targetRows,
      ranges: keyRanges.length,
      differingRanges: differing.length,
      differences,
      masked: spec.masked,
      seconds: (options.now() - started) / 1000,
    });
  }
  return { equal: reports.every((r) => r.equal), tables: reports };
}

/** Numeric-aware order of keys and ranges ("2" before "10"). */
function compareKeys(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}
const compareKeyRanges = compareKeys;

const fmt = (n: number): string => n.toLocaleString('en-US');

/** The one failure of `etl verify` and the pipeline's verify task: each differing table, its counts and first keys. */
export function verifyFailedError(
  report: VerifyReport,
  hint = 'Run `etl replicate` (or `etl replicate --mode full --tables …`) to bring the replica up to date.',
): DataCheckError {
  const lines = report.tables
    .filter((t) => !t.equal)
    .map((t) => {
      const byProblem = new Map<string, string[]>();
      for (const d of t.differences)
        byProblem.set(d.problem, [...(byProblem.get(d.problem) ?? []), d.key.replaceAll('\t', '/')]);
      const keys = [...byProblem].map(([problem, list]) => `${list.join(', ')} (${problem})`).join('; ');
      return (
        `${t.table} differs: ${fmt(t.sourceRows)} rows in PostgreSQL, ${fmt(t.targetRows)} in ` +
        `MySQL${keys === '' ? '' : `; first differing keys: ${keys}`}`
      );
    });
  return new DataCheckError(lines.join('\n'), { hint });
}
