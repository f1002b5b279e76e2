import { describe, expect, it } from 'vitest';
import { BusyError, DataCheckError, DriverError, ServiceUnreachableError, UsageError } from '../errors.js';
import { PIPELINE_TASKS, selectTasks } from './graph.js';
import { isTransient } from '../errors.js';
import type { RunRecorder, TaskRecord } from '../ports/index.js';
import { PipelineFailedError, runPipeline, withPipelineLock } from './job.js';
import { parseCron, parseEvery, runOnSchedule } from './schedule.js';

describe('selectTasks', () => {
  const names = (o: Parameters<typeof selectTasks>[0]) => selectTasks(o).map((t) => t.name);
  it('runs everything by default', () => {
    expect(names({})).toEqual(PIPELINE_TASKS.filter((t) => t.optional !== true).map((t) => t.name));
    expect(names({ only: 'cdc-capture,cdc-apply' })).toEqual(['cdc-capture', 'cdc-apply']);
  });
  it('supports --only, --skip and --from', () => {
    expect(names({ only: 'seed,replicate' })).toEqual(['seed', 'replicate']);
    expect(selectTasks({ only: 'seed,replicate' }).find((t) => t.name === 'replicate')?.dependsOn).toEqual(['seed']);
    expect(names({ from: 'replicate' })).toEqual(['replicate', 'replicate-events', 'marts', 'verify']);
    expect(names({ skip: 'produce,stream' })).toEqual([
      'init',
      'seed',
      'replicate',
      'replicate-events',
      'marts',
      'verify',
    ]);
  });
  it('names unknown tasks', () => {
    expect(() => selectTasks({ only: 'sed' })).toThrow(/--only: unknown task "sed" \(did you mean seed\?\)/);
    expect(() => selectTasks({ skip: PIPELINE_TASKS.map((t) => t.name).join(',') })).toThrow(UsageError);
  });
});

function recorder(): RunRecorder & { log: TaskRecord[] } {
  const log: TaskRecord[] = [];
  return { log, start: async () => 7, task: async (_, r) => void log.push(r), finish: async () => {} };
}
const run = { now: () => 0, clock: () => new Date(0), sleep: async () => {} };
const tasks = [
  { name: 'a', dependsOn: [], description: '' },
  { name: 'b', dependsOn: ['a'], description: '' },
  { name: 'c', dependsOn: [], description: '' },
  { name: 'd', dependsOn: ['b', 'c'], description: '' },
];

describe('runPipeline', () => {
  it('runs dependencies first and reports every task', async () => {
    const order: string[] = [];
    const work = Object.fromEntries(tasks.map((t) => [t.name, async () => (order.push(t.name), { rows: 1 })]));
    const report = await runPipeline(tasks, work, recorder(), { retries: 0, backoffMs: 1, command: 'test' }, run);
    expect(report.status).toBe('succeeded');
    expect(order.indexOf('a')).toBeLessThan(order.indexOf('b'));
    expect(order.at(-1)).toBe('d');
    expect(report.tasks.map((t) => t.status)).toEqual(['succeeded', 'succeeded', 'succeeded', 'succeeded']);
  });
  it('skips the dependents of a failed task while independent tasks finish', async () => {
    const work = {
      a: async () => Promise.reject(new DataCheckError('bad data')),
      b: async () => ({}),
      c: async () => ({}),
      d: async () => ({}),
    };
    const error = await runPipeline(tasks, work, recorder(), { retries: 2, backoffMs: 1, command: 'test' }, run).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(PipelineFailedError);
    const report = (error as PipelineFailedError).report;
    expect(Object.fromEntries(report.tasks.map((t) => [t.task, t.status]))).toEqual({
      a: 'failed',
      b: 'skipped',
      c: 'succeeded',
      d: 'skipped',
    });
    expect(report.tasks[0]?.attempts).toBe(1);
  });
  it('retries transient failures with exponential backoff', async () => {
    let calls = 0;
    const waits: number[] = [];
    const work = {
      a: async () => {
        if (++calls < 3) throw new ServiceUnreachableError('postgres', 'connection reset');
        return { rows: 5 };
      },
      b: async () => ({}),
      c: async () => ({}),
      d: async () => ({}),
    };
    const report = await runPipeline(
      tasks,
      work,
      recorder(),
      { retries: 2, backoffMs: 100, command: 'test' },
      { ...run, sleep: async (ms) => void waits.push(ms) },
    );
    expect(report.tasks[0]).toMatchObject({ status: 'succeeded', attempts: 3, rows: 5 });
    expect(waits).toEqual([100, 200]);
  });
  it('knows which failures are transient, from the driver error kind alone', () => {
    expect(isTransient(new DriverError('transient', 'postgres', 'deadlock detected', { code: '40P01' }))).toBe(true);
    expect(isTransient(new ServiceUnreachableError('mysql', 'connection lost'))).toBe(true);
    expect(isTransient(new DriverError('missing-table', 'postgres', 'relation "users" does not exist'))).toBe(false);
    expect(isTransient(new DriverError('constraint-violation', 'mysql', 'duplicate entry'))).toBe(false);
    // A raw driver error means a connector failed to map it: not retried.
    expect(isTransient(Object.assign(new Error('Connection terminated unexpectedly'), { code: 'ECONNRESET' }))).toBe(
      false,
    );
    expect(isTransient(new DataCheckError('mart failed'))).toBe(false);
    expect(isTransient(new UsageError('bad flag'))).toBe(false);
    expect(isTransient(new Error('syntax error'))).toBe(false);
  });
});

