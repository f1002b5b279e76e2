import { describe, expect, it } from 'vitest';
import { TABLES, REPLICATED_TABLES, SOURCE_TABLES, isTableName } from './tables.js';
import { mysqlType, pgType } from './type-mapping.js';

describe('type mapping', () => {
  it('keeps the precision and scale of decimals', () => {
    expect(pgType({ kind: 'numeric', precision: 12, scale: 2 })).toBe('numeric(12,2)');
    expect(mysqlType({ kind: 'numeric', precision: 12, scale: 2 })).toBe('decimal(12,2)');
  });
  it('maps time, JSON, addresses and text by declared size', () => {
    expect(mysqlType({ kind: 'timestamptz' })).toBe('datetime(6)');
    expect(mysqlType({ kind: 'jsonb' })).toBe('json');
    expect(mysqlType({ kind: 'inet' })).toBe('varchar(45)');
    expect(mysqlType({ kind: 'varchar', length: 100 })).toBe('varchar(100)');
    expect(mysqlType({ kind: 'varchar', length: 10_000 })).toBe('text');
    expect(mysqlType({ kind: 'uuid' })).toBe('char(36)');
  });
});

describe('tables', () => {
  it('lists every source table with a primary key made of its own columns', () => {
    for (const name of SOURCE_TABLES) {
      const table = TABLES[name];
      const columns = table.columns.map((c) => c.name);
      expect(table.primaryKey.length).toBeGreaterThan(0);
      for (const key of table.primaryKey) expect(columns).toContain(key);
      expect(columns).toContain('updated_at');
    }
  });
  it('orders replicated tables parents first and leaves the DLQ out', () => {
    expect(REPLICATED_TABLES.indexOf('users')).toBeLessThan(REPLICATED_TABLES.indexOf('orders'));
    expect(REPLICATED_TABLES.indexOf('orders')).toBeLessThan(REPLICATED_TABLES.indexOf('orderdetails'));
    expect(REPLICATED_TABLES).not.toContain('kafka_events_dlq');
  });
  it('recognises table names', () => {
    expect(isTableName('users')).toBe(true);
    expect(isTableName('toString')).toBe(false);
  });
});
