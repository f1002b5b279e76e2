/** What a project says about its models (`etl marts docs`, the page): from its files alone. */
import type { MartsProject, Model } from './project.js';

export interface ModelDoc {
  readonly name: string;
  readonly file: string;
  readonly materialized: Model['materialized'];
  readonly description: string;
  readonly uniqueKey: readonly string[];
  readonly reads: readonly string[];
  readonly columns: readonly {
    readonly name: string;
    readonly description: string;
    readonly tests: readonly string[];
  }[];
  readonly tests: readonly string[];
}

export interface DocsResult {
  readonly project: string;
  readonly models: readonly ModelDoc[];
}

/** What a project says about its models, for people and for the page. */
export function projectDocs(project: MartsProject, models: readonly Model[] = project.models): DocsResult {
  return {
    project: project.root,
    models: models.map((m) => ({
      name: m.name,
      file: m.file,
      materialized: m.materialized,
      description: m.description,
      uniqueKey: m.uniqueKey,
      reads: [...m.refs, ...new Set(m.sources.map((s) => `${s.schema}.${s.table}`))],
      columns: m.columns.map((c) => ({
        name: c.name,
        description: c.description,
        tests: m.tests.filter((t) => t.column === c.name).map((t) => t.name),
      })),
      tests: m.singularTests.map((t) => t.label),
    })),
  };
}
