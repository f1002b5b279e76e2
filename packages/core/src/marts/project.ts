/**
 * A marts project, as dbt users write one: a folder of models (`name.sql`, one SELECT each,
 * reading each other with `ref()` and the replicas by name or with `source()`), properties in
 * YAML (`schema.yml`: descriptions, materializations, generic tests, sources' freshness) and
 * singular tests (`tests/*.sql`, returning the failing rows).
 *
 * Parsing is pure: the CLI reads the files, this checks the project as a whole and reports every
 * problem at once, each with its file and line (exit 2) — before anything runs.
 */
import type { Node, Pair, YAMLMap } from 'yaml';
import { isMap, isScalar, isSeq, lineCounter, parseDocument } from '../yaml.js';
import { UsageError } from '../errors.js';
import { closest } from '../suggest.js';
import { isReservedMysqlName, mysqlNameProblem } from '../catalog/replica-names.js';
import { recordTemplate, sourceRef, TemplateError, type SourceRef } from './render.js';

/** One file of a project: its path inside the project (with `/`), and its text. */
export interface ProjectFile {
  readonly path: string;
  readonly text: string;
}

export const MATERIALIZATIONS = ['table', 'view', 'incremental'] as const;
export type Materialization = (typeof MATERIALIZATIONS)[number];
export type Severity = 'error' | 'warn';
export const GENERIC_TESTS = ['unique', 'not_null', 'accepted_values', 'relationships'] as const;
export type GenericTestKind = (typeof GENERIC_TESTS)[number];

export interface ModelColumn {
  readonly name: string;
  readonly description: string;
  /** Where the column is declared, for messages. */
  readonly at: string;
}

export interface GenericTest {
  readonly kind: GenericTestKind;
  readonly column: string;
  /** How messages and reports name it: `unique(user_id)`. */
  readonly name: string;
  readonly severity: Severity;
  readonly values?: readonly (string | number)[];
  /** relationships: the model (ref) or table the column points into, and its column. */
  readonly to?: { readonly model?: string; readonly table?: string };
  readonly field?: string;
  readonly at: string;
}

export interface SingularTest {
  /** The file's name without `.sql`. */
  readonly name: string;
  /** How messages name it: its description in YAML, else its name. */
  readonly label: string;
  readonly file: string;
  readonly template: string;
  readonly refs: readonly string[];
  readonly severity: Severity;
}

export interface Freshness {
  readonly warnAfterSeconds?: number;
  readonly errorAfterSeconds?: number;
}

export interface SourceTableSpec extends SourceRef {
  readonly freshness?: Freshness;
}

export interface Model {
  readonly name: string;
  readonly file: string;
  readonly template: string;
  readonly materialized: Materialization;
  readonly uniqueKey: readonly string[];
  /** Indexes its table gets besides its key (config `indexes`, dbt-postgres' form or lists of columns). */
  readonly indexes: readonly (readonly string[])[];
  readonly description: string;
  /**
   * dbt's model contract (`config: {contract: {enforced: true}}`): the columns its YAML lists are
   * all its columns, checked before it is built.
   */
  readonly contracted: boolean;
  readonly columns: readonly ModelColumn[];
  readonly tests: readonly GenericTest[];
  /** The singular tests run on this model's stage (the deepest model each refs). */
  readonly singularTests: readonly SingularTest[];
  /** Models it refs. */
  readonly refs: readonly string[];
  /** Replicas it reads through source(). */
  readonly sources: readonly SourceRef[];
  /**
   * Models that must be built first: its refs, the targets of its relationships tests, the other
   * models its singular tests read.
   */
  readonly dependsOn: readonly string[];
  /**
   * The measure `etl marts show` sorts by and charts, each bar's label, and the chart the page
   * draws of it, if any (YAML `meta: {measure, label, page: bars|line, page_limit}`).
   */
  readonly chart?: ModelChart;
}

export interface ModelChart {
  readonly measure: string;
  readonly label?: string;
  readonly page?: 'bars' | 'line';
  readonly pageLimit?: number;
}

export interface MartsProject {
  /** Where it came from, for messages: a folder, or "the built-in demo project". */
  readonly root: string;
  /** Models in dependency order (each after every model it depends on). */
  readonly models: readonly Model[];
  readonly sources: readonly SourceTableSpec[];
}

interface Problem {
  readonly file: string;
  readonly line: number;
  readonly text: string;
}

