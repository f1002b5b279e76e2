/**
 * `etl marts`: builds each mart into a stage table with one INSERT … SELECT, runs its data
 * tests on the stage, and only then swaps it in with one atomic RENAME TABLE. A failing test
 * drops the stage and leaves the previous mart in place.
 */
import type { Warehouse } from '../ports/index.js';
import { DataCheckError, UsageError } from '../errors.js';
import { closest } from '../suggest.js';
import { dependencyWaves, forEachConcurrently } from '../concurrency.js';
import { FACTS, MARTS, type FactName, type MartDefinition } from './definitions.js';

export interface MartReport {
  readonly mart: string;
  readonly rows: number;
  readonly seconds: number;
  /** Stage + INSERT … SELECT + RENAME. */
  readonly buildSeconds: number;
  /** The data tests (facts shared with other marts counted where first computed). */
  readonly testSeconds: number;
  readonly testsPassed: number;
  readonly tests: readonly { readonly name: string; readonly failures: number }[];
}

export interface MartsReport {
  readonly target: string;
  readonly seconds: number;
  readonly marts: readonly MartReport[];
}

export type MartsProgress =
  | { readonly type: 'start'; readonly mart: string }
  | { readonly type: 'testing'; readonly mart: string; readonly rows: number }
  | { readonly type: 'done'; readonly report: MartReport };

/** Parses `--only a,b`, naming unknown marts and listing the valid ones. */
export function selectMarts(only: string | undefined, marts: readonly MartDefinition[] = MARTS): MartDefinition[] {
  if (only === undefined || only.trim() === '') return [...marts];
  const names = only
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const known = marts.map((m) => m.name);
  const unknown = names.filter((n) => !known.includes(n));
  if (unknown.length > 0) {
    const hints = unknown.map((n) => {
      const s = closest(n, known);
      return s === undefined ? `"${n}"` : `"${n}" (did you mean ${s}?)`;
    });
    throw new UsageError(`--only: unknown mart ${hints.join(', ')}; marts are ${known.join(', ')}`);
  }
  // A selected mart brings the marts it depends on.
  const wanted = new Set<string>();
  const add = (name: string): void => {
    if (wanted.has(name)) return;
    wanted.add(name);
    for (const d of marts.find((m) => m.name === name)?.dependsOn ?? []) add(d);
  };
  names.forEach(add);
  return marts.filter((m) => wanted.has(m.name));
}

/** Marts in waves: each after the marts it depends on. */
export function martWaves(marts: readonly MartDefinition[]): MartDefinition[][] {
  return dependencyWaves(
    marts,
    (m) => m.name,
    (m) => m.dependsOn,
  );
}

/** Every replica a mart reads must exist and hold rows; otherwise say which are not ready. */
async function checkReplicasReady(warehouse: Warehouse, marts: readonly MartDefinition[]): Promise<void> {
  const empty: string[] = [];
  for (const table of new Set(marts.flatMap((m) => m.reads))) {
    const n = await warehouse.rows(table);
    if (n === null || n === 0) empty.push(`${table} (${n === null ? 'missing' : 'empty'})`);
  }
  if (empty.length > 0) {
    throw new DataCheckError(`the MySQL replicas the marts read are not ready: ${empty.join(', ')}`, {
      hint: 'Run `etl replicate` first (and `etl seed` before it if PostgreSQL is empty).',
    });
  }
}

/** Facts shared by several marts' tests, each computed once per run. */
function factCache(warehouse: Warehouse): (name: FactName) => Promise<string | null> {
  const facts = new Map<FactName, Promise<string | null>>();
  return (name) => {
    const value = facts.get(name) ?? warehouse.value(FACTS[name]);
    facts.set(name, value);
    return value;
  };
}

/** Runs a mart's data tests on its stage: each test's failure count. */
async function testStage(
  warehouse: Warehouse,
  mart: MartDefinition,
  stage: string,
  fact: (name: FactName) => Promise<string | null>,
): Promise<MartReport['tests']> {
  const tests: { name: string; failures: number }[] = [];
  for (const test of mart.tests) {
    const value = await warehouse.value(test.sql, stage);
    if ('equals' in test) tests.push({ name: test.name, failures: value === (await fact(test.equals)) ? 0 : 1 });
    else tests.push({ name: test.name, failures: value === null ? 0 : Number(value) });
  }
  return tests;
}

function martTestsFailedError(mart: string, failed: MartReport['tests']): DataCheckError {
  return new DataCheckError(
    `mart ${mart} failed its data test${failed.length > 1 ? 's' : ''} ${failed
      .map((t) => `"${t.name}" (${t.failures})`)
      .join(', ')}; the previous ${mart} is left in place`,
    { hint: 'Check the replicas with `etl verify`, then rebuild with `etl marts`.' },
  );
}

export async function runMarts(
  warehouse: Warehouse,
  marts: readonly MartDefinition[],
  run: {
    readonly now: () => number;
    readonly onProgress?: (event: MartsProgress) => void;
    readonly concurrency?: number;
  },
): Promise<MartsReport> {
  const started = run.now();
  const progress = run.onProgress ?? (() => {});
  await warehouse.prepare();
  await checkReplicasReady(warehouse, marts);
  const fact = factCache(warehouse);

  const reports: MartReport[] = [];
  // Build into a stage, test the stage, and only then swap it in.
  const build = async (mart: MartDefinition): Promise<void> => {
    const martStarted = run.now();
    const stage = `${mart.name}__etl_stage`;
    progress({ type: 'start', mart: mart.name });
    const rows = await warehouse.build(mart, stage);
    const built = run.now();
    progress({ type: 'testing', mart: mart.name, rows });
    const tests = await testStage(warehouse, mart, stage, fact);
    const tested = run.now();
    const failed = tests.filter((t) => t.failures !== 0);
    if (failed.length > 0) {
      await warehouse.drop(stage);
      throw martTestsFailedError(mart.name, failed);
    }
    await warehouse.swap(stage, mart.name);
    const done = run.now();
    const report = {
      mart: mart.name,
      rows,
      seconds: (done - martStarted) / 1000,
      buildSeconds: (built - martStarted + (done - tested)) / 1000,
      testSeconds: (tested - built) / 1000,
      testsPassed: tests.length,
      tests,
    };
    reports.push(report);
    progress({ type: 'done', report });
  };
  for (const wave of martWaves(marts)) await forEachConcurrently(wave, run.concurrency ?? 1, build);
  const order = new Map(marts.map((m, i) => [m.name, i]));
  reports.sort((a, b) => (order.get(a.mart) ?? 0) - (order.get(b.mart) ?? 0));
  return { target: warehouse.endpoint, seconds: (run.now() - started) / 1000, marts: reports };
}
