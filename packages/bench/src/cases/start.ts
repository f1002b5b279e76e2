/**
 * How fast the CLI starts: `etl --version` and `etl seed --help` beside `node -e 0`, each run
 * as a new process many times (the median counts). No service is needed.
 */
import { spawnSync } from 'node:child_process';
import { ETL_BIN } from '@etl/cli/testing';
import type { BenchCase } from '../case.js';

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

/** Median wall time of `node args…` in ms, after one warm-up run. */
function timeNode(args: readonly string[], runs: number): number {
  const times: number[] = [];
  for (let i = 0; i <= runs; i++) {
    const started = performance.now();
    const child = spawnSync(process.execPath, args, { stdio: 'ignore' });
    if (child.status !== 0) throw new Error(`node ${args.join(' ')} exited ${child.status}`);
    if (i > 0) times.push(performance.now() - started);
  }
  return median(times);
}

export const start: BenchCase = {
  name: 'start',
  description: 'CLI start: etl --version and etl seed --help vs node -e 0 (goal ≤ 3×)',
  async run({ size, log }) {
    const runs = size ?? 15;
    log(`start: each command ${runs} times`);
    const bare = timeNode(['-e', '0'], runs);
    const version = timeNode([ETL_BIN, '--version'], runs);
    const help = timeNode([ETL_BIN, 'seed', '--help'], runs);
    const slowest = Math.max(version, help);
    return {
      unit: 'starts',
      goal: 1 / 3,
      ours: {
        label: `the slower of etl --version and etl seed --help (median of ${runs})`,
        count: 1,
        seconds: slowest / 1000,
      },
      limit: { label: `node -e 0 (median of ${runs})`, count: 1, seconds: bare / 1000 },
      notes: [
        `node -e 0: ${bare.toFixed(0)} ms`,
        `etl --version: ${version.toFixed(0)} ms = ${(version / bare).toFixed(2)}× node -e 0 (goal ≤ 3×)`,
        `etl seed --help: ${help.toFixed(0)} ms = ${(help / bare).toFixed(2)}× node -e 0 (goal ≤ 3×)`,
      ],
    };
  },
};
