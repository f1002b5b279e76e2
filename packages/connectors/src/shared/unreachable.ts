/**
 * The sentences every connector uses when a service cannot be reached or refuses a call, so
 * that users see the same shape of message whichever system failed.
 */
import {
  DriverError,
  SERVICE_LABELS,
  SETTINGS,
  ServiceUnreachableError,
  redact,
  type DatabaseEndpoint,
  type DriverErrorKind,
  type ServiceName,
  type SettingKey,
} from '@etl/core';

const SETTING_OF: Record<ServiceName, SettingKey> = { postgres: 'pgUrl', mysql: 'mysqlUrl', kafka: 'kafkaBrokers' };

export function unreachable(
  service: ServiceName,
  endpoint: string,
  reason: string,
  options: { cause?: unknown; secrets?: readonly string[]; code?: string } = {},
): ServiceUnreachableError {
  const setting = SETTINGS[SETTING_OF[service]];
  return new ServiceUnreachableError(
    service,
    `${SERVICE_LABELS[service]} at ${endpoint} could not be reached: ${redact(reason, options.secrets)}`,
    {
      hint: `Start it with \`make up\`, or point --${setting.flag} / ${setting.env} at a running server.`,
      cause: options.cause,
      ...(options.code === undefined ? {} : { code: options.code }),
    },
  );
}

const HINTS: Partial<Record<DriverErrorKind, string>> = {
  permission: 'Grant the user the privilege named above, or connect as a user that has it.',
  transient: 'Another transaction got in the way; run the command again.',
  'missing-table': 'Create the schema with `etl init` (and the source data with `etl seed`).',
};

/** Any other mapped driver error: which service said what, with the password scrubbed. */
export function driverError(
  kind: DriverErrorKind,
  service: ServiceName,
  endpoint: string,
  reason: string,
  options: { cause?: unknown; secrets?: readonly string[]; code?: string } = {},
): DriverError {
  const hint = HINTS[kind];
  return new DriverError(
    kind,
    service,
    `${SERVICE_LABELS[service]} at ${endpoint}: ${redact(reason, options.secrets)}`,
    {
      cause: options.cause,
      ...(hint === undefined ? {} : { hint }),
      ...(options.code === undefined ? {} : { code: options.code }),
    },
  );
}

/** Network-level failures every Node driver reports the same way. */
const NETWORK_CODES: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ETIMEDOUT: 'connection timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  EPIPE: 'connection closed',
};

export function networkReason(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && code in NETWORK_CODES) return NETWORK_CODES[code];
  // AggregateError from happy-eyeballs connects carries the codes of each attempt.
  const inner = (error as { errors?: unknown[] } | null)?.errors;
  if (Array.isArray(inner)) {
    for (const e of inner) {
      const reason = networkReason(e);
      if (reason !== undefined) return reason;
    }
  }
  const message = error instanceof Error ? error.message : '';
  if (/timeout|timed out/i.test(message)) return 'connection timed out';
  if (/Connection terminated|not queryable/i.test(message)) return 'connection closed by the server';
  return undefined;
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * A database driver's error, once its connector has named the kind (undefined: not one etl
 * knows, passed on as it is, which ends as "a bug in etl").
 */
export function databaseError(
  service: Extract<ServiceName, 'postgres' | 'mysql'>,
  endpoint: DatabaseEndpoint,
  error: unknown,
  kind: DriverErrorKind | undefined,
  code: string | undefined,
): Error {
  const options = {
    cause: error,
    secrets: endpoint.password === undefined ? [] : [endpoint.password],
    ...(code === undefined ? {} : { code }),
  };
  switch (kind) {
    case undefined:
      return error instanceof Error ? error : new Error(messageOf(error));
    case 'unreachable':
      return unreachable(service, endpoint.display, networkReason(error) ?? messageOf(error), options);
    case 'authentication': {
      const setting = SETTINGS[SETTING_OF[service]];
      const who = `${SERVICE_LABELS[service]} at ${endpoint.display} refused user "${endpoint.user}"`;
      return new DriverError(kind, service, `${who}: wrong password or no access`, {
        hint: `Fix the user or password in --${setting.flag} / ${setting.env}.`,
        cause: error,
        ...(code === undefined ? {} : { code }),
      });
    }
    default:
      return driverError(kind, service, endpoint.display, messageOf(error), options);
  }
}
