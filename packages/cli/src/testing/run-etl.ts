/**
 * Runs the built `etl` binary as a user would, in a clean environment and a scratch
 * directory, and captures what it prints.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

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
