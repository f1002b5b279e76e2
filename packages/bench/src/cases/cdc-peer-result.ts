/**
 * The pure half of the `cdc-peer` case: reading /proc, reading what Debezium's JDBC sink logged,
 * comparing replicas with the source value by value, and turning the measurements into a
 * BenchResult. No I/O here: cdc-peer.ts runs the processes and the queries.
 */
import { mysqlIdent, pgIdent } from '@etl/core';
import type { BenchResult } from '../case.js';

// --- processes ---------------------------------------------------------------------------

/** User + system CPU seconds of a process from the text of /proc/<pid>/stat (all its threads). */
export function cpuSecondsOfStat(stat: string, ticksPerSecond = 100): number {
  // The command name (field 2) is in parentheses and may hold spaces or parentheses itself.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After the name: state(3) ppid(4) … utime(14) stime(15), so utime is fields[11].
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) throw new Error(`not a /proc/<pid>/stat line: ${stat}`);
  return (utime + stime) / ticksPerSecond;
}

/** The kernel's high-water mark of a process's resident memory (VmHWM), in kB, from /proc/<pid>/status. */
export function peakRssKbOfStatus(status: string): number {
  const match = /^VmHWM:\s+(\d+)\s+kB/m.exec(status);
  if (match === null) throw new Error('no VmHWM line in /proc/<pid>/status');
  return Number(match[1]);
}

// --- Debezium's JDBC sink on MariaDB -----------------------------------------------------

/**
 * The CREATE TABLE statements Debezium's JDBC sink failed to run, as they must be run by hand:
 * for a source column with a default it cannot carry (PostgreSQL's `DEFAULT now()`) the sink
 * writes `DEFAULT '1970-01-01T00:00:00'`, which MariaDB refuses for a timestamp (error 1067,
 * "Invalid default value"). The rest of its DDL is kept as the sink wrote it.
 */
export function sinkDdlToRunByHand(log: string): string[] {
  const statements = new Set<string>();
  for (const line of log.split('\n')) {
    if (!/Invalid default value/i.test(line)) continue;
    const ddl = /\[(CREATE TABLE [^\]]+)\]/.exec(line)?.[1];
    if (ddl === undefined) continue;
    statements.add(ddl.replace(/ DEFAULT '1970-01-01T00:00:00'/g, ''));
  }
  return [...statements];
}