const IGNORED_FOLDERS = /(^|\/)(\.[^/]*|node_modules|target|dbt_packages|macros|analyses|seeds|snapshots)\//;

const suggest = (name: string, names: readonly string[]): string => {
  const guess = closest(name, names);
  return guess === undefined ? '' : ` (did you mean ${guess}?)`;
};

const baseName = (path: string): string => (path.split('/').pop() ?? path).replace(/\.sql$/i, '');
const isTestFile = (path: string): boolean => /(^|\/)tests\//.test(path);

/** "90s", "30m", "6h", "2d", or dbt's `{count: 6, period: hour}`: seconds. */
function duration(value: unknown): number | undefined {
  const units: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };
  const periods: Record<string, number> = { minute: 60, hour: 3600, day: 86400 };
  if (typeof value === 'string') {
    const m = /^\s*(\d+(?:\.\d+)?)\s*([smhd])\s*$/.exec(value);
    return m === null ? undefined : Number(m[1]) * (units[m[2] as string] ?? 0);
  }
  if (typeof value === 'object' && value !== null) {
    const { count, period } = value as { count?: unknown; period?: unknown };
    if (typeof count === 'number' && count > 0 && typeof period === 'string' && period in periods)
      return count * (periods[period] ?? 0);
  }
  return undefined;
}

