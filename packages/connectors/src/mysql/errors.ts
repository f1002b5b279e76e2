/**
 * MySQL/MariaDB driver errors mapped to the project's error kinds, keeping the driver code.
 */
import { EtlError, UsageError, type DatabaseEndpoint } from '@etl/core';
import { messageOf, networkReason, unreachable } from '../shared/unreachable.js';

export function mysqlCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

export function mysqlError(error: unknown, endpoint: DatabaseEndpoint): Error {
  if (error instanceof EtlError) return error;
  const secrets = endpoint.password === undefined ? [] : [endpoint.password];
  const network = networkReason(error);
  if (network !== undefined) return unreachable('mysql', endpoint.display, network, { cause: error, secrets });
  switch (mysqlCode(error)) {
    case 'ER_ACCESS_DENIED_ERROR':
    case 'ER_ACCESS_DENIED_NO_PASSWORD_ERROR':
    case 'ER_NOT_SUPPORTED_AUTH_MODE':
      return new UsageError(`MySQL at ${endpoint.display} refused user "${endpoint.user}": wrong password or no access`, {
        hint: 'Fix the user or password in --mysql-url / ETL_MYSQL_URL.',
        cause: error,
      });
    case 'PROTOCOL_CONNECTION_LOST':
    case 'ER_CON_COUNT_ERROR':
    case 'ER_SERVER_SHUTDOWN':
      return unreachable('mysql', endpoint.display, messageOf(error), { cause: error, secrets });
    default:
      return error instanceof Error ? error : new Error(messageOf(error));
  }
}