describe('schedules', () => {
  it('parses intervals', () => {
    expect(parseEvery('15m')).toBe(900_000);
    expect(parseEvery('2h')).toBe(7_200_000);
    expect(() => parseEvery('soon')).toThrow(/not a duration/);
  });
  it('finds the next cron time in UTC', () => {
    const at = (iso: string) => new Date(iso);
    expect(parseCron('*/15 * * * *').next(at('2025-01-01T10:07:30Z')).toISOString()).toBe('2025-01-01T10:15:00.000Z');
    expect(parseCron('0 3 * * *').next(at('2025-01-01T10:07:00Z')).toISOString()).toBe('2025-01-02T03:00:00.000Z');
    expect(parseCron('30 9 * * 1-5').next(at('2025-01-04T00:00:00Z')).toISOString()).toBe('2025-01-06T09:30:00.000Z');
    expect(parseCron('0 0 1 * *').next(at('2025-01-15T00:00:00Z')).toISOString()).toBe('2025-02-01T00:00:00.000Z');
  });
  it('rejects malformed expressions', () => {
    expect(() => parseCron('* * *')).toThrow(/5 fields/);
    expect(() => parseCron('61 * * * *')).toThrow(/out of range/);
    expect(() => parseCron('a * * * *')).toThrow(/not a valid minute/);
  });
});

describe('withPipelineLock', () => {
  const lock = (held: boolean) => {
    const log: string[] = [];
    return {
      log,
      lock: async (wait: boolean) => {
        log.push(wait ? 'wait' : 'try');
        if (held && !wait) return undefined;
        return async () => void log.push('release');
      },
    };
  };
  it('refuses at once with BusyError (exit 75) when another run holds the lock', async () => {
    const l = lock(true);
    const error = await withPipelineLock(
      l,
      false,
      () => {},
      async () => 'ran',
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BusyError);
    expect(l.log).toEqual(['try']);
  });
  it('waits for the lock when asked, and always releases it', async () => {
    const l = lock(true);
    let waited = false;
    await expect(
      withPipelineLock(
        l,
        true,
        () => (waited = true),
        async () => Promise.reject(new Error('x')),
      ),
    ).rejects.toThrow('x');
    expect(waited).toBe(true);
    expect(l.log).toEqual(['try', 'wait', 'release']);
  });
});

describe('runOnSchedule', () => {
  it('runs one at a time on the schedule until stopped, keeping the reports of failed runs', async () => {
    let now = 0;
    let runs = 0;
    const waits: number[] = [];
    const results = await runOnSchedule(
      (started) => started + 60_000,
      async () => {
        runs++;
        now += 5_000;
        if (runs === 2) throw Object.assign(new Error('failed'), { report: 'report 2' });
        return `report ${runs}`;
      },
      {
        clock: () => now,
        sleep: async (ms) => void (waits.push(ms), (now += ms)),
        stopped: () => runs >= 3,
        resultOf: (error) => (error as { report?: string }).report,
      },
    );
    expect(results).toEqual(['report 1', 'report 2', 'report 3']);
    expect(waits).toEqual([55_000, 55_000]);
  });
});