/** Parses and checks a project: every problem at once, with file and line, as one UsageError. */
export function parseProject(root: string, files: readonly ProjectFile[]): MartsProject {
  const problems: Problem[] = [];
  const used = files.filter((f) => !IGNORED_FOLDERS.test(`/${f.path}`));
  const sqlFiles = used.filter((f) => /\.sql$/i.test(f.path));
  const yamlFiles = used.filter((f) => /\.ya?ml$/i.test(f.path) && !/(^|\/)dbt_project\.ya?ml$/.test(f.path));

  // Models and singular tests from the SQL files, rendered once to learn refs and config.
  interface Draft {
    name: string;
    file: string;
    template: string;
    refs: readonly string[];
    sources: readonly SourceRef[];
    config: Record<string, unknown>;
  }
  const drafts: Draft[] = [];
  const testDrafts: Draft[] = [];
  for (const f of sqlFiles) {
    const name = baseName(f.path);
    let recorded;
    try {
      recorded = recordTemplate(f.text, f.path);
    } catch (error) {
      problems.push({ file: f.path, line: 0, text: error instanceof TemplateError ? error.message : String(error) });
      continue;
    }
    const draft = { name, file: f.path, template: f.text, ...recorded, config: { ...recorded.config } };
    if (isTestFile(f.path)) testDrafts.push(draft);
    else {
      const why = mysqlNameProblem(name) ?? (isReservedMysqlName(name) ? 'is a name etl keeps for itself' : undefined);
      if (why !== undefined) problems.push({ file: f.path, line: 1, text: `the model name "${name}" ${why}` });
      drafts.push(draft);
    }
  }
  const byName = new Map<string, Draft>();
  for (const d of drafts) {
    const other = byName.get(d.name.toLowerCase());
    if (other !== undefined)
      problems.push({ file: d.file, line: 1, text: `two models are named ${d.name}: ${other.file} and ${d.file}` });
    else byName.set(d.name.toLowerCase(), d);
  }
  const modelNames = drafts.map((d) => d.name);
  const isModel = (name: string) => byName.has(name.toLowerCase());

  // Properties from the YAML files.
  const props = new Map<string, { file: string; line: number; node: YAMLMap }>();
  const testProps = new Map<string, { description?: string; severity?: Severity }>();
  const sources = new Map<string, SourceTableSpec>();
  for (const f of yamlFiles) {
    const lines = lineCounter();
    const doc = parseDocument(f.text, lines);
    const lineOf = (node: Node | Pair | null | undefined): number => {
      const range = node !== null && node !== undefined && 'range' in node ? node.range : undefined;
      const key = node !== null && node !== undefined && 'key' in node ? (node.key as Node | null) : undefined;
      return lines.linePos(range?.[0] ?? key?.range?.[0] ?? 0).line;
    };
    const problem = (node: Node | Pair | null | undefined, text: string) =>
      problems.push({ file: f.path, line: lineOf(node), text });
    for (const e of doc.errors)
      problems.push({ file: f.path, line: e.linePos?.[0].line ?? 1, text: e.message.split('\n')[0] ?? '' });
    if (doc.errors.length > 0 || doc.contents === null) continue;
    const top = doc.contents;
    if (!isMap(top)) {
      problem(top, 'a properties file must be a mapping (version, models, sources, data_tests)');
      continue;
    }
    for (const pair of top.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : '';
      const value = pair.value as Node | null;
      if (key === 'version') continue;
      if (!['models', 'sources', 'data_tests', 'tests'].includes(key)) {
        problem(pair, `unknown key "${key}"${suggest(key, ['models', 'sources', 'data_tests'])}`);
        continue;
      }
      if (!isSeq(value)) {
        problem(pair, `${key} must be a list`);
        continue;
      }
      for (const item of value.items as Node[]) {
        if (!isMap(item) || typeof item.get('name') !== 'string') {
          problem(item, `every entry of ${key} needs a name`);
          continue;
        }
        const name = item.get('name') as string;
        if (key === 'models') {
          if (props.has(name)) problem(item, `model ${name} is described twice`);
          else if (!isModel(name))
            problem(item, `${key}: there is no model ${name}${suggest(name, modelNames)} (no ${name}.sql)`);
          else props.set(name, { file: f.path, line: lineOf(item), node: item });
        } else if (key === 'sources') {
          const schemaFreshness = freshnessOf(item.get('freshness', true), problem);
          const tables = item.get('tables', true) as Node | undefined;
          if (!isSeq(tables)) {
            problem(item, `source ${name} needs a list of tables`);
            continue;
          }
          for (const t of tables.items as Node[]) {
            if (!isMap(t) || typeof t.get('name') !== 'string') {
              problem(t, `every table of source ${name} needs a name`);
              continue;
            }
            const ref = sourceRef(name, t.get('name') as string);
            const freshness = freshnessOf(t.get('freshness', true), problem) ?? schemaFreshness;
            sources.set(ref.replica, { ...ref, ...(freshness === undefined ? {} : { freshness }) });
          }
        } else {
          const description = item.get('description');
          const severity = severityOf(item, problem);
          testProps.set(name, {
            ...(typeof description === 'string' ? { description } : {}),
            ...(severity === undefined ? {} : { severity }),
          });
          if (!testDrafts.some((t) => t.name === name))
            problem(item, `${key}: there is no singular test ${name} (no tests/${name}.sql)`);
        }
      }
    }
  }

  // Models: settings from YAML, then from the file's config() (which wins, as in dbt).
  const models: Model[] = [];
  for (const d of drafts) {
    const p = props.get(d.name);
    const at = (line: number) => ({ file: p?.file ?? d.file, line });
    const yamlConfig = p === undefined ? {} : plain(p.node.get('config'));
    const config = { ...yamlConfig, ...d.config };
    const materialized = config['materialized'] ?? 'table';
    if (!MATERIALIZATIONS.includes(materialized as Materialization)) {
      problems.push({
        file: d.file,
        line: 1,
        text:
          `model ${d.name}: unknown materialization "${text(materialized)}"` +
          `${suggest(text(materialized), MATERIALIZATIONS)}; materializations are ${MATERIALIZATIONS.join(', ')}`,
      });
    }
    const rawKey = config['unique_key'];
    const uniqueKey =
      typeof rawKey === 'string'
        ? rawKey.split(',').map((k) => k.trim())
        : Array.isArray(rawKey)
          ? rawKey.map(String)
          : [];
    const indexes: string[][] = [];
    const rawIndexes = config['indexes'];
    if (rawIndexes !== undefined) {
      const entries = Array.isArray(rawIndexes) ? (rawIndexes as unknown[]) : [undefined];
      for (const entry of entries) {
        const columns = Array.isArray(entry)
          ? entry
          : typeof entry === 'object' && entry !== null
            ? (entry as { columns?: unknown }).columns
            : typeof entry === 'string'
              ? [entry]
              : undefined;
        if (!Array.isArray(columns) || columns.length === 0 || columns.some((c) => typeof c !== 'string'))
          problems.push({
            file: d.file,
            line: 1,
            text: `model ${d.name}: indexes must be a list of {columns: [a, b]} (or of column lists)`,
          });
        else indexes.push(columns as string[]);
      }
    }
    if (materialized === 'incremental' && uniqueKey.length === 0)
      problems.push({
        file: d.file,
        line: 1,
        text: `model ${d.name} is incremental and needs unique_key (config(unique_key='…')) to merge its new rows by`,
      });
    for (const r of d.refs)
      if (!isModel(r))
        problems.push({
          file: d.file,
          line: lineOfText(d.template, r),
          text: `model ${d.name} refs "${r}", which is not a model${suggest(r, modelNames)}`,
        });
    const columns: ModelColumn[] = [];
    const tests: GenericTest[] = [];
    const columnsNode = p?.node.get('columns', true) as Node | undefined;
    if (columnsNode !== undefined && !isSeq(columnsNode))
      problems.push({ ...at(p?.line ?? 1), text: `model ${d.name}: columns must be a list` });
    for (const c of isSeq(columnsNode) ? (columnsNode.items as Node[]) : []) {
      if (!isMap(c) || typeof c.get('name') !== 'string') {
        problems.push({ ...at(p?.line ?? 1), text: `model ${d.name}: every column needs a name` });
        continue;
      }
      const column = c.get('name') as string;
      const line = lineOfNode(p?.file, files, c);
      const description = c.get('description');
      columns.push({
        name: column,
        description: typeof description === 'string' ? description : '',
        at: `${p?.file ?? d.file}:${line}`,
      });
      const testsNode = (c.get('data_tests', true) ?? c.get('tests', true)) as Node | undefined;
      for (const t of isSeq(testsNode) ? (testsNode.items as Node[]) : []) {
        const test = genericTest(d.name, column, t, `${p?.file ?? d.file}:${lineOfNode(p?.file, files, t)}`, problems);
        if (test === undefined) continue;
        if (test.to?.model !== undefined && !isModel(test.to.model))
          problems.push({
            ...at(lineOfNode(p?.file, files, t)),
            text:
              `model ${d.name}: relationships of ${column} point to ref('${test.to.model}'), which is not a ` +
              `model${suggest(test.to.model, modelNames)}`,
          });
        tests.push(test);
      }
    }
    const meta = { ...plain(yamlConfig['meta']), ...plain(p?.node.get('meta')) };
    const description = p?.node.get('description');
    const measure = meta['measure'];
    const label = meta['label'];
    const page = meta['page'];
    const pageLimit = meta['page_limit'];
    if (page !== undefined && page !== 'bars' && page !== 'line')
      problems.push({
        ...at(p?.line ?? 1),
        text: `model ${d.name}: meta.page must be bars or line, not "${text(page)}"`,
      });
    models.push({
      name: d.name,
      file: d.file,
      template: d.template,
      materialized: materialized as Materialization,
      uniqueKey,
      indexes,
      contracted: (plain(config['contract']) as { enforced?: unknown }).enforced === true,
      description: typeof description === 'string' ? description : '',
      columns,
      tests,
      singularTests: [],
      refs: d.refs,
      sources: d.sources,
      dependsOn: [],
      ...(typeof measure === 'string'
        ? {
            chart: {
              measure,
              ...(typeof label === 'string' ? { label } : {}),
              ...(page === 'bars' || page === 'line' ? { page } : {}),
              ...(typeof pageLimit === 'number' && pageLimit > 0 ? { pageLimit: Math.floor(pageLimit) } : {}),
            },
          }
        : {}),
    });
  }

  // Singular tests: each belongs to the deepest model it refs.
  const singular = new Map<string, SingularTest[]>();
  const extraDeps = new Map<string, Set<string>>();
  const depth = depths(models);
  for (const t of testDrafts) {
    const refs = t.refs.filter(isModel).map((r) => byName.get(r.toLowerCase())?.name ?? r);
    for (const r of t.refs)
      if (!isModel(r))
        problems.push({
          file: t.file,
          line: lineOfText(t.template, r),
          text: `test ${t.name} refs "${r}", which is not a model${suggest(r, modelNames)}`,
        });
    if (t.refs.length === 0) {
      problems.push({ file: t.file, line: 1, text: `test ${t.name} must ref() the model it tests` });
      continue;
    }
    if (refs.length === 0) continue;
    const owner = [...refs].sort(
      (a, b) => (depth.get(b) ?? 0) - (depth.get(a) ?? 0) || a.localeCompare(b),
    )[0] as string;
    const p = testProps.get(t.name);
    const severity = p?.severity ?? (t.config['severity'] === 'warn' ? 'warn' : 'error');
    singular.set(owner, [
      ...(singular.get(owner) ?? []),
      { name: t.name, label: p?.description ?? t.name, file: t.file, template: t.template, refs, severity },
    ]);
    const deps = extraDeps.get(owner) ?? new Set<string>();
    for (const r of refs) if (r !== owner) deps.add(r);
    extraDeps.set(owner, deps);
  }
  const resolved = models.map((m) => {
    const canonical = (r: string) => byName.get(r.toLowerCase())?.name ?? r;
    const deps = new Set([
      ...m.refs.filter(isModel).map(canonical),
      ...m.tests.flatMap((t) => (t.to?.model !== undefined && isModel(t.to.model) ? [canonical(t.to.model)] : [])),
      ...(extraDeps.get(m.name) ?? []),
    ]);
    deps.delete(m.name);
    return { ...m, dependsOn: [...deps], singularTests: singular.get(m.name) ?? [] };
  });

  const cycle = findCycle(resolved);
  if (cycle !== undefined) {
    const first = resolved.find((m) => m.name === cycle[0]);
    problems.push({ file: first?.file ?? '', line: 1, text: `models ref each other in a cycle: ${cycle.join(' → ')}` });
  }
  if (problems.length > 0) {
    const lines = problems
      .sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line)
      .map((p) => `${p.file}${p.line > 0 ? `:${p.line}` : ''}: ${p.text}`);
    throw new UsageError(
      `the marts project ${root} has ${problems.length} problem${problems.length === 1 ? '' : 's'}:\n` +
        lines.join('\n'),
      { hint: 'Fix the files named above; nothing was built.' },
    );
  }
  // Ties in dependency order go as the properties files list the models, then by name.
  const listed = [...props.keys()];
  const rank = (name: string) => (listed.includes(name) ? listed.indexOf(name) : listed.length);
  return { root, models: topological(resolved, rank), sources: [...sources.values()] };

  function freshnessOf(node: Node | undefined, problem: (n: Node, text: string) => void): Freshness | undefined {
    if (node === undefined || node === null) return undefined;
    if (!isMap(node)) {
      problem(node, 'freshness must be a mapping with warn_after and/or error_after');
      return undefined;
    }
    const out: { warnAfterSeconds?: number; errorAfterSeconds?: number } = {};
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : '';
      if (key !== 'warn_after' && key !== 'error_after') {
        problem(node, `unknown freshness setting "${key}"; settings are warn_after, error_after`);
        continue;
      }
      const seconds = duration(plainValue(pair.value as Node));
      if (seconds === undefined)
        problem(node, `${key} must be a duration like 30m, 6h or 2d (or {count: 6, period: hour})`);
      else if (key === 'warn_after') out.warnAfterSeconds = seconds;
      else out.errorAfterSeconds = seconds;
    }
    return out;
  }
}

