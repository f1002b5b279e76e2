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

export type ErrorKind = 'bug' | 'usage' | 'unreachable' | 'data-check' | 'busy' | 'interrupted';

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

/** A service (PostgreSQL, MySQL, Kafka) could not be reached or refused us. Exit 3. */
export class ServiceUnreachableError extends EtlError {
  readonly kind = 'unreachable';
  readonly exitCode = ExitCode.unreachable;
  readonly service: string;

  constructor(service: string, message: string, options: EtlErrorOptions = {}) {
    super(message, options);
    this.service = service;
  }
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

/** The user interrupted the run (SIGINT/SIGTERM). Exit 130. */
export class InterruptedError extends EtlError {
  readonly kind = 'interrupted';
  readonly exitCode = ExitCode.interrupted;
}

/** Something that should never happen: a defect in etl itself. Exit 1. */
export class BugError extends EtlError {
  readonly kind = 'bug';
  readonly exitCode = ExitCode.bug;
}

export function isEtlError(error: unknown): error is EtlError {
  return error instanceof EtlError;
}

const TRANSIENT_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT',
  '40001', '40P01', '55P03', '57P01', '57P03', '53300', '08006', '08003', '08001',
  'ER_LOCK_DEADLOCK', 'ER_LOCK_WAIT_TIMEOUT', 'PROTOCOL_CONNECTION_LOST',
]);

/** Connection refused or reset, deadlock, lock timeout, broker not available: worth another try. */
export function isTransient(error: unknown): boolean {
  if (error instanceof ServiceUnreachableError) return true;
  if (error instanceof EtlError) return false;
  for (let e: unknown = error, depth = 0; e !== undefined && e !== null && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && TRANSIENT_CODES.has(code)) return true;
    const name = (e as { name?: unknown }).name;
    if (typeof name === 'string' && /KafkaJS(Connection|BrokerNotFound|NumberOfRetriesExceeded|LockTimeout)/.test(name)) return true;
    if (/Connection terminated|deadlock|lock wait timeout|broker not available/i.test((e as Error).message ?? '')) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}
