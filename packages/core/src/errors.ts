/**
 * One error hierarchy for the whole project. Each kind says whose fault it is and carries
 * the exit code DESIGN.md documents. Only the CLI's top level turns an error into an exit
 * code; nothing below it prints or exits.
 */

export const ExitCode = {
  ok: 0,
  bug: 1,
  usage: 2,
  unreachable: 3,
  dataCheck: 4,
  /** Another pipeline holds the lock (EX_TEMPFAIL: try again later). */
  busy: 75,
  interrupted: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export type ErrorKind = 'bug' | 'usage' | 'unreachable' | 'data-check' | 'busy';

export interface EtlErrorOptions {
  /** What the user should do next, one sentence. */
  hint?: string;
  cause?: unknown;
}

export abstract class EtlError extends Error {
  abstract readonly kind: ErrorKind;
  abstract readonly exitCode: ExitCode;
  readonly hint: string | undefined;

  constructor(message: string, options: EtlErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.hint = options.hint;
  }
}

/** Bad flags, arguments or configuration: the user's input. Exit 2. */
export class UsageError extends EtlError {
  readonly kind = 'usage';
  readonly exitCode = ExitCode.usage;
}

/** One entry of a configuration problem list: which setting, and what is wrong with it. */
export interface ConfigProblem {
  /** The flag, e.g. `--pg-url`. */
  flag: string;
  /** The environment variable, e.g. `ETL_PG_URL`. */
  env: string;
  message: string;
}

/** Every configuration problem at once, each naming its flag and variable. Exit 2. */
export class ConfigError extends UsageError {
  readonly problems: readonly ConfigProblem[];

  constructor(problems: readonly ConfigProblem[], options: EtlErrorOptions = {}) {
    super(problems.map((p) => `${p.flag} / ${p.env}: ${p.message}`).join('\n'), {
      hint: 'Fix the flag, the environment variable or the .env file named above.',
      ...options,
    });
    this.problems = problems;
  }
}

/**
 * What went wrong in a call to a database or broker, as its connector maps the driver's own
 * error (in the spirit of Prisma's driver adapters). Core decides retries and exit codes from
 * the kind alone; the driver's code is kept for --debug.
 */
export type DriverErrorKind =
  /** The service cannot be reached, went away, or is shutting down. */
  | 'unreachable'
  /** Wrong user or password. */
  | 'authentication'
  /** The user may not do this (a missing grant). */
  | 'permission'
  /** Worth another try: deadlock, serialization failure, lock timeout. */
  | 'transient'
  /** A table the work needs does not exist yet. */
  | 'missing-table'
  /** A key or reference the data breaks. */
  | 'constraint-violation'
  /** A value the database refuses (bad text, out of range). */
  | 'invalid-value';

const DRIVER_OUTCOME: Readonly<Record<DriverErrorKind, { readonly kind: ErrorKind; readonly exitCode: ExitCode }>> = {
  unreachable: { kind: 'unreachable', exitCode: ExitCode.unreachable },
  authentication: { kind: 'usage', exitCode: ExitCode.usage },
  permission: { kind: 'usage', exitCode: ExitCode.usage },
  transient: { kind: 'unreachable', exitCode: ExitCode.unreachable },
  'missing-table': { kind: 'data-check', exitCode: ExitCode.dataCheck },
  'constraint-violation': { kind: 'data-check', exitCode: ExitCode.dataCheck },
  'invalid-value': { kind: 'data-check', exitCode: ExitCode.dataCheck },
};

export interface DriverErrorOptions extends EtlErrorOptions {
  /** The driver's own code (SQLSTATE, MySQL error name, Kafka error type). */
  code?: string;
}

export class DriverError extends EtlError {
  readonly kind: ErrorKind;
  readonly exitCode: ExitCode;
  readonly code: string | undefined;

  constructor(
    readonly driverKind: DriverErrorKind,
    /** postgres, mysql or kafka. */
    readonly service: string,
    message: string,
    options: DriverErrorOptions = {},
  ) {
    super(message, options);
    this.kind = DRIVER_OUTCOME[driverKind].kind;
    this.exitCode = DRIVER_OUTCOME[driverKind].exitCode;
    this.code = options.code;
  }
}

/** A service (PostgreSQL, MySQL, Kafka) could not be reached or went away. Exit 3. */
export class ServiceUnreachableError extends DriverError {
  constructor(service: string, message: string, options: DriverErrorOptions = {}) {
    super('unreachable', service, message, options);
  }
}

export function isDriverError(error: unknown, kind: DriverErrorKind): error is DriverError {
  return error instanceof DriverError && error.driverKind === kind;
}

/** The data failed a check (a mart test, a verify mismatch, a missing prerequisite). Exit 4. */
export class DataCheckError extends EtlError {
  readonly kind = 'data-check';
  readonly exitCode = ExitCode.dataCheck;
}

/** Another run holds a lock this one needs. Exit 75. */
export class BusyError extends EtlError {
  readonly kind = 'busy';
  readonly exitCode = ExitCode.busy;
}

/** Something that should never happen: a defect in etl itself. Exit 1. */
export class BugError extends EtlError {
  readonly kind = 'bug';
  readonly exitCode = ExitCode.bug;
}

export function isEtlError(error: unknown): error is EtlError {
  return error instanceof EtlError;
}

/** Worth another try: the service went away, or a deadlock, serialization failure or lock timeout. */
export function isTransient(error: unknown): boolean {
  return isDriverError(error, 'unreachable') || isDriverError(error, 'transient');
}
