/**
 * `etl seed` options: parsed and checked all at once, each problem naming its flag.
 */
import { UsageError } from '../errors.js';

export interface SeedOptions {
  readonly users: number;
  readonly products: number;
  readonly orders: number;
  readonly seed: number;
  readonly reset: boolean;
  /** Ids per transaction; only speed and crash granularity depend on it, never the rows. */
  readonly batchSize: number;
  /** Batches loaded at once, each on its own connection. */
  readonly concurrency: number;
}

export const SEED_DEFAULTS = {
  users: 1000,
  products: 200,
  orders: 10_000,
  seed: 42,
  batchSize: 50_000,
  concurrency: 2,
} as const;

export const SEED_LIMITS = {
  users: 100_000_000,
  products: 10_000_000,
  orders: 200_000_000,
  batchSize: 1_000_000,
  concurrency: 16,
} as const;

export interface RawSeedOptions {
  readonly users?: string | undefined;
  readonly products?: string | undefined;
  readonly orders?: string | undefined;
  readonly seed?: string | undefined;
  readonly batchSize?: string | undefined;
  readonly concurrency?: string | undefined;
  readonly reset?: boolean | undefined;
}

export interface FlagProblem {
  readonly flag: string;
  readonly message: string;
}

function wholeNumber(
  flag: string,
  raw: string | undefined,
  fallback: number,
  min: number,
  max: number,
  problems: FlagProblem[],
): number {
  if (raw === undefined) return fallback;
  const text = raw.trim().replace(/_/g, '');
  if (!/^-?\d+$/.test(text)) {
    problems.push({ flag, message: `must be a whole number, got "${raw}"` });
    return fallback;
  }
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    problems.push({
      flag,
      message: `must be between ${min.toLocaleString('en-US')} and ${max.toLocaleString('en-US')}, got ${raw}`,
    });
    return fallback;
  }
  return value;
}

export function parseSeedOptions(raw: RawSeedOptions): { options: SeedOptions | undefined; problems: FlagProblem[] } {
  const problems: FlagProblem[] = [];
  const users = wholeNumber('--users', raw.users, SEED_DEFAULTS.users, 0, SEED_LIMITS.users, problems);
  const products = wholeNumber('--products', raw.products, SEED_DEFAULTS.products, 0, SEED_LIMITS.products, problems);
  const orders = wholeNumber('--orders', raw.orders, SEED_DEFAULTS.orders, 0, SEED_LIMITS.orders, problems);
  const seed = wholeNumber('--seed', raw.seed, SEED_DEFAULTS.seed, 0, Number.MAX_SAFE_INTEGER, problems);
  const batchSize = wholeNumber(
    '--batch-size',
    raw.batchSize,
    SEED_DEFAULTS.batchSize,
    1,
    SEED_LIMITS.batchSize,
    problems,
  );
  const concurrency = wholeNumber(
    '--concurrency',
    raw.concurrency,
    SEED_DEFAULTS.concurrency,
    1,
    SEED_LIMITS.concurrency,
    problems,
  );
  if (problems.length === 0 && orders > 0) {
    if (users === 0)
      problems.push({ flag: '--users', message: `must be at least 1 when --orders is ${orders} (orders need users)` });
    if (products === 0)
      problems.push({
        flag: '--products',
        message: `must be at least 1 when --orders is ${orders} (orders need products)`,
      });
  }
  if (problems.length > 0) return { options: undefined, problems };
  return { options: { users, products, orders, seed, batchSize, concurrency, reset: raw.reset === true }, problems };
}

export function flagProblemsError(problems: readonly FlagProblem[]): UsageError {
  return new UsageError(problems.map((p) => `${p.flag}: ${p.message}`).join('\n'), {
    hint: 'See `etl seed --help`.',
  });
}