/** A YAML value in a message. */
const text = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v));

function plainValue(node: Node | null | undefined): unknown {
  if (node === null || node === undefined) return undefined;
  return typeof node === 'object' && 'toJSON' in node ? (node as { toJSON(): unknown }).toJSON() : node;
}

function plain(node: unknown): Record<string, unknown> {
  const value = isMap(node) ? (node.toJSON() as unknown) : node;
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function severityOf(node: YAMLMap, problem: (n: Node, text: string) => void): Severity | undefined {
  const config = plain(node.get('config'));
  const value = config['severity'] ?? node.get('severity');
  if (value === undefined) return undefined;
  if (value === 'warn' || value === 'error') return value;
  problem(node, `severity must be warn or error, not "${text(value)}"`);
  return undefined;
}

/** The 1-based line of a YAML node in its file. */
function lineOfNode(file: string | undefined, files: readonly ProjectFile[], node: Node): number {
  const text = files.find((f) => f.path === file)?.text ?? '';
  const offset = node.range?.[0] ?? 0;
  return text.slice(0, offset).split('\n').length;
}

/** The first line of a template that mentions `word` (for a ref's problem). */
function lineOfText(template: string, word: string): number {
  const index = template.split('\n').findIndex((l) => l.includes(`'${word}'`) || l.includes(`"${word}"`));
  return index < 0 ? 1 : index + 1;
}

function genericTest(
  model: string,
  column: string,
  node: Node,
  at: string,
  problems: Problem[],
): GenericTest | undefined {
  const [file, line] = [at.slice(0, at.lastIndexOf(':')), Number(at.slice(at.lastIndexOf(':') + 1))];
  const problem = (text: string) => problems.push({ file, line, text: `model ${model}, column ${column}: ${text}` });
  let kind: string;
  let args: Record<string, unknown> = {};
  if (isScalar(node) && typeof node.value === 'string') kind = node.value;
  else if (isMap(node) && node.items.length === 1 && isScalar(node.items[0]?.key)) {
    kind = String(node.items[0].key.value);
    args = plain(node.items[0].value);
  } else {
    problem('a test is a name (unique) or a mapping of one name to its arguments');
    return undefined;
  }
  if (!GENERIC_TESTS.includes(kind as GenericTestKind)) {
    problem(`unknown test "${kind}"${suggest(kind, GENERIC_TESTS)}; tests are ${GENERIC_TESTS.join(', ')}`);
    return undefined;
  }
  const config = plain(args['config']);
  const severityValue = config['severity'] ?? args['severity'] ?? 'error';
  if (severityValue !== 'warn' && severityValue !== 'error') {
    problem(`severity must be warn or error, not "${text(severityValue)}"`);
    return undefined;
  }
  const severity: Severity = severityValue;
  if (kind === 'accepted_values') {
    const values = args['values'];
    if (!Array.isArray(values) || values.length === 0 || values.some((v) => typeof v === 'object' && v !== null)) {
      problem('accepted_values needs values: a list of the values allowed');
      return undefined;
    }
    return {
      kind,
      column,
      name: `accepted_values(${column})`,
      severity,
      values: values as (string | number)[],
      at,
    };
  }
  if (kind === 'relationships') {
    const to = args['to'];
    const field = args['field'];
    if (typeof to !== 'string' || typeof field !== 'string') {
      problem(`relationships needs to (ref('model') or a table) and field (its column)`);
      return undefined;
    }
    const ref = /^\s*ref\(\s*['"](.+?)['"]\s*\)\s*$/.exec(to)?.[1];
    const source = /^\s*source\(\s*['"](.+?)['"]\s*(?:,\s*['"](.+?)['"]\s*)?\)\s*$/.exec(to);
    const target =
      ref !== undefined
        ? { model: ref }
        : { table: source === null ? to : sourceRef(source[1] as string, source[2]).replica };
    return {
      kind,
      column,
      name: `relationships(${column} → ${ref ?? target.table}.${field})`,
      severity,
      to: target,
      field,
      at,
    };
  }
  return { kind: kind as GenericTestKind, column, name: `${kind}(${column})`, severity, at };
}

/** How deep each model sits: 0 for a model that refs none. */
function depths(models: readonly { name: string; refs: readonly string[] }[]): Map<string, number> {
  const byName = new Map(models.map((m) => [m.name, m]));
  const memo = new Map<string, number>();
  const visit = (name: string, seen: Set<string>): number => {
    const known = memo.get(name);
    if (known !== undefined) return known;
    if (seen.has(name)) return 0;
    seen.add(name);
    const refs = byName.get(name)?.refs.filter((r) => byName.has(r)) ?? [];
    const d = refs.length === 0 ? 0 : 1 + Math.max(...refs.map((r) => visit(r, seen)));
    memo.set(name, d);
    return d;
  };
  for (const m of models) visit(m.name, new Set());
  return memo;
}

/** A cycle among the models' dependencies, as the names along it (first repeated at the end). */
export function findCycle(models: readonly { name: string; dependsOn: readonly string[] }[]): string[] | undefined {
  const byName = new Map(models.map((m) => [m.name, m]));
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (name: string): string[] | undefined => {
    if (state.get(name) === 'done') return undefined;
    if (state.get(name) === 'open') return [...path.slice(path.indexOf(name)), name];
    state.set(name, 'open');
    path.push(name);
    for (const d of byName.get(name)?.dependsOn ?? []) {
      if (!byName.has(d)) continue;
      const found = visit(d);
      if (found !== undefined) return found;
    }
    path.pop();
    state.set(name, 'done');
    return undefined;
  };
  for (const m of [...models].sort((a, b) => a.name.localeCompare(b.name))) {
    const found = visit(m.name);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** Models ordered so each comes after its dependencies; ties by rank, then name. */
function topological(models: readonly Model[], rank: (name: string) => number): Model[] {
  const out: Model[] = [];
  const placed = new Set<string>();
  let rest = [...models].sort((a, b) => rank(a.name) - rank(b.name) || a.name.localeCompare(b.name));
  while (rest.length > 0) {
    const ready = rest.filter((m) => m.dependsOn.every((d) => placed.has(d)));
    for (const m of ready) {
      out.push(m);
      placed.add(m.name);
    }
    rest = rest.filter((m) => !placed.has(m.name));
  }
  return out;
}
