/**
 * The settings file (`--config FILE`, `./etl.yaml` when present): per-table settings for
 * replicate and verify, for a table or a pattern of `--tables`' form. Parsed with the `yaml`
 * package, validated before anything runs, every problem reported at once with its line.
 *
 * ```yaml
 * tables:
 *   public.audit_*:            # a table, or a pattern as --tables takes it
 *     mode: full               # full | incremental
 *   customers:
 *     key: [region, id]        # the key of a table that has none
 *     cursor: modified_at      # the incremental cursor column (default updated_at)
 *     mask: [email, phone]     # columns replaced by a deterministic hash
 *     as_text: [price_history] # columns stored as PostgreSQL's exact text
 *     target: customers_copy   # the MySQL table name
 *     columns:                 # MySQL names for columns
 *       ID: id_upper
 * ```
 *
 * A table takes the settings of every entry that matches it, in the file's order (a later
 * entry overrides what an earlier one set).
 */
import type { Node, Pair } from 'yaml';
import { isMap, isScalar, isSeq, lineCounter, parseDocument } from '../yaml.js';
import { UsageError } from '../errors.js';
import { closest } from '../suggest.js';
import { parseTablePatterns, patternMatches, type TablePattern } from '../catalog/selection.js';
import type { QualifiedName } from '../catalog/source-table.js';
import type { ReplicateMode } from '../ports/replica-target.js';

/** What one table's settings say; every field optional. */
export interface TableSettings {
  readonly mode?: ReplicateMode;
  readonly key?: readonly string[];
  readonly cursor?: string;
  readonly mask?: readonly string[];
  readonly asText?: readonly string[];
  readonly target?: string;
  readonly columns?: Readonly<Record<string, string>>;
}

export interface SettingsEntry {
  readonly pattern: TablePattern;
  readonly settings: TableSettings;
  /** 1-based line of the entry in the file, for messages. */
  readonly line: number;
}

export interface ReplicationSettings {
  /** The file's name as given, for messages. */
  readonly file: string;
  readonly entries: readonly SettingsEntry[];
}

export const NO_SETTINGS: ReplicationSettings = { file: '', entries: [] };

const KEYS = ['mode', 'key', 'cursor', 'mask', 'as_text', 'target', 'columns'] as const;

/** Parses and validates the file's text: every problem at once, each with its line (exit 2). */
export function parseSettings(text: string, file: string): ReplicationSettings {
  const lines = lineCounter();
  const doc = parseDocument(text, lines);
  const problems: { line: number; text: string }[] = [];
  const lineOf = (node: Located): number => {
    const range = node !== null && node !== undefined && 'range' in node ? node.range : undefined;
    const key = node !== null && node !== undefined && 'key' in node ? (node.key as Node | null) : undefined;
    const offset = range?.[0] ?? key?.range?.[0] ?? 0;
    return lines.linePos(offset).line;
  };
  const problem = (node: Located, message: string) => problems.push({ line: lineOf(node), text: message });
  for (const e of doc.errors) problems.push({ line: e.linePos?.[0].line ?? 1, text: e.message.split('\n')[0] ?? '' });
  const entries: SettingsEntry[] = [];
  const root = doc.contents;
  if (problems.length === 0 && root !== null) {
    if (!isMap(root)) problem(root, 'the file must be a mapping with a "tables" key');
    else {
      for (const pair of root.items) {
        const name = isScalar(pair.key) ? String(pair.key.value) : '';
        if (name !== 'tables') problem(pair, `unknown key "${name}"${suggestion(name, ['tables'])}`);
      }
      const tables = root.get('tables', true) as Node | undefined;
      if (tables !== undefined && tables !== null && !isMap(tables))
        problem(tables, '"tables" must map tables to settings');
      else if (isMap(tables)) {
        for (const pair of tables.items) entries.push(...entry(pair, problem, lineOf));
      }
    }
  }
  if (problems.length > 0) {
    const lines = problems.sort((a, b) => a.line - b.line).map((p) => `${file}:${p.line}: ${p.text}`);
    throw new UsageError(lines.join('\n'), { hint: `Fix the settings file ${file} at the lines named above.` });
  }
  return { file, entries };
}

