/**
 * `etl verify`: are the MySQL replicas equal to PostgreSQL? Row counts first, then checksums
 * of key ranges computed inside each database, then, inside each range that differs, the
 * hashes of its rows, down to the first differing keys.
 */
import type { TableName } from '../schema/tables.js';
import { replicaSpec, type ReplicaSpec } from './spec.js';

export interface BucketSum {
  readonly count: number;
  readonly sum: string;
}

/** One side of the comparison; connectors implements it for PostgreSQL and MySQL. */
export interface ChecksumSide {
  readonly endpoint: string;
  count(table: TableName): Promise<number>;
  bucketSums(spec: ReplicaSpec): Promise<Map<string, BucketSum>>;
  rowHashes(spec: ReplicaSpec, bucket: string): Promise<Map<string, string>>;
}

export interface VerifyTableReport {
  readonly table: TableName;
  readonly equal: boolean;
  readonly sourceRows: number;
  readonly targetRows: number;
  readonly ranges: number;
  readonly differingRanges: number;
  /** The first differing keys (tab-separated for composite keys), with what differs. */
  readonly differences: readonly { readonly key: string; readonly problem: 'missing in MySQL' | 'extra in MySQL' | 'values differ' }[];
  readonly seconds: number;
}

export interface VerifyReport {
  readonly equal: boolean;
  readonly tables: readonly VerifyTableReport[];
}

const MAX_DIFFERENCES = 10;

export async function runVerify(
  source: ChecksumSide,
  target: ChecksumSide,
  tables: readonly TableName[],
  options: { readonly now: () => number; readonly masksOf: (table: TableName) => Promise<readonly string[]> },
): Promise<VerifyReport> {
  const reports: VerifyTableReport[] = [];
  for (const table of tables) {
    const started = options.now();
    const spec = replicaSpec(table, await options.masksOf(table));
    const [sourceRows, targetRows] = await Promise.all([source.count(table), target.count(table)]);
    const [sourceBuckets, targetBuckets] = await Promise.all([source.bucketSums(spec), target.bucketSums(spec)]);
    const buckets = [...new Set([...sourceBuckets.keys(), ...targetBuckets.keys()])].sort(compareBuckets);
    const differing = buckets.filter((b) => {
      const s = sourceBuckets.get(b);
      const t = targetBuckets.get(b);
      return s?.count !== t?.count || s?.sum !== t?.sum;
    });
    const differences: VerifyTableReport['differences'][number][] = [];
    for (const bucket of differing) {
      if (differences.length >= MAX_DIFFERENCES) break;
      const [s, t] = await Promise.all([source.rowHashes(spec, bucket), target.rowHashes(spec, bucket)]);
      const keys = [...new Set([...s.keys(), ...t.keys()])].sort(compareKeys);
      for (const key of keys) {
        const a = s.get(key);
        const b = t.get(key);
        if (a === b) continue;
        differences.push({ key, problem: a === undefined ? 'extra in MySQL' : b === undefined ? 'missing in MySQL' : 'values differ' });
        if (differences.length >= MAX_DIFFERENCES) break;
      }
    }
    reports.push({
      table,
      equal: sourceRows === targetRows && differing.length === 0,
      sourceRows,
      targetRows,
      ranges: buckets.length,
      differingRanges: differing.length,
      differences,
      seconds: (options.now() - started) / 1000,
    });
  }
  return { equal: reports.every((r) => r.equal), tables: reports };
}

/** Numeric-aware order of keys and ranges ("2" before "10"). */
function compareKeys(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}
const compareBuckets = compareKeys;
