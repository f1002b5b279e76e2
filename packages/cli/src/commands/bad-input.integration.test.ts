/**
 * Bad input, table-driven: each case exits 2 with one line naming the flag, before anything
 * reaches a service. Every URL points at a port where nothing listens, so a command that tried
 * to connect would exit 3 instead.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runEtl } from '../testing/run-etl.js';

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
  [['replicate', '--tables', 'users;drop'], '--tables'],
  [['replicate', '--mask', '`id`.x'], '--mask'],
  [['pipeline', '--every', '5 parsecs'], '--every'],
  [['pipeline', '--cron', '* * *'], '--cron'],
  [['ui', '--port', '70000'], '--port'],
  [['doctor', '--pg-url', 'http://x'], '--pg-url'],
];

describe('bad input', () => {
  const table = CASES.map(([args, flag]) => ({ title: args.join(' ').slice(0, 60), args, flag }));
  it.each(table)('etl $title exits 2 naming $flag, and touches no service', async ({ args, flag }) => {
    const run = await runEtl(args, { env: nowhere });
    const lines = run.stderr.trim().split('\n');
    expect(run.code, run.stderr).toBe(2);
    expect(lines[0], run.stderr).toMatch(/^Error: /);
    expect(lines[0], run.stderr).toContain(flag);
    expect(lines.filter((l) => l.startsWith('Error: '))).toHaveLength(1);
    expect(run.stderr).not.toMatch(/bug in etl|unexpected failure/);
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
