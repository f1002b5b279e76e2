/**
 * The rows of a model as `etl marts show` prints them and `/api/marts/<model>` returns them: one
 * function for both. Sorted by `orderBy` (default: the model's measure, largest first; else its
 * key), ties broken by the model's key, limited; dates and times as MySQL's exact text, whole
 * numbers as numbers when JavaScript holds them exactly, decimals as exact text.
 */
import type { Warehouse } from '../ports/index.js';
import { DataCheckError, UsageError } from '../errors.js';
import { closest } from '../suggest.js';
import { selectModels } from './select.js';
import type { MartsProject, Model, ModelChart } from './project.js';

export interface ShowOptions {
  readonly orderBy?: string;
  readonly ascending?: boolean;
  readonly limit?: number;
}

export interface ShowResult {
  readonly mart: string;
  readonly orderBy: string;
  readonly descending: boolean;
  readonly columns: readonly string[];
  readonly chart?: ModelChart;
  readonly rows: readonly Record<string, string | number | null>[];
}

export const SHOW_DEFAULT_LIMIT = 10;
/** The most rows `etl marts show --limit` prints; the page's line charts may read more. */
export const SHOW_MAX_LIMIT = 10_000;
const READ_MAX_LIMIT = 100_000;

const INTEGER = /^(tinyint|smallint|mediumint|int|integer|bigint)$/;

function cell(value: unknown, dataType: string): string | number | null {
  if (value === null || value === undefined) return null;
  if (INTEGER.test(dataType)) {
    const n = Number(value);
    return Number.isSafeInteger(n) ? n : typeof value === 'string' ? value : JSON.stringify(value);
  }
  if (typeof value === 'number' || typeof value === 'string') return value;
  if (Buffer.isBuffer(value)) return value.toString('base64');
  return JSON.stringify(value);
}

/** The key a model's rows are told apart by: its unique_key, else the columns tested unique. */
export function modelKey(model: Model): string[] {
  if (model.uniqueKey.length > 0) return [...model.uniqueKey];
  return model.tests.filter((t) => t.kind === 'unique').map((t) => t.column);
}

function orderByError(model: string, orderBy: string, columns: readonly string[]): UsageError {
  const s = closest(orderBy, columns);
  return new UsageError(
    `--order-by: ${model} has no column "${orderBy}"${s === undefined ? '' : ` (did you mean ${s}?)`}; ` +
      `columns are ${columns.join(', ')}`,
  );
}

export async function showModel(
  warehouse: Warehouse,
  project: MartsProject,
  name: string,
  options: ShowOptions = {},
): Promise<ShowResult> {
  const [model] = selectModels(project, name, undefined, 'model') as [Model];
  // A model under contract has the columns its schema.yml lists: checked before MySQL is asked.
  const listed = model.columns.map((c) => c.name);
  if (options.orderBy !== undefined && model.contracted && !listed.includes(options.orderBy))
    throw orderByError(model.name, options.orderBy, listed);
  const columns = await warehouse.columns(model.name);
  if (columns.length === 0)
    throw new DataCheckError(`mart ${model.name} has not been built yet`, { hint: 'Run `etl marts` first.' });
  const names = columns.map((c) => c.name);
  const key = modelKey(model).filter((k) => names.includes(k));
  const orderBy = options.orderBy ?? model.chart?.measure ?? key[0] ?? names[0] ?? '';
  if (!names.includes(orderBy)) throw orderByError(model.name, orderBy, names);
  const limit = Math.min(READ_MAX_LIMIT, Math.max(1, options.limit ?? SHOW_DEFAULT_LIMIT));
  const descending = options.ascending !== true;
  const raw = await warehouse.show(
    model.name,
    names,
    { by: orderBy, descending, tieBreak: (key.length > 0 ? key : names).filter((k) => k !== orderBy) },
    limit,
  );
  const types = new Map(columns.map((c) => [c.name, c.dataType]));
  const rows = raw.map((r) => Object.fromEntries(names.map((c) => [c, cell(r[c], types.get(c) ?? '')])));
  return {
    mart: model.name,
    orderBy,
    descending,
    columns: names,
    ...(model.chart === undefined ? {} : { chart: model.chart }),
    rows,
  };
}
