/**
 * PostgreSQL driver errors mapped to the project's error kinds, keeping the SQLSTATE.
 */
import { EtlError, UsageError, type DatabaseEndpoint } from '@etl/core';
import { messageOf, networkReason, unreachable } from '../shared/unreachable.js';

export function sqlState(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

export function pgError(error: unknown, endpoint: DatabaseEndpoint): Error {
  if (error instanceof EtlError) return error;
  const secrets = endpoint.password === undefined ? [] : [endpoint.password];
  const network = networkReason(error);
  if (network !== undefined) return unreachable('postgres', endpoint.display, network, { cause: error, secrets });
  const state = sqlState(error);
  switch (state) {
    case '28P01':
    case '28000':
      return new UsageError(`PostgreSQL at ${endpoint.display} refused user "${endpoint.user}": wrong password or no access`, {
        hint: 'Fix the user or password in --pg-url / ETL_PG_URL.',
        cause: error,
      });
    case '57P03':
    case '57P01':
    case '53300':
      return unreachable('postgres', endpoint.display, messageOf(error), { cause: error, secrets });
    default:
      return error instanceof Error ? error : new Error(messageOf(error));
  }
}
