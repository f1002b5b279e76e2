/**
 * The SQL of dbt's four generic tests, as queries returning the failing rows (dbt's own
 * definition: a test passes when its query returns none). MySQL 8.4 and MariaDB 10.11 alike.
 */
import { mysqlIdent as q, mysqlString } from '../sql/identifiers.js';
import type { GenericTest } from './project.js';

/**
 * `relation`: the quoted table or view under test (a stage, or an incremental model's new rows);
 * `target`: the quoted relation a relationships test points into.
 */
export function genericTestSql(test: GenericTest, relation: string, target?: string): string {
  const c = q(test.column);
  switch (test.kind) {
    case 'unique':
      return (
        `SELECT ${c} AS value, COUNT(*) AS occurrences FROM ${relation} WHERE ${c} IS NOT NULL ` +
        `GROUP BY ${c} HAVING COUNT(*) > 1`
      );
    case 'not_null':
      return `SELECT * FROM ${relation} WHERE ${c} IS NULL`;
    case 'accepted_values': {
      const values = (test.values ?? []).map((v) => (typeof v === 'number' ? String(v) : mysqlString(String(v))));
      return (
        `SELECT ${c} AS value, COUNT(*) AS occurrences FROM ${relation} ` +
        `WHERE ${c} NOT IN (${values.join(', ')}) GROUP BY ${c}`
      );
    }
    case 'relationships': {
      const f = q(test.field ?? '');
      return (
        `SELECT child.${c} AS value FROM ${relation} child LEFT JOIN ${target ?? ''} parent ` +
        `ON parent.${f} = child.${c} WHERE child.${c} IS NOT NULL AND parent.${f} IS NULL`
      );
    }
  }
}
