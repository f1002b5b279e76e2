import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunReport } from '@etl/core';
import { withMysql, withPostgres, type RunDetail, type RunSummary } from '@etl/connectors';
import { throwawayDatabases } from '@etl/connectors/testing';
import { ETL_BIN, etlEnv, runEtl, scratchDir } from '../testing/run-etl.js';

const created: ReturnType<typeof throwawayDatabases>[] = [];
afterAll(async () => {
  for (const d of created) await d.drop();
});
function setup() {
  const dbs = throwawayDatabases();
  created.push(dbs);
  const env = etlEnv(dbs);
  return {
    dbs,
    env,
    etl: (args: string[], extra: Record<string, string> = {}) =>
      runEtl(args, { env: { ...env, ...extra }, timeoutMs: 180_000 }),
  };
}
const SMALL = ['--users', '200', '--products', '40', '--orders', '2000', '--events', '500'];
const statuses = (r: {
  tasks?: readonly { task: string; status: string }[];
  taskRecords?: readonly { task: string; status: string }[];
}) => Object.fromEntries((r.tasks ?? r.taskRecords ?? []).map((t) => [t.task, t.status]));
const start = (env: Record<string, string>, args: string[]): ChildProcess =>
  spawn(process.execPath, [ETL_BIN, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
const exited = (child: ChildProcess) =>
  new Promise<{ code: number | null; stderr: string }>((resolve) => {
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('close', (code) => resolve({ code, stderr }));
  });

describe('etl pipeline and etl runs', () => {
  const main = setup();

  it('runs the whole flow from empty databases, records it, and writes a report that matches the history', async () => {
    const dir = scratchDir();
    const run = await main.etl(['pipeline', ...SMALL, '--report', join(dir, 'run.json'), '--json']);
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as RunReport;
    expect(report.status).toBe('succeeded');
    expect(Object.values(statuses(report)).every((s) => s === 'succeeded')).toBe(true);
    const file = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as {
      run_id: number;
      status: string;
      results: { task: string; status: string; attempts: number; rows_affected: number | null }[];
    };
    const history = JSON.parse((await main.etl(['runs', 'show', String(report.runId), '--json'])).stdout) as RunDetail;
    expect(file.run_id).toBe(report.runId);
    expect(history.status).toBe('succeeded');
    expect(Object.fromEntries(file.results.map((r) => [r.task, [r.status, r.attempts, r.rows_affected]]))).toEqual(
      Object.fromEntries(history.taskRecords.map((t) => [t.task, [t.status, t.attempts, t.rows]])),
    );
    const marts = await withPostgres(main.dbs.pg, async (c) =>
      Number((await c.query<{ n: string }>('SELECT count(*) AS n FROM kafka_events')).rows[0]?.n),
    );
    expect(marts).toBe(500);
  });

  it('keeps a column masked by `etl replicate --mask` through every later pipeline run', async () => {
    const masked = await main.etl(['replicate', '--tables', 'users', '--mask', 'users.phone', '--json']);
    expect([masked.code, masked.stderr]).toEqual([0, '']);
    const phones = () =>
      withMysql(
        main.dbs.mysql,
        async (c) => (await c.query('SELECT phone FROM users WHERE phone IS NOT NULL'))[0] as { phone: string }[],
      );
    expect((await phones()).length).toBeGreaterThan(0);
    const run = await main.etl([
      'pipeline',
      '--users',
      '200',
      '--products',
      '40',
      '--orders',
      '2500',
      '--events',
      '500',
      '--json',
    ]);
    expect(run.code).toBe(0);
    const replicate = (JSON.parse(run.stdout) as RunReport).tasks.find((t) => t.task === 'replicate');
    expect(replicate?.message).toContain('users incremental');
    const after = await phones();
    expect(after.length).toBeGreaterThan(0);
    expect(after.every((r) => /^masked_[0-9a-f]{24}$/.test(r.phone))).toBe(true);
  });

  it('skips the dependents of a failed task while independent tasks finish, and exits with its code', async () => {
    const run = await main.etl(['pipeline', ...SMALL, '--retries', '0', '--json'], {
      ETL_KAFKA_BROKERS: '127.0.0.1:1',
    });
    expect(run.code).toBe(3);
    const report = JSON.parse(run.stdout) as RunReport;
    expect(statuses(report)).toEqual({
      init: 'succeeded',
      seed: 'succeeded',
      produce: 'failed',
      stream: 'skipped',
      replicate: 'succeeded',
      'replicate-events': 'skipped',
      marts: 'succeeded',
      verify: 'skipped',
    });
    expect(run.stderr).toContain('produce (Kafka at 127.0.0.1:1 could not be reached');
    const runs = JSON.parse((await main.etl(['runs', '--json'])).stdout) as RunSummary[];
    expect(runs[0]).toMatchObject({ runId: report.runId, status: 'failed', failed: 1 });
  });

  it('retries a task whose database connection is killed mid-way, and the run succeeds', async () => {
    const t = setup();
    expect((await t.etl(['init'])).code).toBe(0);
    const child = start(t.env, [
      'pipeline',
      '--only',
      'seed',
      '--users',
      '20000',
      '--products',
      '500',
      '--orders',
      '200000',
      '--backoff',
      '200',
      '--json',
    ]);
    const done = exited(child);
    let killed = 0;
    for (let i = 0; i < 300 && killed === 0; i++) {
      await new Promise((r) => setTimeout(r, 50));
      killed = await withPostgres(t.dbs.pg, async (c) =>
        Number(
          (
            await c.query<{ n: string }>(
              `SELECT count(pg_terminate_backend(pid)) AS n FROM pg_stat_activity
                WHERE datname = current_database() AND pid <> pg_backend_pid() AND query LIKE 'COPY "orders%'`,
            )
          ).rows[0]?.n,
        ),
      );
    }
    expect(killed).toBeGreaterThan(0);
    const { code } = await done;
    expect(code).toBe(0);
    const runs = JSON.parse((await t.etl(['runs', '--json'])).stdout) as RunSummary[];
    const detail = JSON.parse((await t.etl(['runs', 'show', String(runs[0]?.runId), '--json'])).stdout) as RunDetail;
    expect(detail.taskRecords).toEqual([expect.objectContaining({ task: 'seed', status: 'succeeded', attempts: 2 })]);
    const check = await withPostgres(
      t.dbs.pg,
      async (c) =>
        (
          await c.query<{ n: string; orphans: string }>(
            `SELECT (SELECT count(*) FROM orders) AS n, (SELECT count(*) FROM orders o WHERE NOT EXISTS (SELECT 1
              FROM orderdetails d WHERE d.order_id = o.order_id)) AS orphans`,
          )
        ).rows[0],
    );
    expect(check).toEqual({ n: '200000', orphans: '0' });
  });

  it('never overlaps: a second pipeline exits 75 at once, or waits with --wait', async () => {
    const t = setup();
    expect((await t.etl(['init'])).code).toBe(0);
    const args = ['pipeline', '--only', 'seed', '--users', '5000', '--products', '100', '--orders', '150000'];
    const first = start(t.env, args);
    const firstDone = exited(first);
    // Wait until the first holds the lock (it is seeding), however long a busy machine takes.
    let held = false;
    for (let i = 0; i < 1200 && !held; i++) {
      await new Promise((r) => setTimeout(r, 50));
      const seeding = await withPostgres(t.dbs.pg, async (c) =>
        Number(
          (
            await c.query<{ n: string }>(
              `SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid
                FROM pg_database WHERE datname = current_database())`,
            )
          ).rows[0]?.n,
        ),
      );
      held = seeding > 0;
    }
    expect(held).toBe(true);
    const second = await t.etl(args);
    const third = start(t.env, [...args, '--wait']);
    expect(second.code).toBe(75);
    expect(second.stderr).toContain('another etl pipeline is running against this database');
    expect((await firstDone).code).toBe(0);
    expect((await exited(third)).code).toBe(0);
    const n = await withPostgres(
      t.dbs.pg,
      async (c) => (await c.query<{ n: string }>('SELECT count(*) AS n FROM orders')).rows[0]?.n,
    );
    expect(n).toBe('150000');
  });

  it('runs on a schedule until SIGTERM, one run at a time', async () => {
    const child = start(main.env, ['pipeline', '--only', 'init', '--every', '1s', '--json']);
    const done = exited(child);
    // Two scheduled runs recorded, however long a busy machine takes to start the process.
    const succeeded = () =>
      withPostgres(main.dbs.pg, async (c) =>
        Number(
          (
            await c.query<{ n: string }>(
              `SELECT count(*) AS n FROM etl_state.runs WHERE command LIKE '%--every 1s%' AND status = 'succeeded'`,
            )
          ).rows[0]?.n,
        ),
      ).catch(() => 0);
    for (let i = 0; i < 600 && (await succeeded()) < 2; i++) await new Promise((r) => setTimeout(r, 100));
    child.kill('SIGTERM');
    expect((await done).code).toBe(0);
    const runs = JSON.parse((await main.etl(['runs', '--json', '--limit', '100'])).stdout) as RunSummary[];
    const scheduled = runs.filter((r) => r.command.includes('--every 1s'));
    expect(scheduled.length).toBeGreaterThanOrEqual(2);
    expect(scheduled.every((r) => r.status === 'succeeded')).toBe(true);
  });

  it('rejects unknown tasks and bad schedules with exit 2', async () => {
    const unknown = await main.etl(['pipeline', '--only', 'sed']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('did you mean seed?');
    expect((await main.etl(['pipeline', '--every', 'soon'])).code).toBe(2);
    expect((await main.etl(['pipeline', '--cron', '61 * * * *'])).code).toBe(2);
    expect((await main.etl(['runs', 'show', '999999'])).code).toBe(2);
  });
});
