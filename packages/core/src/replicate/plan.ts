/**
 * Pure planning of a replicate or verify run: which source tables, under which MySQL names,
 * with which specs. Every problem (a name MySQL cannot hold, two names MySQL would take for one,
 * a mask on a column that is not there) is reported at once, before anything runs.
 */
import { UsageError } from '../errors.js';
import { closest } from '../suggest.js';
import type { SourceTable } from '../catalog/source-table.js';
import { REPLICATED_TABLES, type TableName } from '../schema/tables.js';
import { displayName, selectTables, type TablePattern } from '../catalog/selection.js';
import { clashes, defaultReplicaName, isReservedMysqlName, mysqlNameProblem } from '../catalog/replica-names.js';
import { SHOP_TRANSFORMS, specFromRecipe, type ReplicaSpec, type SpecRecipe } from './spec.js';
import { SHOP_TABLES_MARKER, isShopTable } from './shop.js';
import { NO_SETTINGS, settingsFor, type ReplicationSettings, type TableSettings } from './settings.js';

export interface ReplicaPlan {
  readonly tables: readonly SourceTable[];
  /** Builds the spec of one planned table with these masks (`table.column`). */
  spec(table: SourceTable, masks: readonly string[]): ReplicaSpec;
  /** The same spec's options as data (what etl cdc records to rebuild it). */
  recipe(table: SourceTable, masks: readonly string[]): SpecRecipe;
  /** The replica names, in plan order. */
  readonly names: readonly string[];
  /** Each planned table's settings from the settings file, by replica name. */
  readonly settings: ReadonlyMap<string, TableSettings>;
}

/**
 * The source tables to work on and how each is specified; throws one UsageError naming every
 * problem (names, settings that do not fit the table), before anything runs.
 */
export function planReplicas(
  available: readonly SourceTable[],
  patterns: readonly TablePattern[] | undefined,
  file: ReplicationSettings = NO_SETTINGS,
): ReplicaPlan {
  // The shop's tables first, parents before children as seed fills them; then the rest by name.
  const rank = (t: SourceTable) => (isShopTable(t) ? REPLICATED_TABLES.indexOf(t.name.name as TableName) : -1);
  const ordered = [...available].sort((a, b) => {
    const ra = rank(a);
    const rb = rank(b);
    if (ra >= 0 || rb >= 0) return ra < 0 ? 1 : rb < 0 ? -1 : ra - rb;
    return 0;
  });
  const tables = selectTables(ordered, patterns);
  // The demo shop's own transforms apply only in a database etl made (its migrations are there).
  const shop = available.some(
    (t) => t.name.schema === SHOP_TABLES_MARKER.schema && t.name.name === SHOP_TABLES_MARKER.name,
  );
  const problems: string[] = [];
  const settings = tables.map((t) => settingsFor(file, t.name));
  const names = tables.map((t, i) => settings[i]?.target ?? defaultReplicaName(t.name));
  tables.forEach((t, i) => {
    const name = names[i] ?? '';
    const own = settings[i] ?? { lines: [] };
    const where = `${displayName(t.name)}${own.lines.length === 0 ? '' : ` (${file.file}:${own.lines.join(',')})`}`;
    problems.push(...settingsProblems(t, own).map((p) => `${where}: ${p}`));
    const problem = mysqlNameProblem(name);
    if (problem !== undefined) problems.push(`${where}: its MySQL name "${name}" ${problem}`);
    else if (isReservedMysqlName(name)) problems.push(`${where}: "${name}" is a name etl keeps for itself in MySQL`);
    const columns = t.columns.map((c) => ({ source: c.name, target: own.columns?.[c.name] ?? c.name }));
    for (const c of columns) {
      const columnProblem = mysqlNameProblem(c.target);
      if (columnProblem !== undefined) problems.push(`${where}: column "${c.target}" ${columnProblem}`);
    }
    for (const clash of clashes(columns)) {
      problems.push(
        `${where}: columns "${clash.first}" and "${clash.second}" would both be MySQL column "${clash.as}" ` +
          '(MySQL column names ignore case and accents); rename one with ' +
          `columns: {"${clash.second}": …} in the settings file`,
      );
    }
  });
  for (const clash of clashes(tables.map((t, i) => ({ source: displayName(t.name), target: names[i] ?? '' })))) {
    problems.push(
      `${clash.first} and ${clash.second} would both be MySQL table "${clash.as}"; give one another name with ` +
        `target: in the settings file`,
    );
  }
  if (problems.length > 0) {
    throw new UsageError(problems.join('\n'), {
      hint:
        'Fix the settings file, or leave such tables out with --tables ' +
        `(for example --tables 'public.*,!public."Odd name"').`,
    });
  }
  const byTable = new Map(tables.map((t, i) => [t, settings[i] ?? { lines: [] }] as const));
  const recipe = (table: SourceTable, masks: readonly string[]): SpecRecipe => {
    const own: TableSettings = byTable.get(table) ?? {};
    const name = names[tables.indexOf(table)] ?? defaultReplicaName(table.name);
    return {
      target: name,
      masks: [...new Set([...masks, ...(own.mask ?? []).map((c) => `${name}.${c}`)])],
      shopTransforms: shop && isShopTable(table) && SHOP_TRANSFORMS[table.name.name] !== undefined,
      ...(own.key === undefined ? {} : { key: own.key }),
      ...(own.cursor === undefined ? {} : { cursor: own.cursor }),
      ...(own.asText === undefined ? {} : { asText: own.asText }),
      ...(own.columns === undefined ? {} : { columnTargets: own.columns }),
    };
  };
  return {
    tables,
    names,
    settings: new Map(tables.map((t, i) => [names[i] ?? '', settings[i] ?? { lines: [] }])),
    recipe,
    spec: (table, masks) => specFromRecipe(table, recipe(table, masks)),
  };
}
/** What in a table's settings does not fit the table: columns it lacks, a key it already has. */
function settingsProblems(table: SourceTable, settings: TableSettings): string[] {
  const problems: string[] = [];
  const names = table.columns.map((c) => c.name);
  const missing = (what: string, columns: readonly string[] | undefined) => {
    for (const c of columns ?? []) {
      if (!names.includes(c)) problems.push(`${what}: no column "${c}"${suggestion(c, names)}`);
    }
  };
  missing('key', settings.key);
  missing('mask', settings.mask);
  missing('as_text', settings.asText);
  missing('columns', Object.keys(settings.columns ?? {}));
  if (settings.key !== undefined && table.key.length > 0)
    problems.push(
      `key: the table has a ${table.keySource} already (${table.key.join(', ')}); key: is for tables without one`,
    );
  if (settings.cursor !== undefined) {
    const cursor = table.columns.find((c) => c.name === settings.cursor);
    if (cursor === undefined)
      problems.push(`cursor: no column "${settings.cursor}"${suggestion(settings.cursor, names)}`);
    else if (!(cursor.type.shape.kind === 'base' && cursor.type.shape.name === 'timestamptz'))
      problems.push(
        `cursor: ${settings.cursor} is ${cursor.type.formatted}; a cursor must be timestamp with time zone`,
      );
  }
  for (const c of settings.mask ?? []) {
    const column = table.columns.find((x) => x.name === c);
    if (column !== undefined && (table.key.includes(c) || !isTextColumn(column.type.shape)))
      problems.push(`mask: ${c} cannot be masked: only non-key text columns can`);
  }
  return problems;
}

