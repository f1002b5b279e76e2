/**
 * `etl marts`: builds the models of a marts project in dependency order, independent ones
 * `concurrency` at a time. Nothing a reader sees is replaced before it passed its tests:
 *
 * - `table`: CREATE TABLE stage AS SELECT, the tests on the stage, one atomic RENAME TABLE.
 * - `view`: a stage view, the tests on it, the same RENAME.
 * - `incremental`: the first build (or `fullRefresh`) as a table with its unique_key as primary
 *   key; later, only the rows the `is_incremental()` branch selects, into a delta table, tested,
 *   then merged by unique_key in one transaction.
 *
 * A failing `error` test keeps the previous version, skips the models downstream of it and makes
 * the run fail (exit 4) once the others are built; a `warn` test is reported and nothing stops.
 * Before anything is built the project is checked against MySQL: each selected model becomes a
 * view (nothing read), so a SQL error, or a test on a column the model does not have, is found
 * for every model at once.
 */
import type { ModelBuildRecord, Warehouse, WarehouseColumn } from '../ports/index.js';
import { DuplicateKeyError, ModelSqlError } from '../ports/warehouse.js';
import { BusyError, DataCheckError, UsageError } from '../errors.js';
import { closest } from '../suggest.js';
import { workTableName } from '../catalog/replica-names.js';
import { mysqlIdent } from '../sql/identifiers.js';
import { renderTemplate } from './render.js';
import { genericTestSql } from './tests.js';
import type { GenericTest, MartsProject, Model, Severity } from './project.js';

export interface TestReport {
  readonly name: string;
  readonly severity: Severity;
  /** Failing rows (0 passes). */
  readonly failures: number;
  readonly sample?: readonly Record<string, unknown>[];
}

export interface MartReport {
  /** The model's name (`mart` for the scripts written against the four demo marts). */
  readonly mart: string;
  readonly materialized: Model['materialized'];
  readonly status: 'built' | 'failed' | 'skipped';
  /** full: built whole; incremental: new rows merged; view: replaced. */
  readonly mode: 'full' | 'incremental' | 'view';
  /** Rows in the model after the build (a view: 0, not counted); for incremental, merged rows too. */
  readonly rows: number;
  readonly mergedRows?: number;
  /** incremental: of buildSeconds, the merge's transaction (the rest is selecting the new rows). */
  readonly mergeSeconds?: number;
  readonly seconds: number;
  /** Stage + CREATE … AS SELECT + RENAME (or merge). */
  readonly buildSeconds: number;
  readonly testSeconds: number;
  readonly testsPassed: number;
  readonly tests: readonly TestReport[];
  readonly warnings: readonly string[];
  /** Why it failed or was skipped. */
  readonly error?: string;
}

export interface MartsReport {
  readonly target: string;
  readonly project: string;
  readonly seconds: number;
  readonly marts: readonly MartReport[];
}

export type MartsProgress =
  | { readonly type: 'start'; readonly mart: string }
  | { readonly type: 'testing'; readonly mart: string; readonly rows: number }
  | { readonly type: 'done'; readonly report: MartReport };

export interface MartsRun {
  readonly now: () => number;
  readonly onProgress?: (event: MartsProgress) => void;
  readonly concurrency?: number;
  /** Rebuild incremental models whole. */
  readonly fullRefresh?: boolean;
  /** The wall clock, for freshness (default Date.now). */
  readonly clock?: () => number;
}

const SAMPLE_ROWS = 3;

/** The relation a test's `ref()` reads: the model under test's stage, others' live tables. */
const resolver =
  (self: string, relation: string) =>
  (name: string): string =>
    name === self ? relation : name;

function lineOf(model: Model, error: ModelSqlError): string {
  let line = error.line;
  if (line === undefined) {
    // "Unknown column 'o.totl' in 'field list'": the first line of the file that names it.
    const name = /'(?:[^'.]*\.)?([^'.]+)'/.exec(error.message)?.[1];
    const index = name === undefined ? -1 : model.template.split('\n').findIndex((l) => l.includes(name));
    line = index < 0 ? undefined : index + 1;
  }
  return `${model.file}${line === undefined ? '' : `:${line}`}`;
}

