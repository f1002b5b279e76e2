/**
 * `--log-format json`: every line etl writes to stderr is one JSON object with time, level and
 * message (and the fields of its event), errors carry their kind and exit code, and no password
 * appears in any of it.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { throwawayDatabases } from '@etl/connectors/testing';
import { etlEnv, runEtl } from '../testing/run-etl.js';

const dbs = throwawayDatabases();
afterAll(() => dbs.drop());
const env = etlEnv(dbs);

function lines(stderr: string): Record<string, unknown>[] {
  return stderr
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      try {
        return JSON.parse(l) as Record<string, unknown>;
      } catch {
        throw new Error(`not a JSON line: ${l}`);
      }
    });
}

describe('etl --log-format json', () => {
  it('logs a command’s steps as JSON lines, with their fields', async () => {
    expect((await runEtl(['seed', '--users', '20', '--products', '5', '--orders', '10'], { env })).code).toBe(0);
    const run = await runEtl(['replicate', '--tables', 'users,products', '--log-format', 'json'], { env });
    expect(run.code, run.stderr).toBe(0);
    const logged = lines(run.stderr);
    expect(logged.length).toBeGreaterThan(0);
    for (const l of logged) {
      expect(typeof l['time']).toBe('string');
      expect(Number.isNaN(Date.parse(String(l['time'])))).toBe(false);
      expect(['info', 'warn', 'error']).toContain(l['level']);
      expect(typeof l['message']).toBe('string');
    }
    const done = logged.filter((l) => l['event'] === 'done');
    expect(done.length).toBeGreaterThan(0);
    expect(typeof done[0]?.['seconds']).toBe('number');
    // The result stays on stdout, for people (or --json).
    expect(run.stdout).toContain('users');
  });

  it('logs an error with its kind and exit code, from the environment too, and never a password', async () => {
    const secret = 's3cr3t-Pa55';
    const run = await runEtl(['doctor'], {
      env: { ...env, ETL_LOG_FORMAT: 'json', ETL_PG_URL: `postgres://etl:${secret}@127.0.0.1:1/etl` },
    });
    expect(run.code).not.toBe(0);
    const logged = lines(run.stderr);
    expect(run.stderr).not.toContain(secret);
    expect(logged.some((l) => l['level'] === 'error')).toBe(true);
    const bad = await runEtl(['replicate', '--log-format', 'json', '--mode', 'sideways'], { env });
    expect(bad.code).toBe(2);
    const [error] = lines(bad.stderr).filter((l) => l['level'] === 'error');
    expect(String(error?.['message'])).toContain('--mode');
    const failed = await runEtl(['marts', '--log-format', 'json', '--select', 'nope'], { env });
    expect(failed.code).toBe(2);
    expect(lines(failed.stderr)).toContainEqual(
      expect.objectContaining({ level: 'error', kind: 'usage', exitCode: 2 }),
    );
  });
});