const suggestion = (name: string, names: readonly string[]): string => {
  const guess = closest(name, names);
  return guess === undefined ? '' : ` (did you mean ${guess}?)`;
};

/** Masks (`table.column`) checked against the planned tables: every unknown or unmaskable one at once. */
export function checkMasks(plan: ReplicaPlan, masks: readonly string[], flag = '--mask'): void {
  const problems: string[] = [];
  for (const m of masks) {
    const dot = m.lastIndexOf('.');
    const table = m.slice(0, dot);
    const column = m.slice(dot + 1);
    const at = plan.names.indexOf(table);
    const source = plan.tables[at];
    if (dot < 0 || source === undefined) {
      const guess = closest(table, plan.names);
      problems.push(
        `"${m}" is not table.column of a replicated table${guess === undefined ? '' : ` (did you mean ${guess}?)`}`,
      );
      continue;
    }
    const def = source.columns.find((c) => c.name === column);
    if (def === undefined) {
      const guess = closest(
        column,
        source.columns.map((c) => c.name),
      );
      problems.push(
        `${table} has no column "${column}"${guess === undefined ? '' : ` (did you mean ${table}.${guess}?)`}`,
      );
    } else if (source.key.includes(column) || !isTextColumn(def.type.shape)) {
      problems.push(`${m} cannot be masked: only non-key text columns can`);
    }
  }
  if (problems.length > 0)
    throw new UsageError(`${flag}: ${problems.join('; ')}`, {
      hint: `Name columns as table.column, for example ${flag} users.email,users.phone.`,
    });
}

const TEXT_TYPES = new Set(['text', 'varchar', 'bpchar']);
const isTextColumn = (shape: SourceTable['columns'][number]['type']['shape']): boolean =>
  shape.kind === 'base' && TEXT_TYPES.has(shape.name);
