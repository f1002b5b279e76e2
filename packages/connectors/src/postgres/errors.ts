/**
 * PostgreSQL driver errors mapped to the project's driver error kinds, keeping the SQLSTATE.
 * Only this file knows SQLSTATEs that matter outside the connector.
 */
import { EtlError, type DatabaseEndpoint, type DriverErrorKind } from '@etl/core';
import { databaseError, networkReason } from '../shared/unreachable.js';

export function sqlState(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/** SQLSTATE (or its two-character class) → kind. https://www.postgresql.org/docs/current/errcodes-appendix.html */
const KINDS: Readonly<Record<string, DriverErrorKind>> = {
  '08': 'unreachable', // connection exception
  '57P01': 'unreachable', // admin_shutdown (pg_terminate_backend, a fast shutdown)
  '57P02': 'unreachable', // crash_shutdown
  '57P03': 'unreachable', // cannot_connect_now (starting up)
  '53300': 'unreachable', // too_many_connections
  '28': 'authentication', // invalid authorization specification
  '42501': 'permission', // insufficient_privilege
  '40': 'transient', // transaction rollback: serialization failure, deadlock
  '55P03': 'transient', // lock_not_available
  '42P01': 'missing-table', // undefined_table
  '3D000': 'missing-table', // invalid_catalog_name: the database does not exist
  '23': 'constraint-violation', // integrity constraint violation
  '22': 'invalid-value', // data exception
};

export function pgErrorKind(error: unknown): DriverErrorKind | undefined {
  if (networkReason(error) !== undefined) return 'unreachable';
  const state = sqlState(error);
  return state === undefined ? undefined : (KINDS[state] ?? KINDS[state.slice(0, 2)]);
}

export function pgError(error: unknown, endpoint: DatabaseEndpoint): Error {
  if (error instanceof EtlError) return error;
  return databaseError('postgres', endpoint, error, pgErrorKind(error), sqlState(error));
}
