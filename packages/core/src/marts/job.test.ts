import { describe, expect, it } from 'vitest';
import { DataCheckError, UsageError } from '../errors.js';
import { MARTS, type MartDefinition } from './definitions.js';
import type { Warehouse } from '../ports/index.js';
import { martWaves, runMarts, selectMarts } from './job.js';

const mart = (name: string, dependsOn: string[] = []): MartDefinition => ({
  name,
  description: '',
  grain: ['id'],
  columns: [],
  select: 'SELECT 1',
  tests: [{ name: 'ok', sql: 'SELECT 0' }],
  dependsOn,
  reads: ['orders'],
});

describe('mart definitions', () => {
  it('define the four marts, each with grain, columns and tests', () => {
    expect(MARTS.map((m) => m.name)).toEqual([
      'user_sales_analytics',
      'product_sales_analytics',
      'sales_daily',
      'category_sales',
    ]);
    for (const m of MARTS) {
      for (const g of m.grain) expect(m.columns.map((c) => c.name)).toContain(g);
      expect(m.tests.map((t) => t.name)).toContain('grain is unique');
      expect(m.select).toContain(`<> 'Cancelled'`);
      expect(m.columns.every((c) => c.description.length > 0)).toBe(true);
    }
  });
  it('count orders as distinct orders', () => {
    for (const m of MARTS.filter((x) => x.columns.some((c) => c.name === 'orders_count'))) {
      expect(m.select).toMatch(/COUNT\(DISTINCT [a-z]\.order_id\)/);
    }
  });
});

describe('selecting and ordering marts', () => {
  const marts = [mart('a'), mart('b', ['a']), mart('c', ['b']), mart('d')];
  it('builds dependencies first, independent marts together', () => {
    expect(martWaves(marts).map((w) => w.map((m) => m.name))).toEqual([['a', 'd'], ['b'], ['c']]);
  });
  it('brings the dependencies of a selected mart', () => {
    expect(selectMarts('c', marts).map((m) => m.name)).toEqual(['a', 'b', 'c']);
  });
  it('names unknown marts and lists the valid ones', () => {
    expect(() => selectMarts('user_sales', MARTS)).toThrow(UsageError);
    expect(() => selectMarts('sales_dayly', MARTS)).toThrow(
      /"sales_dayly" \(did you mean sales_daily\?\); marts are user_sales_analytics/,
    );
  });
});

describe('runMarts', () => {
  const calls: string[] = [];
  const warehouse = (rows: number | null, failures = 0): Warehouse => ({
    endpoint: 'mysql://x',
    prepare: async () => {},
    rows: async () => rows,
    build: async (m, stage) => (calls.push(`build ${m.name} into ${stage}`), 5),
    value: async () => String(failures),
    swap: async (stage, name) => void calls.push(`swap ${stage} -> ${name}`),
    drop: async (t) => void calls.push(`drop ${t}`),
  });
  it('swaps in a mart only after its tests pass', async () => {
    calls.length = 0;
    const report = await runMarts(warehouse(10), [mart('a')], { now: () => 0 });
    expect(calls).toEqual(['build a into a__etl_stage', 'swap a__etl_stage -> a']);
    expect(report.marts[0]).toMatchObject({ mart: 'a', rows: 5, testsPassed: 1 });
  });
  it('drops the stage and keeps the old mart when a test fails', async () => {
    calls.length = 0;
    await expect(runMarts(warehouse(10, 3), [mart('a')], { now: () => 0 })).rejects.toThrow(DataCheckError);
    expect(calls).toEqual(['build a into a__etl_stage', 'drop a__etl_stage']);
  });
  it('asks for etl replicate when the replicas are missing or empty', async () => {
    await expect(runMarts(warehouse(null), [mart('a')], { now: () => 0 })).rejects.toThrow(/orders \(missing\)/);
    await expect(runMarts(warehouse(0), [mart('a')], { now: () => 0 })).rejects.toThrow(
      /Run `etl replicate` first|not ready/,
    );
  });
});
