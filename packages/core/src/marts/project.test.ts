import { describe, expect, it } from 'vitest';
import { UsageError } from '../errors.js';
import { findCycle, parseProject, type ProjectFile } from './project.js';
import { recordTemplate, renderTemplate } from './render.js';
import { selectModels } from './select.js';
import { scheduleModels } from './job.js';

const file = (path: string, text: string): ProjectFile => ({ path, text });
const problemsOf = (files: ProjectFile[]): string => {
  try {
    parseProject('p', files);
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return (error as Error).message;
  }
  throw new Error('the project parsed');
};

describe('parsing a project', () => {
  const project = parseProject('p', [
    file('models/a.sql', 'SELECT 1 AS id'),
    file('models/b.sql', `SELECT id FROM {{ ref('a') }}`),
    file(
      'models/sub/c.sql',
      `{{ config(materialized='view') }}\nSELECT id FROM {{ ref('b') }} JOIN {{ source('sales.orders') }}`,
    ),
    file(
      'models/d.sql',
      `{{ config(materialized='incremental', unique_key='id') }}\nSELECT id FROM {{ ref('a') }}\n` +
        `{% if is_incremental() %}WHERE id > (SELECT MAX(id) FROM {{ this }}){% endif %}`,
    ),
    file('tests/c_and_d_agree.sql', `SELECT 1 FROM {{ ref('c') }} JOIN {{ ref('d') }} WHERE 1 = 0`),
    file(
      'models/schema.yml',
      `version: 2
sources:
  - name: sales
    freshness: { warn_after: 1h }
    tables:
      - name: orders
        freshness: { warn_after: 30m, error_after: { count: 6, period: hour } }
models:
  - name: b
    description: The b model.
    columns:
      - name: id
        data_tests:
          - unique
          - not_null
          - accepted_values: { values: [1, 2], config: { severity: warn } }
          - relationships: { to: "ref('a')", field: id }
data_tests:
  - name: c_and_d_agree
    description: c and d agree
`,
    ),
  ]);
  it('orders models after what they read and records config, tests and sources', () => {
    const names = project.models.map((m) => m.name);
    expect(names.indexOf('a')).toBeLessThan(names.indexOf('b'));
    expect(names.indexOf('b')).toBeLessThan(names.indexOf('c'));
    const c = project.models.find((m) => m.name === 'c');
    expect(c?.materialized).toBe('view');
    expect(c?.sources).toEqual([{ schema: 'sales', table: 'orders', replica: 'sales__orders' }]);
    const d = project.models.find((m) => m.name === 'd');
    expect(d?.uniqueKey).toEqual(['id']);
    const b = project.models.find((m) => m.name === 'b');
    expect(b?.tests.map((t) => [t.name, t.severity])).toEqual([
      ['unique(id)', 'error'],
      ['not_null(id)', 'error'],
      ['accepted_values(id)', 'warn'],
      ['relationships(id → a.id)', 'error'],
    ]);
    expect(project.sources).toEqual([
      {
        schema: 'sales',
        table: 'orders',
        replica: 'sales__orders',
        freshness: { warnAfterSeconds: 1800, errorAfterSeconds: 6 * 3600 },
      },
    ]);
  });
  it('gives a singular test to the deepest model it reads, after the others', () => {
    const c = project.models.find((m) => m.name === 'c');
    const d = project.models.find((m) => m.name === 'd');
    const [owner, other] = (c?.singularTests.length ?? 0) > 0 ? [c, d] : [d, c];
    expect(owner?.singularTests.map((t) => t.label)).toEqual(['c and d agree']);
    expect(owner?.dependsOn).toContain(other?.name);
  });
  it('selects with dbt’s forms and excludes', () => {
    const names = (s?: string, e?: string) => selectModels(project, s, e).map((m) => m.name);
    expect(names('b')).toEqual(['b']);
    expect(names('+b')).toEqual(['a', 'b']);
    // c reads b; d carries the singular test that reads c, so it comes after c too
    expect(names('b+')).toContain('c');
    expect(names('b+')).not.toContain('a');
    expect(names('a+', 'c')).not.toContain('c');
    expect(names('a, d')).toEqual(['a', 'd']);
    expect(() => names('bb+')).toThrow(/--select: unknown model "bb" \(did you mean b\?\); the marts are/);
  });
});