/** The table a CREATE TABLE statement creates. */
export function tableOfDdl(ddl: string): string {
  const name = /^CREATE TABLE\s+(?:IF NOT EXISTS\s+)?([^\s(]+)/i.exec(ddl)?.[1];
  if (name === undefined) throw new Error(`not a CREATE TABLE statement: ${ddl}`);
  return (name.split('.').pop() ?? name).replace(/[`"]/g, '');
}

// --- the end states, value by value ------------------------------------------------------

export type ColumnKind = 'integer' | 'numeric' | 'text' | 'timestamp';

export interface ColumnSpec {
  readonly name: string;
  readonly kind: ColumnKind;
}

export interface TableSpec {
  readonly name: string;
  /** The first column is the integer primary key the rows are ordered and matched by. */
  readonly columns: readonly ColumnSpec[];
}

/** The two shop tables the cdc workload changes, every column. */
export const PEER_TABLES: readonly TableSpec[] = [
  {
    name: 'orders',
    columns: [
      { name: 'order_id', kind: 'integer' },
      { name: 'user_id', kind: 'integer' },
      { name: 'order_date', kind: 'timestamp' },
      { name: 'total_amount', kind: 'numeric' },
      { name: 'status', kind: 'text' },
      { name: 'delivery_date', kind: 'timestamp' },
      { name: 'updated_at', kind: 'timestamp' },
    ],
  },
  {
    name: 'orderdetails',
    columns: [
      { name: 'order_detail_id', kind: 'integer' },
      { name: 'order_id', kind: 'integer' },
      { name: 'product_id', kind: 'integer' },
      { name: 'quantity', kind: 'integer' },
      { name: 'price_per_unit', kind: 'numeric' },
      { name: 'total_price', kind: 'numeric' },
      { name: 'updated_at', kind: 'timestamp' },
    ],
  },
];

/**
 * Each column as text, the same on both sides so that any difference is in the data: integers
 * and decimals in their own text (a decimal keeps its scale), timestamps in UTC with all six
 * fraction digits, text as it is, NULL as NULL. MySQL sessions run in UTC (connectMysql sets it).
 */
export function selectText(dialect: 'postgres' | 'mysql', table: TableSpec): string {
  const expr = (c: ColumnSpec): string => {
    if (dialect === 'postgres') {
      const col = pgIdent(c.name);
      return c.kind === 'timestamp' ? `to_char(${col} AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')` : `${col}::text`;
    }
    const col = mysqlIdent(c.name);
    return c.kind === 'timestamp' ? `DATE_FORMAT(${col}, '%Y-%m-%d %H:%i:%s.%f')` : `CAST(${col} AS CHAR)`;
  };
  const quote = dialect === 'postgres' ? pgIdent : mysqlIdent;
  return `SELECT ${table.columns.map((c) => `${expr(c)} AS ${quote(c.name)}`).join(', ')} FROM ${quote(table.name)}`;
}

/**
 * One key range of a table as text, ordered by key: rows with a key above the first parameter
 * and, when `bounded`, at most the second (PostgreSQL: $1, $2; MySQL: ?, ?). The ORDER BY names
 * the table's column: a bare name would mean the text output column in both dialects, and keys
 * would sort as text.
 */
export function chunkSql(dialect: 'postgres' | 'mysql', table: TableSpec, bounded: boolean, limit?: number): string {
  const quote = dialect === 'postgres' ? pgIdent : mysqlIdent;
  const key = `${quote(table.name)}.${quote(table.columns[0]?.name ?? '')}`;
  const [above, upTo] = dialect === 'postgres' ? ['$1::bigint', '$2::bigint'] : ['?', '?'];
  return (
    `${selectText(dialect, table)} WHERE ${key} > ${above}${bounded ? ` AND ${key} <= ${upTo}` : ''} ` +
    `ORDER BY ${key}${limit === undefined ? '' : ` LIMIT ${limit}`}`
  );
}

export type Cell = string | null;

/** How a replica's value differs from the source's. */
export type DifferenceKind =
  'NULL vs empty' | 'numeric scale' | 'timestamp precision' | 'timestamp shifted by whole minutes' | 'value';

const NUMBER = /^-?\d+(\.\d+)?$/;
const TIMESTAMP = /^(\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d)(?:\.(\d+))?$/;

/** Why two cells differ, or undefined when they are the same. */
export function classifyDifference(source: Cell, replica: Cell): DifferenceKind | undefined {
  if (source === replica) return undefined;
  if (source === null || replica === null) return source === '' || replica === '' ? 'NULL vs empty' : 'value';
  if (NUMBER.test(source) && NUMBER.test(replica)) {
    return Number(source) === Number(replica) ? 'numeric scale' : 'value';
  }
  const s = TIMESTAMP.exec(source);
  const r = TIMESTAMP.exec(replica);
  if (s !== null && r !== null) {
    const digits = (m: RegExpExecArray): number => (m[2] ?? '').replace(/0+$/, '').length;
    const micros = (m: RegExpExecArray): number =>
      Date.parse(`${m[1]?.replace(' ', 'T')}Z`) * 1000 + Number((m[2] ?? '').padEnd(6, '0').slice(0, 6));
    const apart = Math.abs(micros(s) - micros(r));
    // The replica kept fewer digits of the same instant (milliseconds of microseconds, say),
    // truncated or rounded: the two are closer than one unit of the last digit it kept.
    if (apart > 0 && digits(r) < digits(s) && apart < 10 ** (6 - digits(r))) return 'timestamp precision';
    if (apart > 0 && apart % 60_000_000 === 0) return 'timestamp shifted by whole minutes';
  }
  return 'value';
}

export interface ColumnDifferences {
  count: number;
  readonly kinds: Map<DifferenceKind, number>;
  /** The first difference met: key, source value, replica value. */
  example: { key: string; source: Cell; replica: Cell } | undefined;
}

/** A replica's table against the source's, accumulated chunk by chunk. */
export interface TableComparison {
  readonly table: string;
  sourceRows: number;
  replicaRows: number;
  /** Rows of the source the replica lacks, and rows of the replica the source lacks. */
  missing: number;
  extra: number;
  readonly columns: Map<string, ColumnDifferences>;
}

export function newComparison(table: string): TableComparison {
  return { table, sourceRows: 0, replicaRows: 0, missing: 0, extra: 0, columns: new Map() };
}

const keyOf = (row: readonly Cell[]): bigint => BigInt(row[0] ?? '0');

/**
 * Compares one key range: `source` and `replica` are rows of the same columns (the key first),
 * each ordered by key ascending, covering the same range of keys. Adds what differs to `into`.
 */
export function compareRows(
  into: TableComparison,
  columns: readonly string[],
  source: readonly (readonly Cell[])[],
  replica: readonly (readonly Cell[])[],
): TableComparison {
  into.sourceRows += source.length;
  into.replicaRows += replica.length;
  let i = 0;
  let j = 0;
  while (i < source.length || j < replica.length) {
    const s = source[i];
    const r = replica[j];
    if (r === undefined || (s !== undefined && keyOf(s) < keyOf(r))) {
      into.missing++;
      i++;
      continue;
    }
    if (s === undefined || keyOf(r) < keyOf(s)) {
      into.extra++;
      j++;
      continue;
    }
    for (let c = 1; c < columns.length; c++) {
      const kind = classifyDifference(s[c] ?? null, r[c] ?? null);
      if (kind === undefined) continue;
      const name = columns[c] ?? String(c);
      const diff = into.columns.get(name) ?? { count: 0, kinds: new Map<DifferenceKind, number>(), example: undefined };
      diff.count++;
      diff.kinds.set(kind, (diff.kinds.get(kind) ?? 0) + 1);
      diff.example ??= { key: String(s[0]), source: s[c] ?? null, replica: r[c] ?? null };
      into.columns.set(name, diff);
    }
    i++;
    j++;
  }
  return into;
}

export function comparisonIsEqual(t: TableComparison): boolean {
  return t.missing === 0 && t.extra === 0 && t.columns.size === 0;
}

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
const show = (c: Cell): string => (c === null ? 'NULL' : `'${c}'`);

/** One line per replica table: equal, or what differs and how, with an example. */
export function describeComparison(replica: string, t: TableComparison): string {
  const head = `${replica} ${t.table} vs source: ${fmt(t.replicaRows)} of ${fmt(t.sourceRows)} rows`;
  if (comparisonIsEqual(t)) return `${head}, every value equal`;
  const parts: string[] = [];
  if (t.missing > 0) parts.push(`${fmt(t.missing)} rows missing`);
  if (t.extra > 0) parts.push(`${fmt(t.extra)} rows extra`);
  for (const [column, d] of t.columns) {
    const kinds = [...d.kinds].map(([k, n]) => `${k} ${fmt(n)}`).join(', ');
    const e = d.example;
    const example = e === undefined ? '' : `; e.g. key ${e.key}: ${show(e.source)} → ${show(e.replica)}`;
    parts.push(`${column} differs in ${fmt(d.count)} rows (${kinds}${example})`);
  }
  return `${head}, DIFFERS: ${parts.join('; ')}`;
}

// --- the result ------------------------------------------------------------------------

/** One side's run from process start until its replica equalled the source. */
export interface SideRun {
  /** e.g. "etl" or "Debezium, sink batch.size 500 (default)". */
  readonly name: string;
  readonly label: string;
  readonly seconds: number;
  /** CPU seconds (user + system) of the processes this side started. */
  readonly cpuSeconds: number;
  /** Sum of the peak RSS of those processes, kB. */
  readonly peakRssKb: number;
  /** False when the replica settled without ever equalling the source (seconds: when it settled). */
  readonly equalled: boolean;
  /** Seconds from process start until it was ready to work (Connect: every task running), when known. */
  readonly startupSeconds?: number;
  /** Anything else worth a line (per-process figures, start-up time). */
  readonly detail?: string;
}

const mb = (kb: number): string => `${fmt(kb / 1024)} MB`;

/** Describes one side in one line. */
export function describeRun(run: SideRun, changes: number): string {
  const how = run.equalled
    ? 'until its replica equalled the source'
    : 'until its replica settled, NOT equal to the source';
  return (
    `${run.name}: ${fmt(changes)} changes in ${run.seconds.toFixed(2)} s ${how} = ${fmt(changes / run.seconds)} ` +
    `changes/s; CPU ${run.cpuSeconds.toFixed(1)} s; peak RSS ${mb(run.peakRssKb)}` +
    (run.startupSeconds === undefined
      ? ''
      : `; start-up ${run.startupSeconds.toFixed(1)} s, then ` +
        `${fmt(changes / Math.max(0.01, run.seconds - run.startupSeconds))} changes/s`) +
    (run.detail === undefined ? '' : ` (${run.detail})`)
  );
}

/** The goals issue 26 sets, printed, not asserted. */
export const PEER_GOALS = { rate: 5, memory: 1 / 5 } as const;

/**
 * etl against the fastest run of the peer (the peer at its best): the BenchResult, whose ratio
 * is etl's changes per second over the peer's, and notes that say each side's figures, the
 * ratios of CPU and memory, whether the goals are met, and the rest of `notes`.
 */
export function peerResult(input: {
  readonly changes: number;
  readonly ours: SideRun;
  readonly peers: readonly SideRun[];
  readonly notes: readonly string[];
}): BenchResult {
  const { changes, ours } = input;
  const best = [...input.peers].sort((a, b) => a.seconds - b.seconds)[0];
  if (best === undefined) throw new Error('no peer run to compare with');
  const rateRatio = best.seconds / ours.seconds;
  const cpuRatio = best.cpuSeconds / ours.cpuSeconds;
  const memoryRatio = ours.peakRssKb / best.peakRssKb;
  const met = (ok: boolean): string => (ok ? 'met' : 'NOT met');
  return {
    unit: 'changes',
    goal: PEER_GOALS.rate,
    ours: { label: ours.label, count: changes, seconds: ours.seconds },
    limit: { label: `${best.label} [fastest peer run: ${best.name}]`, count: changes, seconds: best.seconds },
    notes: [
      describeRun(ours, changes),
      ...input.peers.map((p) => describeRun(p, changes)),
      `etl vs ${best.name}: ${rateRatio.toFixed(2)}× the changes/s (goal ≥ ${PEER_GOALS.rate}×: ` +
        `${met(rateRatio >= PEER_GOALS.rate)}); the peer used ${cpuRatio.toFixed(2)}× etl's CPU seconds; ` +
        `etl's peak RSS is ${memoryRatio.toFixed(2)} of the peer's ` +
        `(goal ≤ ${PEER_GOALS.memory}: ${met(memoryRatio <= PEER_GOALS.memory)})`,
      ...input.notes,
    ],
  };
}
