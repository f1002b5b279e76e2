/**
 * Bad input, table-driven: each case exits 2 with one line naming the flag, before anything
 * reaches a service. Every URL points at a port where nothing listens, so a command that tried
 * to connect would exit 3 instead. The generated cases (one per option flag of every command)
 * run inside this process, one after another (in-process.ts); the hand-written ones run the
 * binary as a user would, and a sample of the generated ones runs both ways to show they agree.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runEtlInProcess } from '../testing/in-process.js';
import { ETL_BIN, runEtl, type EtlRun } from '../testing/run-etl.js';

const nowhere = {
  ETL_PG_URL: 'postgres://etl:etl@127.0.0.1:1/etl',
  ETL_MYSQL_URL: 'mysql://etl:etl@127.0.0.1:1/etl',
  ETL_KAFKA_BROKERS: '127.0.0.1:1',
};
const long = 'x'.repeat(300);
const scratch = mkdtempSync(join(tmpdir(), 'etl-bad-input-'));
writeFileSync(join(scratch, 'a-file'), '');

const CASES: readonly (readonly [args: string[], flag: string])[] = [
  [['stream', '--group', ''], '--group'],
  [['stream', '--group', 'a;b'], '--group'],
  [['stream', '--group', '`id`'], '--group'],
  [['stream', '--group', '$(touch /tmp/etl-pwned)'], '--group'],
  [['stream', '--group', 'with space'], '--group'],
  [['stream', '--group', long], '--group'],
  [['stream', 'status', '--group', "it's"], '--group'],
  [['pipeline', '--group', ''], '--group'],
  [['pipeline', '--report', '/nonexistent/dir/run.json'], '--report'],
  [['pipeline', '--report', scratch], '--report'],
  [['pipeline', '--report', join(scratch, 'a-file', 'run.json')], '--report'],
  [['seed', '--orders', 'abc'], '--orders'],
  [['seed', '--orders', '-5'], '--orders'],
  [['seed', '--seed', '1e999'], '--seed'],
  [['produce', '--topic', 'a;b'], '--topic'],
  [['produce', '--topic', long], '--topic'],
  [['replicate', '--tables', 'a.b.c'], '--tables'],
  [['replicate', '--mask', 'users.'], '--mask'],
  [['pipeline', '--every', '5 parsecs'], '--every'],
  [['pipeline', '--cron', '* * *'], '--cron'],
  [['ui', '--port', '70000'], '--port'],
  [['doctor', '--pg-url', 'http://x'], '--pg-url'],
];

/**
 * Hostile and malformed values for every kind of option flag. Each (command, flag) pair of the
 * manifest gets one of its kind's values (a different one for each pair, so together they cover
 * them all); a new flag of no kind fails the test below until it gets one.
 */
const HOSTILE: Readonly<Record<string, readonly string[]>> = {
  identifier: ['a;b', '`id`', '$(touch /tmp/etl-pwned)', 'with space', "it's", long],
  names: ['users;drop', '`id`', '$(id)', 'a b', long],
  // Any name PostgreSQL allows is a table etl can be asked for (odd names are carried, see
  // own-database.integration.test.ts); what no table can be called is refused before connecting.
  patterns: ['a.b.c', '"unclosed', long, '.x', 'sales.', '!'],
  masks: ['nodot', '.x', 'users.', long],
  integer: ['abc', '-5', '1e999', '99999999999999999999', '1.5'],
  duration: ['5 parsecs', '-1s', 'abc'],
  cron: ['* * *', '61 * * * *', '$(id) * * * *'],
  url: ['http://x', 'postgres://etl:etl@127.0.0.1:1/a;b', long],
  brokers: ['host-without-port', '127.0.0.1:99999', 'a;b:1'],
  path: ['/nonexistent/dir/run.json'],
  host: ['a;b', '$(id)', long],
  choice: ['both', "full'; drop"],
};
const KIND: Readonly<Record<string, keyof typeof HOSTILE>> = {
  'pg-url': 'url',
  'mysql-url': 'url',
  'kafka-brokers': 'brokers',
  topic: 'identifier',
  'cdc-topic-prefix': 'identifier',
  'topic-prefix': 'identifier',
  'cdc-group': 'identifier',
  group: 'identifier',
  only: 'names',
  skip: 'names',
  from: 'names',
  tables: 'patterns',
  mask: 'masks',
  unmask: 'masks',
  'order-by': 'names',
  retries: 'integer',
  users: 'integer',
  products: 'integer',
  orders: 'integer',
  seed: 'integer',
  events: 'integer',
  count: 'integer',
  rate: 'integer',
  partitions: 'integer',
  concurrency: 'integer',
  'chunk-rows': 'integer',
  'batch-size': 'integer',
  limit: 'integer',
  port: 'integer',
  backoff: 'duration',
  every: 'duration',
  cron: 'cron',
  report: 'path',
  config: 'path',
  project: 'path',
  select: 'names',
  exclude: 'names',
  'metrics-port': 'integer',
  'metrics-host': 'host',
  'log-format': 'choice',
  host: 'host',
  mode: 'choice',
};
interface ManifestCommand {
  readonly flags: Record<string, { readonly type: string }>;
  readonly args?: Record<string, { readonly required?: boolean }>;
}
const manifest = JSON.parse(readFileSync(join(ETL_BIN, '..', '..', 'oclif.manifest.json'), 'utf8')) as {
  commands: Record<string, ManifestCommand>;
};
/** What a command needs besides the flag under test: its arguments and required flags. */
const required: Readonly<Record<string, readonly string[]>> = {
  'marts:show': ['sales_daily'],
  'runs:show': ['1'],
  'cdc:resnapshot': ['--tables', 'orders'],
};
const pairs = Object.entries(manifest.commands).flatMap(([id, command]) =>
  Object.entries(command.flags)
    .filter(([, f]) => f.type === 'option')
    .map(([flag]) => ({ id, flag })),
);
const GENERATED = pairs.map(({ id, flag }, i) => {
  const values = HOSTILE[KIND[flag] ?? ''] ?? [''];
  const value = values[i % values.length] ?? '';
  return {
    title: `${id} --${flag} ${value.slice(0, 24)}`,
    args: [
      ...id.split(':'),
      ...((required[id] ?? []).includes(`--${flag}`) ? [] : (required[id] ?? [])),
      `--${flag}`,
      value,
    ],
    flag: `--${flag}`,
  };
});

