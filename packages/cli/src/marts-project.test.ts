import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO_PROJECT_NAME, renderTemplate, UsageError } from '@etl/core';
import { loadMartsProject } from './marts-project.js';

const empty = mkdtempSync(join(tmpdir(), 'etl-marts-project-'));

describe('the built-in demo project', () => {
  const demo = loadMartsProject(undefined, empty);
  it('holds the four marts in their order, each with its tests and chart', () => {
    expect(demo.models.map((m) => m.name)).toEqual([
      'user_sales_analytics',
      'product_sales_analytics',
      'sales_daily',
      'category_sales',
    ]);
    for (const m of demo.models) {
      expect(m.materialized).toBe('table');
      expect(m.tests.map((t) => t.kind).sort()).toEqual(['not_null', 'unique']);
      expect(m.singularTests.length).toBeGreaterThanOrEqual(2);
      expect(m.columns.every((c) => c.description !== '')).toBe(true);
      expect(m.chart?.measure).toBeDefined();
      // Cancelled orders count nowhere; orders count once each.
      expect(m.template).toContain(`o.status <> 'Cancelled'`);
    }
    const product = demo.models.find((m) => m.name === 'product_sales_analytics');
    expect(product?.singularTests.map((t) => t.label)).toContain('revenue reconciles with order lines');
    expect(product?.sources.map((s) => s.replica).sort()).toEqual([
      'orderdetails',
      'orders',
      'productcategories',
      'products',
    ]);
  });
  it('renders to the SQL MySQL runs, one line for one line', () => {
    for (const m of demo.models) {
      const sql = renderTemplate(m.template, m.file, { ref: (n) => n, self: m.name });
      expect(sql.split('\n').length).toBe(m.template.split('\n').length);
      expect(sql).not.toMatch(/\{\{|\{%/);
    }
  });
});

describe('reading a project folder', () => {
  it('takes ./marts when present, else the built-in project', () => {
    expect(loadMartsProject(undefined, empty).root).toBe(DEMO_PROJECT_NAME);
    const cwd = mkdtempSync(join(tmpdir(), 'etl-marts-cwd-'));
    mkdirSync(join(cwd, 'marts', 'models', 'deep'), { recursive: true });
    writeFileSync(join(cwd, 'marts', 'models', 'deep', 'a.sql'), 'SELECT 1 AS x');
    writeFileSync(join(cwd, 'marts', 'dbt_project.yml'), 'name: not-ours\n');
    mkdirSync(join(cwd, 'marts', 'macros'));
    writeFileSync(join(cwd, 'marts', 'macros', 'm.sql'), '{% macro m() %}{% endmacro %}');
    const p = loadMartsProject(undefined, cwd);
    expect(p.root).toBe('marts');
    expect(p.models.map((m) => [m.name, m.file])).toEqual([['a', 'models/deep/a.sql']]);
  });
  it('refuses a folder that is missing or holds no models', () => {
    expect(() => loadMartsProject(join(empty, 'nope'), empty)).toThrow(/--project: .*nope does not exist/);
    expect(() => loadMartsProject(empty, empty)).toThrow(UsageError);
    expect(() => loadMartsProject(empty, empty)).toThrow(/holds no models/);
  });
});