const sqlError = (model: Model, error: ModelSqlError): DataCheckError =>
  new DataCheckError(`model ${model.name} (${lineOf(model, error)}): MySQL says: ${error.message}`, {
    hint: 'Fix the SQL of the model at the line named; nothing of it was replaced.',
  });

/** The tests an incremental model gets on its key whatever its YAML says: it is merged by it. */
function keyTests(model: Model): GenericTest[] {
  if (model.materialized !== 'incremental') return [];
  return model.uniqueKey.flatMap((column) => {
    const declared = (kind: string) => model.tests.some((t) => t.kind === kind && t.column === column);
    const at = model.file;
    return [
      ...(declared('not_null')
        ? []
        : [{ kind: 'not_null' as const, column, name: `not_null(${column})`, severity: 'error' as const, at }]),
      ...(declared('unique') || model.uniqueKey.length > 1
        ? []
        : [{ kind: 'unique' as const, column, name: `unique(${column})`, severity: 'error' as const, at }]),
    ];
  });
}

/** Runs a model's tests on `relation` (its stage, or its new rows). */
async function runTests(warehouse: Warehouse, model: Model, relation: string): Promise<TestReport[]> {
  const reports: TestReport[] = [];
  for (const test of [...keyTests(model), ...model.tests]) {
    const target = test.to?.model ?? test.to?.table;
    const sql = genericTestSql(test, mysqlIdent(relation), target === undefined ? undefined : mysqlIdent(target));
    const found = await warehouse.failures(sql, SAMPLE_ROWS);
    reports.push({
      name: test.name,
      severity: test.severity,
      failures: found.count,
      ...(found.count > 0 ? { sample: found.sample } : {}),
    });
  }
  for (const test of model.singularTests) {
    const sql = renderTemplate(test.template, test.file, { ref: resolver(model.name, relation) });
    let found;
    try {
      found = await warehouse.failures(sql, SAMPLE_ROWS);
    } catch (error) {
      if (error instanceof ModelSqlError)
        throw new DataCheckError(`test ${test.name} (${test.file}): MySQL says: ${error.message}`, {
          hint: 'Fix the SQL of the test; nothing was replaced.',
        });
      throw error;
    }
    reports.push({
      name: test.label,
      severity: test.severity,
      failures: found.count,
      ...(found.count > 0 ? { sample: found.sample } : {}),
    });
  }
  return reports;
}

/** A value of a sample row as text. */
const showValue = (v: unknown): string =>
  typeof v === 'string' || typeof v === 'number' || typeof v === 'bigint' ? String(v) : JSON.stringify(v);

const describeSample = (sample: readonly Record<string, unknown>[] | undefined): string =>
  (sample ?? [])
    .map((row) =>
      Object.entries(row)
        .map(([k, v]) => `${k}=${v === null ? 'NULL' : showValue(v)}`)
        .join(' '),
    )
    .join('; ');

function testsFailedMessage(model: string, failed: readonly TestReport[]): string {
  const tests = failed
    .map((t) => {
      const sample = describeSample(t.sample);
      return `"${t.name}" (${t.failures}${sample === '' ? '' : `: ${sample}`})`;
    })
    .join(', ');
  const s = failed.length > 1 ? 's' : '';
  return `mart ${model} failed its data test${s} ${tests}; the previous ${model} is left in place`;
}

/**
 * Checks the selected models against MySQL before anything is built: each becomes a view over
 * the ones before it (nothing is read), which finds every SQL error and every column a test or a
 * description names that the model does not have.
 */