/** The command exits 2 with exactly one `Error:` line, and that line names the flag. */
async function refusedNaming(args: readonly string[], flag: string, how: 'process' | 'in-process'): Promise<void> {
  const run = how === 'process' ? await runEtl(args, { env: nowhere }) : await runEtlInProcess(args, nowhere);
  const lines = run.stderr.trim().split('\n');
  expect(run.code, run.stderr).toBe(2);
  expect(lines[0], run.stderr).toMatch(/^Error: /);
  expect(lines[0], run.stderr).toContain(flag);
  expect(lines.filter((l) => l.startsWith('Error: '))).toHaveLength(1);
  expect(run.stderr).not.toMatch(/bug in etl|unexpected failure/);
}

describe('bad input', () => {
  it('knows a kind of hostile value for every option flag of every command', () => {
    expect(pairs.filter(({ flag }) => KIND[flag] === undefined).map((p) => `${p.id} --${p.flag}`)).toEqual([]);
    expect(pairs.length).toBeGreaterThan(100);
  });

  it.each(GENERATED)('etl $title exits 2 naming $flag', async ({ args, flag }) => {
    await refusedNaming(args, flag, 'in-process');
  });

  it('prints the same refusal in-process as the binary does', async () => {
    const sample = GENERATED.filter((_, i) => i % 17 === 0);
    const strip = ({ code, stdout, stderr }: EtlRun) => ({ code, stdout, stderr });
    const spawned = await Promise.all(sample.map(({ args }) => runEtl(args, { env: nowhere })));
    for (const [i, { args }] of sample.entries()) {
      expect(strip(await runEtlInProcess(args, nowhere)), args.join(' ')).toEqual(strip(spawned[i] as EtlRun));
    }
  });

  it.each([
    [['marts', 'show', 'sales_daily;drop'], 'mart'],
    [['runs', 'show', 'abc'], 'id'],
  ])('etl %j exits 2 naming its argument %s', async (args, name) => {
    const run = await runEtl(args, { env: nowhere });
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr.split('\n')[0]).toMatch(new RegExp(`^Error: .*${name}`));
  });

  const table = CASES.map(([args, flag]) => ({ title: args.join(' ').slice(0, 60), args, flag }));
  it.concurrent.each(table)('etl $title exits 2 naming $flag, and touches no service', async ({ args, flag }) => {
    await refusedNaming(args, flag, 'process');
  });

  it('refuses a .env with a broken line, naming the file and line but not its content', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'etl-bad-env-'));
    writeFileSync(join(cwd, '.env'), 'ETL_TOPIC=events\nETL_PG_URL postgres://etl:hunter2@127.0.0.1:1/etl\n');
    const run = await runEtl(['doctor'], { cwd, env: nowhere });
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr.split('\n')[0]).toBe(`Error: ${join(cwd, '.env')} line 2 is not KEY=value`);
    expect(run.stderr + run.stdout).not.toContain('hunter2');
  });
});
