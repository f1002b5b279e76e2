/**
 * Runs the built `etl` inside the test's own process: the same oclif entry point as bin/run.js,
 * without a new Node.js and a fresh load of every module for each case. For refusals that
 * happen before anything reaches a service (bad input); what needs a process of its own (a
 * .env in a working directory, signals, the exit of the process) goes through runEtl.
 *
 * Runs are one at a time: each swaps the environment and captures process.stdout/stderr.
 */
import { dirname, join } from 'node:path';
import { Config, Errors, run } from '@oclif/core';
import { ETL_BIN, type EtlRun } from './run-etl.js';

let config: Promise<Config> | undefined;
let queue: Promise<unknown> = Promise.resolve();

type Write = typeof process.stdout.write;

async function once(args: readonly string[], env: Record<string, string>): Promise<EtlRun> {
  config ??= Config.load(join(dirname(ETL_BIN), '..'));
  const loaded = await config;
  const savedEnv = { ...process.env };
  const savedExitCode = process.exitCode;
  const writes = {
    stdout: process.stdout.write.bind(process.stdout),
    stderr: process.stderr.write.bind(process.stderr),
  };
  let stdout = '';
  let stderr = '';
  const capture =
    (into: (text: string) => void): Write =>
    (chunk: unknown, ...rest: unknown[]) => {
      into(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString());
      const done = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
      done?.();
      return true;
    };
  for (const key of Object.keys(process.env)) if (key.startsWith('ETL_') || key === 'DEBUG') delete process.env[key];
  Object.assign(process.env, { NO_COLOR: '1' }, env);
  process.stdout.write = capture((t) => (stdout += t));
  process.stderr.write = capture((t) => (stderr += t));
  const started = Date.now();
  let code: number;
  try {
    await run([...args], loaded);
    code = typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof Errors.ExitError) code = error.oclif.exit ?? 1;
    else {
      // What bin/run.js's execute() would print for an error no command caught.
      stderr += `${error instanceof Error ? error.message : String(error)}\n`;
      code = (error as { oclif?: { exit?: number } }).oclif?.exit ?? 1;
    }
  } finally {
    process.stdout.write = writes.stdout;
    process.stderr.write = writes.stderr;
    process.exitCode = savedExitCode;
    for (const key of Object.keys(process.env)) if (!(key in savedEnv)) delete process.env[key];
    Object.assign(process.env, savedEnv);
  }
  return { code, stdout, stderr, ms: Date.now() - started };
}

/** `etl <args>` in this process, after every earlier in-process run has finished. */
export function runEtlInProcess(args: readonly string[], env: Record<string, string> = {}): Promise<EtlRun> {
  const next = queue.then(() => once(args, env));
  queue = next.catch(() => undefined);
  return next;
}
