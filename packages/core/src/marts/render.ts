/**
 * Renders a model's (or a singular test's) SQL template with nunjucks, the Jinja dialect of
 * JavaScript, and dbt's functions: `ref('model')`, `source('schema.table')` (or
 * `source('schema', 'table')`), `config(materialized=…, unique_key=…)`, `is_incremental()` and
 * `this`. Rendering never changes the number of lines, so a line MySQL names in the rendered SQL
 * is the line of the file.
 *
 * Parsing renders each file once with recording functions (dbt's parse phase): `ref` and
 * `source` note what the model reads, `config` notes its settings, `is_incremental()` is false.
 * Building renders it again with the names resolved.
 */
import { createRequire } from 'node:module';
import type nunjucksModule from 'nunjucks';
import { mysqlIdent } from '../sql/identifiers.js';
import { defaultReplicaName } from '../catalog/replica-names.js';
import { DEFAULT_SCHEMA } from '../catalog/selection.js';

// Loaded on first use: every etl command imports core, few of them render a template.
let environment: nunjucksModule.Environment | undefined;
function env(): nunjucksModule.Environment {
  if (environment === undefined) {
    const nunjucks = createRequire(import.meta.url)('nunjucks') as typeof nunjucksModule;
    environment = new nunjucks.Environment(null, { autoescape: false, throwOnUndefined: true });
  }
  return environment;
}

/** What `config()` may set in a file. */
export interface FileConfig {
  readonly materialized?: unknown;
  readonly unique_key?: unknown;
  readonly severity?: unknown;
}

/** A source as `source()` names it: the PostgreSQL table and the MySQL replica it became. */
export interface SourceRef {
  readonly schema: string;
  readonly table: string;
  readonly replica: string;
}

export function sourceRef(first: string, second?: string): SourceRef {
  let schema = DEFAULT_SCHEMA;
  let table = first;
  if (second !== undefined) {
    schema = first;
    table = second;
  } else if (first.includes('.')) {
    const dot = first.indexOf('.');
    schema = first.slice(0, dot);
    table = first.slice(dot + 1);
  }
  return { schema, table, replica: defaultReplicaName({ schema, name: table }) };
}

export interface Recorded {
  readonly refs: readonly string[];
  readonly sources: readonly SourceRef[];
  readonly config: FileConfig;
}

/** A template's failure to render: nunjucks' message, with the file. */
export class TemplateError extends Error {}

function keywords(args: unknown[]): Record<string, unknown> {
  const last = args[args.length - 1] as Record<string, unknown> | undefined;
  if (last !== undefined && typeof last === 'object' && last['__keywords'] === true) {
    return Object.fromEntries(Object.entries(last).filter(([k]) => k !== '__keywords'));
  }
  return {};
}

function render(template: string, file: string, context: Record<string, unknown>): string {
  try {
    return env().renderString(template, context);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    // "(unknown path) [Line 3, Column 7]\n  Error: …" → "Line 3, Column 7: …"
    const where = /\[(Line \d+, Column \d+)\]/.exec(message)?.[1];
    const what = message
      .split('\n')
      .slice(1)
      .join(' ')
      .trim()
      .replace(/^Error: /, '');
    throw new TemplateError(`${file}${where === undefined ? '' : ` (${where})`}: ${what || message}`);
  }
}

/** The parse phase: what the template reads and how it is configured. */
export function recordTemplate(template: string, file: string): Recorded {
  const refs: string[] = [];
  const sources: SourceRef[] = [];
  let config: FileConfig = {};
  render(template, file, {
    ref: (name: unknown) => {
      refs.push(String(name));
      return mysqlIdent(String(name));
    },
    source: (first: unknown, second?: unknown) => {
      const s = sourceRef(String(first), typeof second === 'string' ? second : undefined);
      sources.push(s);
      return mysqlIdent(s.replica);
    },
    config: (...args: unknown[]) => {
      config = { ...config, ...keywords(args) };
      return '';
    },
    is_incremental: () => false,
    this: mysqlIdent(file),
  });
  return { refs: [...new Set(refs)], sources, config };
}

export interface Resolution {
  /** The MySQL table or view a ref() reads (the live model, or its stage while it is tested). */
  readonly ref: (model: string) => string;
  /** `this`: the model's live table. */
  readonly self?: string;
  readonly incremental?: boolean;
}

/** The build phase: the SQL MySQL runs. */
export function renderTemplate(template: string, file: string, resolution: Resolution): string {
  return render(template, file, {
    ref: (name: unknown) => mysqlIdent(resolution.ref(String(name))),
    source: (first: unknown, second?: unknown) =>
      mysqlIdent(sourceRef(String(first), typeof second === 'string' ? second : undefined).replica),
    config: () => '',
    is_incremental: () => resolution.incremental === true,
    this: mysqlIdent(resolution.self ?? ''),
  }).replace(/;\s*$/, '');
}