const suggestion = (name: string, names: readonly string[]): string => {
  const guess = closest(name, names);
  return guess === undefined ? '' : ` (did you mean ${guess}?)`;
};

type Located = Node | Pair | null | undefined;

function entry(
  pair: Pair,
  problem: (node: Located, message: string) => void,
  lineOf: (node: Located) => number,
): SettingsEntry[] {
  const keyText = isScalar(pair.key) ? String(pair.key.value) : '';
  let pattern: TablePattern | undefined;
  try {
    const [parsed, ...more] = parseTablePatterns(keyText, 'table');
    if (parsed === undefined || more.length > 0 || parsed.exclude) {
      problem(pair, `"${keyText}" must name one table or one pattern (no commas, no "!")`);
    } else pattern = parsed;
  } catch (error) {
    problem(pair, error instanceof Error ? error.message : String(error));
  }
  const value = pair.value as Node | null;
  if (!isMap(value)) {
    problem(pair, `the settings of "${keyText}" must be a mapping (mode, key, cursor, mask, as_text, target, columns)`);
    return [];
  }
  const settings: Record<string, unknown> = {};
  for (const item of value.items) {
    const name = isScalar(item.key) ? String(item.key.value) : '';
    const v = item.value as Node | null;
    const list = (): string[] | undefined => {
      const items = isSeq(v) ? v.items : isScalar(v) ? [v] : undefined;
      const values = items?.map((i) => (isScalar(i) && typeof i.value === 'string' ? i.value : undefined));
      if (values === undefined || values.some((x) => x === undefined || x === '')) {
        problem(item, `${name} must be a column name or a list of them`);
        return undefined;
      }
      return values as string[];
    };
    const scalar = (): string | undefined => {
      if (isScalar(v) && typeof v.value === 'string' && v.value !== '') return v.value;
      problem(item, `${name} must be a name`);
      return undefined;
    };
    switch (name) {
      case 'mode': {
        const mode = scalar();
        if (mode !== undefined && mode !== 'full' && mode !== 'incremental')
          problem(item, `mode must be full or incremental, not "${mode}"`);
        else if (mode !== undefined) settings['mode'] = mode;
        break;
      }
      case 'key':
      case 'mask':
      case 'as_text': {
        const values = list();
        if (values !== undefined) settings[name === 'as_text' ? 'asText' : name] = values;
        break;
      }
      case 'cursor':
      case 'target': {
        const text = scalar();
        if (text !== undefined) settings[name] = text;
        break;
      }
      case 'columns': {
        if (!isMap(v)) {
          problem(item, 'columns must map PostgreSQL column names to MySQL names');
          break;
        }
        const columns: Record<string, string> = {};
        for (const c of v.items) {
          const from = isScalar(c.key) ? String(c.key.value) : '';
          const to = isScalar(c.value) && typeof c.value.value === 'string' ? c.value.value : '';
          if (to === '') problem(c, `columns: "${from}" must map to a MySQL column name`);
          else columns[from] = to;
        }
        settings['columns'] = columns;
        break;
      }
      default:
        problem(item, `unknown setting "${name}"${suggestion(name, KEYS)}; settings are ${KEYS.join(', ')}`);
    }
  }
  return pattern === undefined ? [] : [{ pattern, settings, line: lineOf(pair) }];
}

/** The settings of one table: every matching entry's, in file order, merged. */
export function settingsFor(
  settings: ReplicationSettings,
  table: QualifiedName,
): TableSettings & { readonly lines: readonly number[] } {
  const merged: Record<string, unknown> = {};
  const lines: number[] = [];
  for (const e of settings.entries) {
    if (!patternMatches(e.pattern, table)) continue;
    Object.assign(merged, e.settings);
    lines.push(e.line);
  }
  return { ...(merged as TableSettings), lines };
}
