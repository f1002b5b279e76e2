/**
 * `pnpm bench [case…] [--size N] [--json] [--list]`: runs benchmark cases against the running
 * services (the same configuration as etl: flags' variables, .env, defaults) and prints, per
 * case, etl's rate, the limit's rate measured in the same run, and their ratio.
 */
import { parseArgs } from 'node:util';
import { resolveConfig } from '@etl/core';
import { readDotenv } from '@etl/cli/env-file';
import { renderTable, isInteractive, writeLine } from '@etl/cli/output';
import { rate, type BenchCase, type BenchResult } from './case.js';
import { pgCopy } from './cases/pg-copy.js';
import { cdc } from './cases/cdc.js';
import { cdcLag } from './cases/cdc-lag.js';
import { cdcWide } from './cases/cdc-wide.js';
import { cdcMemory } from './cases/cdc-memory.js';
import { cdcPeer } from './cases/cdc-peer.js';
import { marts } from './cases/marts.js';
import { replicate } from './cases/replicate.js';
import { replicateWide } from './cases/replicate-wide.js';
import { seed } from './cases/seed.js';
import { stream } from './cases/stream.js';
import { start } from './cases/start.js';
import { ui } from './cases/ui.js';

/** Every case, in the order they run. Later issues add theirs here. */
export const CASES: readonly BenchCase[] = [
  seed,
  replicate,
  replicateWide,
  marts,
  stream,
  cdc,
  cdcLag,
  cdcWide,
  cdcMemory,
  cdcPeer,
  pgCopy,
  ui,
  start,
];

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    options: {
      size: { type: 'string' },
      scale: { type: 'string' },
      json: { type: 'boolean' },
      list: { type: 'boolean' },
    },
    allowPositionals: true,
  });
  if (values.list === true) {
    for (const c of CASES)
      writeLine(process.stdout, `${c.name.padEnd(16)} ${c.peer === true ? '[peer] ' : ''}${c.description}`);
    return 0;
  }
  const unknown = positionals.filter((p) => p !== 'peers' && !CASES.some((c) => c.name === p));
  if (unknown.length > 0) {
    writeLine(
      process.stderr,
      `Error: unknown benchmark ${unknown.join(', ')}; cases: ${CASES.map((c) => c.name).join(', ')}, peers`,
    );
    return 2;
  }
  const size = values.size === undefined ? undefined : Number(values.size);
  if (size !== undefined && (!Number.isSafeInteger(size) || size <= 0)) {
    writeLine(process.stderr, `Error: --size must be a positive whole number, got ${values.size}`);
    return 2;
  }
  const scale = values.scale === undefined ? undefined : Number(values.scale);
  if (scale !== undefined && (!Number.isSafeInteger(scale) || scale < 2 || scale > 100)) {
    writeLine(process.stderr, `Error: --scale must be a whole number from 2 to 100, got ${values.scale}`);
    return 2;
  }
  const { config, problems } = resolveConfig({ flags: {}, env: process.env, dotenv: readDotenv(process.cwd()) });
  if (config === undefined) {
    for (const p of problems) writeLine(process.stderr, `Error: ${p.env}: ${p.message}`);
    return 2;
  }
  // A plain `pnpm bench` runs etl's own cases; the peers (a JVM each, minutes) run when named.
  const selected =
    positionals.length === 0
      ? CASES.filter((c) => c.peer !== true)
      : CASES.filter((c) => positionals.includes(c.name) || (c.peer === true && positionals.includes('peers')));
  const results: { name: string; result: BenchResult }[] = [];
  for (const c of selected) {
    writeLine(process.stderr, `bench: ${c.name} — ${c.description}`);
    const result = await c.run({
      servers: { pgUrl: config.pg.url, mysqlUrl: config.mysql.url, kafkaBrokers: config.kafka.brokers },
      size,
      scale,
      log: (line) => writeLine(process.stderr, `  ${line}`),
    });
    results.push({ name: c.name, result });
  }
  if (values.json === true) {
    writeLine(
      process.stdout,
      JSON.stringify(
        results.map(({ name, result }) => ({
          case: name,
          ...result,
          oursRate: rate(result.ours),
          limitRate: rate(result.limit),
          ratio: rate(result.ours) / rate(result.limit),
        })),
        null,
        2,
      ),
    );
    return 0;
  }
  const rows = results.map(({ name, result }) => {
    const ratio = rate(result.ours) / rate(result.limit);
    return [
      name,
      `${fmt(result.ours.count)} ${result.unit}`,
      `${result.ours.seconds.toFixed(2)} s`,
      `${fmt(rate(result.ours))} ${result.unit}/s`,
      `${result.limit.seconds.toFixed(2)} s`,
      `${fmt(rate(result.limit))} ${result.unit}/s`,
      `${ratio.toFixed(2)}×${result.goal === undefined ? '' : ` (goal ≥ ${Number(result.goal.toFixed(2))}×)`}`,
    ];
  });
  writeLine(
    process.stdout,
    renderTable(
      ['case', 'size', 'etl', 'etl rate', 'limit', 'limit rate', 'ratio'],
      rows,
      isInteractive(process.stdout),
    ),
  );
  for (const { name, result } of results) {
    writeLine(process.stdout, `${name}: etl = ${result.ours.label}; limit = ${result.limit.label}`);
    for (const note of result.notes ?? []) writeLine(process.stdout, `${name}: ${note}`);
  }
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    writeLine(process.stderr, `Error: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  },
);
