/**
 * Runs the built `etl` binary as a user would, in a clean environment and a scratch
 * directory, and captures what it prints.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TEST_KAFKA_BROKERS, type ThrowawayDatabases } from '@etl/connectors/testing';

export const ETL_BIN = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'run.js');

export interface EtlRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

export interface RunOptions {
  readonly env?: Record<string, string>;
  /** Working directory; a fresh empty one by default (so no stray .env is read). */
  readonly cwd?: string;
  readonly timeoutMs?: number;
}

/** The environment that points etl at a test's throwaway databases, its own topic and its own consumer group. */
export function etlEnv(dbs: ThrowawayDatabases) {
  return {
    ETL_PG_URL: dbs.pg.url,
    ETL_MYSQL_URL: dbs.mysql.url,
    ETL_KAFKA_BROKERS: TEST_KAFKA_BROKERS.join(','),
    ETL_KAFKA_TOPIC: dbs.topic,
    ETL_STREAM_GROUP: dbs.topic,
    ETL_CDC_TOPIC_PREFIX: dbs.topic,
    ETL_CDC_GROUP: `${dbs.topic}_cdc`,
  };
}

export function scratchDir(): string {
  return mkdtempSync(join(tmpdir(), 'etl-test-'));
}

export function runEtl(args: readonly string[], options: RunOptions = {}): Promise<EtlRun> {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('ETL_') && k !== 'DEBUG'));
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [ETL_BIN, ...args], {
      cwd: options.cwd ?? scratchDir(),
      env: { ...base, NO_COLOR: '1', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Date.now() - started });
    });
  });
}

/** `etl … --json` through a test's own runner: its exit code, its parsed output (undefined when none), its stderr. */
export async function runJson<T>(
  etl: (args: string[]) => Promise<EtlRun>,
  args: readonly string[],
): Promise<{ code: number | null; body: T; stderr: string }> {
  const run = await etl([...args, '--json']);
  return { code: run.code, body: (run.stdout === '' ? undefined : JSON.parse(run.stdout)) as T, stderr: run.stderr };
}

/** `etl … --json` that must succeed: its parsed output, or an error naming the command, its exit code and stderr. */
export async function okJson<T>(etl: (args: string[]) => Promise<EtlRun>, args: readonly string[]): Promise<T> {
  const run = await etl([...args, '--json']);
  if (run.code !== 0) throw new Error(`etl ${args.join(' ')} exited ${run.code}: ${run.stderr}`);
  return JSON.parse(run.stdout) as T;
}
