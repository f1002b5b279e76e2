import { describe, expect, it } from 'vitest';
import { DriverError, isTransient, ServiceUnreachableError, type DatabaseEndpoint } from '@etl/core';
import { kafkaError } from './kafka/errors.js';
import { mysqlError } from './mysql/errors.js';
import { pgError } from './postgres/errors.js';

const db: DatabaseEndpoint = {
  url: 'postgres://etl:s3cret@db:5432/etl',
  display: 'postgres://etl:****@db:5432/etl',
  host: 'db',
  port: 5432,
  user: 'etl',
  password: 's3cret',
  database: 'etl',
};
const raw = (code: string, message = 'driver said no') => Object.assign(new Error(message), { code });
const kindOf = (e: Error) => (e instanceof DriverError ? e.driverKind : 'raw');

describe('driver errors become kinds in the connectors', () => {
  it('maps PostgreSQL SQLSTATEs (exact codes and classes), keeping the code', () => {
    const cases: [string, string][] = [
      ['40P01', 'transient'],
      ['40001', 'transient'],
      ['55P03', 'transient'],
      ['57P01', 'unreachable'],
      ['08006', 'unreachable'],
      ['53300', 'unreachable'],
      ['28P01', 'authentication'],
      ['42501', 'permission'],
      ['42P01', 'missing-table'],
      ['23505', 'constraint-violation'],
      ['22P02', 'invalid-value'],
      ['42601', 'raw'],
    ];
    for (const [code, kind] of cases) expect([code, kindOf(pgError(raw(code), db))]).toEqual([code, kind]);
    expect((pgError(raw('40P01'), db) as DriverError).code).toBe('40P01');
  });

  it('maps MySQL error names', () => {
    const cases: [string, string][] = [
      ['ER_LOCK_DEADLOCK', 'transient'],
      ['ER_LOCK_WAIT_TIMEOUT', 'transient'],
      ['PROTOCOL_CONNECTION_LOST', 'unreachable'],
      ['ER_ACCESS_DENIED_ERROR', 'authentication'],
      ['ER_NO_SUCH_TABLE', 'missing-table'],
      ['ER_DUP_ENTRY', 'constraint-violation'],
      ['ER_PARSE_ERROR', 'raw'],
    ];
    for (const [code, kind] of cases) expect([code, kindOf(mysqlError(raw(code), db))]).toEqual([code, kind]);
  });

  it('maps network failures of any driver to unreachable, which core retries', () => {
    for (const e of [raw('ECONNREFUSED'), raw('ECONNRESET'), new Error('Connection terminated unexpectedly')]) {
      const mapped = pgError(e, db);
      expect(mapped).toBeInstanceOf(ServiceUnreachableError);
      expect(isTransient(mapped)).toBe(true);
    }
    expect(isTransient(mysqlError(raw('ER_LOCK_DEADLOCK'), db))).toBe(true);
    expect(isTransient(pgError(raw('23505'), db))).toBe(false);
    const kafka = kafkaError(
      Object.assign(new Error('Connection error'), { name: 'KafkaJSConnectionError' }),
      '127.0.0.1:9092',
    );
    expect(kafka).toBeInstanceOf(ServiceUnreachableError);
  });

  it('never shows the password', () => {
    for (const e of [
      pgError(raw('42P01', 'relation in postgres://etl:s3cret@db/etl'), db),
      mysqlError(raw('ECONNREFUSED', 's3cret'), db),
    ]) {
      expect(e.message).not.toContain('s3cret');
    }
  });
});