async function checkModels(
  warehouse: Warehouse,
  project: MartsProject,
  models: readonly Model[],
): Promise<Map<string, WarehouseColumn[]>> {
  const checked = new Map<string, WarehouseColumn[]>();
  const selected = new Set(models.map((m) => m.name));
  const sqlErrors: DataCheckError[] = [];
  const problems: string[] = [];
  const views: string[] = [];
  const broken = new Set<string>();
  try {
    for (const model of models) {
      const deps = model.dependsOn;
      if (deps.some((d) => broken.has(d))) {
        broken.add(model.name);
        continue;
      }
      for (const d of deps.filter((d) => !selected.has(d))) {
        if ((await warehouse.relation(d)) === null) {
          problems.push(`model ${model.name} reads ${d}, which is not built and not selected (select +${model.name})`);
          broken.add(model.name);
        }
      }
      if (broken.has(model.name)) continue;
      const check = workTableName(model.name, 'check');
      const sql = renderTemplate(model.template, model.file, {
        ref: (name) => (selected.has(name) ? workTableName(name, 'check') : name),
        self: model.name,
        incremental: false,
      });
      try {
        await warehouse.createView(check, sql);
        views.push(check);
      } catch (error) {
        if (!(error instanceof ModelSqlError)) throw error;
        sqlErrors.push(sqlError(model, error));
        broken.add(model.name);
        continue;
      }
      const described = await warehouse.columns(check);
      checked.set(model.name, described);
      const columns = described.map((c) => c.name);
      const has = (c: string) => columns.some((x) => x.toLowerCase() === c.toLowerCase());
      const missing = (what: string, column: string, at: string) => {
        const guess = closest(column, columns);
        problems.push(
          `${at}: ${what} of model ${model.name} names column ${column}, which it does not have` +
            `${guess === undefined ? '' : ` (did you mean ${guess}?)`}; its columns are ${columns.join(', ')}`,
        );
      };
      for (const c of model.columns) if (!has(c.name)) missing('the description', c.name, c.at);
      if (model.contracted) {
        const listed = new Set(model.columns.map((c) => c.name.toLowerCase()));
        const extra = columns.filter((c) => !listed.has(c.toLowerCase()));
        if (extra.length > 0)
          problems.push(
            `${model.file}: model ${model.name} has columns its contract (contract: {enforced: true}) does not ` +
              `list: ${extra.join(', ')}; list them in its schema.yml, or drop them from its SELECT`,
          );
      }
      for (const t of model.tests) if (!has(t.column)) missing(`test ${t.name}`, t.column, t.at);
      for (const k of model.uniqueKey) if (!has(k)) missing('unique_key', k, model.file);
      for (const k of model.indexes.flat()) if (!has(k)) missing('config indexes', k, model.file);
      if (model.chart !== undefined && !has(model.chart.measure))
        missing('meta.measure', model.chart.measure, model.file);
    }
  } finally {
    for (const v of views.reverse()) await warehouse.drop(v);
  }
  if (sqlErrors.length === 1) throw sqlErrors[0] as DataCheckError;
  if (sqlErrors.length > 1)
    throw new DataCheckError(sqlErrors.map((e) => e.message).join('\n'), {
      hint: 'Fix the SQL of the models at the lines named; nothing was built.',
    });
  if (problems.length > 0)
    throw new UsageError(
      `the marts project ${project.root} has ${problems.length} problem${problems.length === 1 ? '' : 's'}:\n` +
        problems.join('\n'),
      { hint: 'Fix the properties (schema.yml) named above; nothing was built.' },
    );
  return checked;
}

/** MySQL indexes only a prefix of these: no whole-column key on them. */
const UNKEYABLE =
  /^(tinytext|text|mediumtext|longtext|tinyblob|blob|mediumblob|longblob|json|geometry.*|point|linestring|polygon)$/;

/**
 * The indexes a model's table gets as it is built: its unique_key (incremental models merge by
 * it), each column tested unique (the tests and readers join on it), and the `indexes` of its
 * config; none on a column MySQL cannot index whole.
 */
export function indexesFor(model: Model, columns: readonly WarehouseColumn[]): string[][] {
  const types = new Map(columns.map((c) => [c.name.toLowerCase(), c.dataType]));
  const wanted = [
    model.uniqueKey,
    ...model.tests.filter((t) => t.kind === 'unique').map((t) => [t.column]),
    ...model.indexes,
  ];
  const seen = new Set<string>();
  const out: string[][] = [];
  for (const cols of wanted) {
    if (cols.length === 0) continue;
    const id = cols.map((c) => c.toLowerCase()).join(',');
    if (seen.has(id) || cols.some((c) => UNKEYABLE.test(types.get(c.toLowerCase()) ?? 'text'))) continue;
    seen.add(id);
    out.push([...cols]);
  }
  return out.slice(0, 16);
}