describe('a project with problems', () => {
  it('reports every one at once, with file and line', () => {
    const message = problemsOf([
      file('models/a.sql', `SELECT * FROM {{ ref('orderz') }}`),
      file('models/b.sql', `{{ config(materialized='tabel') }}\nSELECT 1`),
      file('models/c.sql', `SELECT * FROM {{ ref('d') }}`),
      file('models/d.sql', `SELECT * FROM {{ ref('c') }}`),
      file('models/inc.sql', `{{ config(materialized='incremental') }}\nSELECT 1`),
      file('models/orders.sql', 'SELECT 1'),
      file('models/x/orders.sql', 'SELECT 2'),
      file('models/bad.sql', 'SELECT {{ nope( }}'),
      file('tests/t.sql', 'SELECT 1'),
      file(
        'models/schema.yml',
        `models:
  - name: b
    columns:
      - name: id
        data_tests: [uniq, { accepted_values: {} }]
  - name: zz
`,
      ),
    ]);
    expect(message).toContain('has 10 problems');
    expect(message).toContain(`models/a.sql:1: model a refs "orderz", which is not a model (did you mean orders?)`);
    expect(message).toContain('models/b.sql:1: model b: unknown materialization "tabel" (did you mean table?)');
    expect(message).toMatch(/models ref each other in a cycle: c → d → c/);
    expect(message).toContain('model inc is incremental and needs unique_key');
    expect(message).toContain('two models are named orders: models/orders.sql and models/x/orders.sql');
    expect(message).toMatch(/models\/bad\.sql.*Line 1/);
    expect(message).toContain('test t must ref() the model it tests');
    expect(message).toContain('models/schema.yml:5: model b, column id: unknown test "uniq" (did you mean unique?)');
    expect(message).toContain('accepted_values needs values');
    expect(message).toContain('models/schema.yml:6: models: there is no model zz');
  });
  it('names a bad YAML file’s line', () => {
    expect(
      problemsOf([file('models/a.sql', 'SELECT 1'), file('models/schema.yml', 'models:\n  - name: a\n   bad')]),
    ).toMatch(/models\/schema\.yml:\d+: /);
  });
  it('refuses a model name MySQL or etl keeps', () => {
    expect(problemsOf([file('models/etl_runs.sql', 'SELECT 1')])).toContain('is a name etl keeps for itself');
  });
});

describe('rendering', () => {
  it('records refs, sources and config without is_incremental', () => {
    const r = recordTemplate(
      `{{ config(materialized='incremental', unique_key='k') }}\nSELECT * FROM {{ ref('a') }}, {{ source('s', 't') }}` +
        `{% if is_incremental() %} {{ ref('only_when_incremental') }}{% endif %}`,
      'x.sql',
    );
    expect(r.refs).toEqual(['a']);
    expect(r.sources).toEqual([{ schema: 's', table: 't', replica: 's__t' }]);
    expect(r.config).toEqual({ materialized: 'incremental', unique_key: 'k' });
  });
  it('quotes what ref, source and this resolve to, and drops a trailing semicolon', () => {
    const sql = renderTemplate(
      `SELECT * FROM {{ ref('a') }} JOIN {{ source('public.orders') }}` +
        `{% if is_incremental() %} {{ this }}{% endif %};\n`,
      'x.sql',
      { ref: (n) => `${n}__etl_stage`, self: 'we`ird', incremental: true },
    );
    expect(sql).toBe('SELECT * FROM `a__etl_stage` JOIN `orders` `we``ird`');
  });
});

describe('scheduling models', () => {
  it('starts each model once what it depends on is done, at most `limit` at once', async () => {
    const project = parseProject('p', [
      file('models/a.sql', 'SELECT 1'),
      file('models/b.sql', `SELECT * FROM {{ ref('a') }}`),
      file('models/c.sql', 'SELECT 1'),
      file('models/d.sql', `SELECT * FROM {{ ref('b') }}, {{ ref('c') }}`),
    ]);
    const log: string[] = [];
    let running = 0;
    let most = 0;
    await scheduleModels(project.models, 2, async (m) => {
      running++;
      most = Math.max(most, running);
      log.push(`start ${m.name}`);
      await new Promise((r) => setTimeout(r, m.name === 'c' ? 30 : 5));
      log.push(`end ${m.name}`);
      running--;
    });
    expect(most).toBe(2);
    const at = (s: string) => log.indexOf(s);
    expect(at('start b')).toBeGreaterThan(at('end a'));
    expect(at('start d')).toBeGreaterThan(at('end b'));
    expect(at('start d')).toBeGreaterThan(at('end c'));
  });
  it('finds a cycle and names it', () => {
    expect(
      findCycle([
        { name: 'a', dependsOn: ['b'] },
        { name: 'b', dependsOn: ['c'] },
        { name: 'c', dependsOn: ['a'] },
      ]),
    ).toEqual(['a', 'b', 'c', 'a']);
  });
});
