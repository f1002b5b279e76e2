/**
 * MySQL/MariaDB driver errors mapped to the project's driver error kinds, keeping the driver
 * code. Only this file knows MySQL error names that matter outside the connector.
 */
import { EtlError, type DatabaseEndpoint, type DriverErrorKind } from '@etl/core';
import { databaseError, networkReason } from '../shared/unreachable.js';

export function mysqlCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

const KINDS: Readonly<Record<string, DriverErrorKind>> = {
  PROTOCOL_CONNECTION_LOST: 'unreachable',
  ER_CON_COUNT_ERROR: 'unreachable',
  ER_SERVER_SHUTDOWN: 'unreachable',
  ER_CONNECTION_KILLED: 'unreachable',
  ER_ACCESS_DENIED_ERROR: 'authentication',
  ER_ACCESS_DENIED_NO_PASSWORD_ERROR: 'authentication',
  ER_NOT_SUPPORTED_AUTH_MODE: 'authentication',
  ER_DBACCESS_DENIED_ERROR: 'permission',
  ER_TABLEACCESS_DENIED_ERROR: 'permission',
  ER_SPECIFIC_ACCESS_DENIED_ERROR: 'permission',
  ER_LOCK_DEADLOCK: 'transient',
  ER_LOCK_WAIT_TIMEOUT: 'transient',
  ER_NO_SUCH_TABLE: 'missing-table',
  ER_BAD_DB_ERROR: 'missing-table',
  ER_DUP_ENTRY: 'constraint-violation',
  ER_NO_REFERENCED_ROW_2: 'constraint-violation',
  ER_ROW_IS_REFERENCED_2: 'constraint-violation',
  ER_BAD_NULL_ERROR: 'constraint-violation',
  ER_DATA_TOO_LONG: 'invalid-value',
  ER_TRUNCATED_WRONG_VALUE: 'invalid-value',
  ER_TRUNCATED_WRONG_VALUE_FOR_FIELD: 'invalid-value',
  ER_WARN_DATA_OUT_OF_RANGE: 'invalid-value',
};

export function mysqlErrorKind(error: unknown): DriverErrorKind | undefined {
  if (networkReason(error) !== undefined) return 'unreachable';
  const code = mysqlCode(error);
  return code === undefined ? undefined : KINDS[code];
}

export function mysqlError(error: unknown, endpoint: DatabaseEndpoint): Error {
  if (error instanceof EtlError) return error;
  return databaseError('mysql', endpoint, error, mysqlErrorKind(error), mysqlCode(error));
}