/** Every replica the models read through source() must exist and hold rows. */
async function checkSourcesReady(warehouse: Warehouse, models: readonly Model[]): Promise<void> {
  const empty: string[] = [];
  for (const table of new Set(models.flatMap((m) => m.sources.map((s) => s.replica)))) {
    const held = await warehouse.holdsRows(table);
    if (held !== true) empty.push(`${table} (${held === null ? 'missing' : 'empty'})`);
  }
  if (empty.length > 0) {
    throw new DataCheckError(`the MySQL replicas the marts read are not ready: ${empty.join(', ')}`, {
      hint: 'Run `etl replicate` first (and `etl seed` before it if PostgreSQL is empty).',
    });
  }
}

const ago = (seconds: number): string =>
  seconds < 120
    ? `${Math.round(seconds)} s`
    : seconds < 7200
      ? `${Math.round(seconds / 60)} min`
      : `${(seconds / 3600).toFixed(1)} h`;

/** Per model, what its sources' freshness says: warnings, or the reason it must not be built. */
async function freshness(
  warehouse: Warehouse,
  project: MartsProject,
  models: readonly Model[],
  clock: () => number,
): Promise<Map<string, { warnings: string[]; error?: string }>> {
  const specs = new Map(project.sources.filter((s) => s.freshness !== undefined).map((s) => [s.replica, s]));
  const used = [...new Set(models.flatMap((m) => m.sources.map((s) => s.replica)))].filter((r) => specs.has(r));
  const loaded = used.length === 0 ? new Map<string, Date>() : await warehouse.lastLoaded(used);
  const verdicts = new Map<string, { warnings: string[]; error?: string }>();
  for (const model of models) {
    const warnings: string[] = [];
    const errors: string[] = [];
    for (const replica of new Set(model.sources.map((s) => s.replica))) {
      const spec = specs.get(replica);
      if (spec?.freshness === undefined) continue;
      const at = loaded.get(replica);
      const age = at === undefined ? Infinity : (clock() - at.getTime()) / 1000;
      const what =
        at === undefined
          ? `source ${spec.schema}.${spec.table} has no record of being copied or applied by etl`
          : `source ${spec.schema}.${spec.table} was last loaded ${ago(age)} ago`;
      const { warnAfterSeconds: warn, errorAfterSeconds: error } = spec.freshness;
      if (error !== undefined && age > error) errors.push(`${what} (error_after ${ago(error)})`);
      else if (warn !== undefined && age > warn) warnings.push(`${what} (warn_after ${ago(warn)})`);
    }
    verdicts.set(model.name, { warnings, ...(errors.length > 0 ? { error: errors.join('; ') } : {}) });
  }
  return verdicts;
}

export async function runMarts(
  warehouse: Warehouse,
  project: MartsProject,
  models: readonly Model[],
  run: MartsRun,
): Promise<MartsReport> {
  const started = run.now();
  await warehouse.prepare();
  const release = await warehouse.lock();
  if (release === undefined)
    throw new BusyError('another etl marts is building models in this MySQL database', {
      hint: 'Wait for it to finish, then run etl marts again (etl pipeline runs one at a time on its own).',
    });
  try {
    return await buildModels(warehouse, project, models, run, started);
  } finally {
    await release();
  }
}

