import { describe, expect, it } from 'vitest';
import { UsageError } from '../errors.js';
import { clashes, defaultReplicaName, isReservedMysqlName, mysqlNameProblem, workTableName } from './replica-names.js';
import { displayName, parseTablePatterns, selectTables } from './selection.js';

const t = (schema: string, name: string) => ({ name: { schema, name } });
const available = [
  t('public', 'users'),
  t('public', 'audit_log'),
  t('public', 'audit_2024'),
  t('public', 'etl_runs'),
  t('public', 'kafka_events_dlq'),
  t('public', 'Mixed Case'),
  t('sales', 'orders'),
  t('sales', 'refunds'),
  t('sales', 'a.b'),
];
const names = (patterns: string | undefined) =>
  selectTables(available, patterns === undefined ? undefined : parseTablePatterns(patterns)).map((x) =>
    displayName(x.name),
  );

describe('--tables patterns', () => {
  it('defaults to every table of schema public but etl own', () => {
    expect(names(undefined)).toEqual(['users', 'audit_log', 'audit_2024', '"Mixed Case"']);
  });
  it('takes schema.table, bare names, wildcards and exclusions', () => {
    expect(names('public.*,sales.orders,!public.audit_*')).toEqual(['users', '"Mixed Case"', 'sales.orders']);
    expect(names('sales.*')).toEqual(['sales.orders', 'sales.refunds', 'sales."a.b"']);
    expect(names('*.*,!sales.*')).toEqual(['users', 'audit_log', 'audit_2024', '"Mixed Case"']);
  });
  it('takes quoted names literally: dots, commas, case, spaces', () => {
    expect(names('"Mixed Case"')).toEqual(['"Mixed Case"']);
    expect(names('sales."a.b"')).toEqual(['sales."a.b"']);
    expect(() => names('mixed case')).toThrow(/"mixed case" \(did you mean "Mixed Case"\?\) matches no table/);
  });
  it('includes etl own tables only when named exactly', () => {
    expect(names('etl_runs')).toEqual(['etl_runs']);
    expect(names('public.etl_*')).toEqual([]);
  });
  it('names every entry that matches nothing, with the closest table (exit 2)', () => {
    const error = (() => {
      try {
        names('userz,nosuch.*');
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toBe('--tables: "userz" (did you mean users?), "nosuch.*" match no table');
  });
  it('reports every malformed entry at once', () => {
    expect(() => parseTablePatterns('a.b.c,"open,x.')).toThrow(
      /"a.b.c" has more than schema.table.*""open,x\." has an unclosed/s,
    );
    expect(() => parseTablePatterns('.x')).toThrow(/an empty name/);
  });
});

describe('replica names', () => {
  it('keeps public names and prefixes others with their schema', () => {
    expect(defaultReplicaName({ schema: 'public', name: 'Users' })).toBe('Users');
    expect(defaultReplicaName({ schema: 'sales', name: 'orders' })).toBe('sales__orders');
  });
  it('says why MySQL cannot hold a name', () => {
    expect(mysqlNameProblem('a'.repeat(64))).toBeUndefined();
    expect(mysqlNameProblem('a'.repeat(65))).toMatch(/65 characters long/);
    expect(mysqlNameProblem('zürich_🚀')).toMatch(/Basic Multilingual Plane/);
    expect(mysqlNameProblem('trailing ')).toMatch(/ends with a space/);
    expect(mysqlNameProblem('we`ird; "name"')).toBeUndefined();
  });
  it('finds names MySQL would take for one (case and accents ignored)', () => {
    expect(
      clashes([
        { source: 'ID', target: 'ID' },
        { source: 'id', target: 'id' },
        { source: 'café', target: 'café' },
        { source: 'cafe', target: 'cafe' },
        { source: 'other', target: 'other' },
      ]),
    ).toEqual([
      { first: 'ID', second: 'id', as: 'id' },
      { first: 'café', second: 'cafe', as: 'cafe' },
    ]);
  });
  it('keeps work tables within 64 characters and apart from replicas', () => {
    expect(workTableName('users', 'stage')).toBe('users__etl_stage');
    const long = workTableName('t'.repeat(60), 'stage');
    expect(long).toMatch(/^etl_stage_[0-9a-f]{24}$/);
    expect(workTableName('t'.repeat(60), 'old')).not.toBe(workTableName('u'.repeat(60), 'old'));
    expect(isReservedMysqlName('etl_replication_state')).toBe(true);
    expect(isReservedMysqlName('users__etl_stage')).toBe(true);
    expect(isReservedMysqlName('users')).toBe(false);
  });
});