async function buildModels(
  warehouse: Warehouse,
  project: MartsProject,
  models: readonly Model[],
  run: MartsRun,
  started: number,
): Promise<MartsReport> {
  const progress = run.onProgress ?? (() => {});
  const clock = run.clock ?? Date.now;
  const replicas = new Set((await warehouse.replicaTables()).map((t) => t.toLowerCase()));
  const taken = models.filter((m) => replicas.has(m.name.toLowerCase()));
  if (taken.length > 0)
    throw new UsageError(
      `model${taken.length > 1 ? 's' : ''} ${taken.map((m) => `${m.name} (${m.file})`).join(', ')} would replace ` +
        `the replica of the same name`,
      { hint: 'Rename the model’s file: a model never overwrites a table etl replicates.' },
    );
  await checkSourcesReady(warehouse, models);
  const checked = await checkModels(warehouse, project, models);
  const verdicts = await freshness(warehouse, project, models, clock);

  const reports = new Map<string, MartReport>();
  const failedOrSkipped = new Set<string>();
  const build = async (model: Model): Promise<MartReport> => {
    const t0 = run.now();
    const verdict = verdicts.get(model.name) ?? { warnings: [] };
    const blocked = model.dependsOn.filter((d) => failedOrSkipped.has(d));
    const base = { mart: model.name, materialized: model.materialized, warnings: verdict.warnings, tests: [] };
    const stopped = (status: 'failed' | 'skipped', error: string, mode: MartReport['mode'] = 'full'): MartReport => ({
      ...base,
      status,
      mode,
      rows: 0,
      seconds: (run.now() - t0) / 1000,
      buildSeconds: 0,
      testSeconds: 0,
      testsPassed: 0,
      error,
    });
    if (blocked.length > 0) return stopped('skipped', `skipped: it reads ${blocked.join(', ')}, which failed`);
    if (verdict.error !== undefined) return stopped('failed', `not built: ${verdict.error}`);
    progress({ type: 'start', mart: model.name });
    const live = await warehouse.relation(model.name);
    const incremental = model.materialized === 'incremental' && live === 'table' && run.fullRefresh !== true;
    const mode: MartReport['mode'] = model.materialized === 'view' ? 'view' : incremental ? 'incremental' : 'full';
    const work = workTableName(model.name, incremental ? 'delta' : 'stage');
    const sql = renderTemplate(model.template, model.file, {
      ref: (name) => name,
      self: model.name,
      incremental,
    });
    let rows = 0;
    try {
      if (model.materialized === 'view') await warehouse.createView(work, sql);
      else {
        const indexes = indexesFor(model, checked.get(model.name) ?? []);
        // An incremental model's key is UNIQUE in its table, so that merges update rows in place.
        const unique = model.materialized === 'incremental' && !incremental ? model.uniqueKey : undefined;
        try {
          rows = await warehouse.createTable(work, sql, indexes, unique);
        } catch (error) {
          // Two rows with one key: built again without the UNIQUE key, its tests name them.
          if (!(error instanceof DuplicateKeyError)) throw error;
          rows = await warehouse.createTable(work, sql, indexes);
        }
      }
    } catch (error) {
      if (error instanceof ModelSqlError) throw sqlError(model, error);
      throw error;
    }
    const built = run.now();
    progress({ type: 'testing', mart: model.name, rows });
    let tests: TestReport[];
    try {
      if (incremental) {
        const [now, before] = [await warehouse.columns(work), await warehouse.columns(model.name)];
        const names = (cs: WarehouseColumn[]) => cs.map((c) => c.name.toLowerCase()).join(', ');
        if (names(now) !== names(before))
          throw new DataCheckError(
            `model ${model.name}'s columns changed (${names(before)} → ${names(now)}); its new rows cannot be merged`,
            { hint: `Rebuild it whole: etl marts --select ${model.name} --full-refresh` },
          );
      }
      tests = await runTests(warehouse, model, work);
    } catch (error) {
      await warehouse.drop(work);
      throw error;
    }
    const tested = run.now();
    const failed = tests.filter((t) => t.failures > 0 && t.severity === 'error');
    const warned = tests.filter((t) => t.failures > 0 && t.severity === 'warn');
    const warnings = [
      ...verdict.warnings,
      ...warned.map(
        (t) =>
          `warning: test "${t.name}" found ${t.failures} row${t.failures === 1 ? '' : 's'}` +
          `${t.sample === undefined ? '' : `: ${describeSample(t.sample)}`}`,
      ),
    ];
    const testsPassed = tests.filter((t) => t.failures === 0).length;
    if (failed.length > 0) {
      await warehouse.drop(work);
      return { ...stopped('failed', testsFailedMessage(model.name, failed), mode), tests, testsPassed, warnings };
    }
    let mergedRows: number | undefined;
    let mergeSeconds: number | undefined;
    if (incremental) {
      const mergeStarted = run.now();
      const merged = await warehouse.merge(work, model.name, model.uniqueKey);
      mergeSeconds = (run.now() - mergeStarted) / 1000;
      await warehouse.drop(work);
      mergedRows = merged.inserted;
      // Counted once, then kept from the merges (COUNT(*) of a large model would cost more than the merge).
      const before = (await warehouse.builds()).find((b) => b.model === model.name)?.rows;
      rows = before ?? (await warehouse.rows(model.name)) ?? 0;
      if (before !== undefined && before !== null) rows = before - merged.deleted + merged.inserted;
    } else {
      await warehouse.swap(work, model.name);
    }
    const done = run.now();
    return {
      ...base,
      status: 'built',
      mode,
      rows,
      ...(mergedRows === undefined ? {} : { mergedRows }),
      ...(mergeSeconds === undefined ? {} : { mergeSeconds }),
      seconds: (done - t0) / 1000,
      buildSeconds: (built - t0 + (done - tested)) / 1000,
      testSeconds: (tested - built) / 1000,
      testsPassed,
      tests,
      warnings,
    };
  };

  const record = async (report: MartReport): Promise<void> => {
    const previous = (await warehouse.builds()).find((b) => b.model === report.mart);
    const at = new Date(clock()).toISOString();
    const entry: ModelBuildRecord = {
      model: report.mart,
      materialized: report.materialized,
      status: report.status,
      attemptedAt: at,
      builtAt: report.status === 'built' ? at : (previous?.builtAt ?? null),
      rows: report.status === 'built' ? report.rows : (previous?.rows ?? null),
      seconds: report.seconds,
      testsPassed: report.testsPassed,
      testsFailed: report.tests.filter((t) => t.failures > 0 && t.severity === 'error').length,
      testsWarned: report.tests.filter((t) => t.failures > 0 && t.severity === 'warn').length,
      message: report.error ?? report.warnings.join('; '),
    };
    await warehouse.recordBuild(entry);
  };

  await scheduleModels(models, run.concurrency ?? 1, async (model) => {
    let report: MartReport;
    try {
      report = await build(model);
    } catch (error) {
      // MySQL refused the model's SQL, or its columns changed: it fails, the others go on.
      if (!(error instanceof DataCheckError)) throw error;
      report = {
        mart: model.name,
        materialized: model.materialized,
        status: 'failed',
        mode: 'full',
        rows: 0,
        seconds: 0,
        buildSeconds: 0,
        testSeconds: 0,
        testsPassed: 0,
        tests: [],
        warnings: [],
        error: error.message,
      };
    }
    if (report.status !== 'built') failedOrSkipped.add(model.name);
    reports.set(model.name, report);
    await record(report);
    progress({ type: 'done', report });
  });
  const ordered = models.map((m) => reports.get(m.name)).filter((r): r is MartReport => r !== undefined);
  const report: MartsReport = {
    target: warehouse.endpoint,
    project: project.root,
    seconds: (run.now() - started) / 1000,
    marts: ordered,
  };
  const failed = ordered.filter((r) => r.status === 'failed');
  if (failed.length > 0) {
    const skipped = ordered.filter((r) => r.status === 'skipped').map((r) => r.mart);
    throw new MartsFailedError(
      failed.map((r) => r.error ?? r.mart).join('\n') +
        (skipped.length > 0 ? `\nskipped downstream: ${skipped.join(', ')}` : ''),
      report,
    );
  }
  return report;
}

/** Some models failed (exit 4); the report says what was built beside them. */
export class MartsFailedError extends DataCheckError {
  constructor(
    message: string,
    readonly report: MartsReport,
  ) {
    super(message, { hint: 'Check the replicas with `etl verify` or fix the models, then rebuild with `etl marts`.' });
  }
}

/**
 * Runs each model once all it depends on (among `models`) have finished, at most `limit` at
 * once, in the order given when several are ready. A thrown error stops new work and is rethrown
 * once the running ones settle.
 */
export async function scheduleModels(
  models: readonly Model[],
  limit: number,
  work: (model: Model) => Promise<void>,
): Promise<void> {
  const names = new Set(models.map((m) => m.name));
  const done = new Set<string>();
  const started = new Set<string>();
  let failure: { error: unknown } | undefined;
  await new Promise<void>((resolve) => {
    let running = 0;
    const pump = () => {
      if (failure !== undefined || done.size === models.length) {
        if (running === 0) resolve();
        return;
      }
      for (const model of models) {
        if (running >= Math.max(1, limit)) break;
        if (started.has(model.name)) continue;
        if (!model.dependsOn.every((d) => done.has(d) || !names.has(d))) continue;
        started.add(model.name);
        running++;
        work(model)
          .catch((error: unknown) => {
            failure ??= { error };
          })
          .finally(() => {
            running--;
            done.add(model.name);
            pump();
          });
      }
      if (running === 0) resolve();
    };
    pump();
  });
  if (failure !== undefined) throw failure.error;
}
