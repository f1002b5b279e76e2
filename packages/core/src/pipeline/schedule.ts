/**
 * Schedules for `etl pipeline --every 15m` and `--cron "*\/15 * * * *"`: when is the next run.
 */
import { UsageError } from '../errors.js';

/** `90s`, `15m`, `2h`, `1d` → milliseconds (at least one second). */
export function parseEvery(text: string): number {
  const match = /^(\d+)\s*(s|m|h|d)$/.exec(text.trim());
  const units = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
  if (match === null) throw new UsageError(`--every: "${text}" is not a duration like 30s, 15m, 2h or 1d`);
  const ms = Number(match[1]) * units[match[2] as keyof typeof units];
  if (ms < 1_000) throw new UsageError('--every: the interval must be at least 1s');
  return ms;
}

const FIELDS = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12 },
  { name: 'day of week', min: 0, max: 7 },
] as const;

export interface CronSchedule {
  readonly expression: string;
  /** The first matching minute strictly after `from` (UTC). */
  next(from: Date): Date;
}

function parseField(text: string, field: (typeof FIELDS)[number]): Set<number> | null {
  if (text === '*') return null;
  const values = new Set<number>();
  for (const part of text.split(',')) {
    const m = /^(\*|\d+)(?:-(\d+))?(?:\/(\d+))?$/.exec(part);
    if (m === null) throw new UsageError(`--cron: "${part}" is not a valid ${field.name}`);
    const from = m[1] === '*' ? field.min : Number(m[1]);
    const to = m[2] !== undefined ? Number(m[2]) : m[1] === '*' || m[3] !== undefined ? field.max : from;
    const step = m[3] === undefined ? 1 : Number(m[3]);
    if (from < field.min || to > field.max || from > to || step < 1) {
      throw new UsageError(`--cron: "${part}" is out of range for ${field.name} (${field.min}-${field.max})`);
    }
    for (let v = from; v <= to; v += step) values.add(field.name === 'day of week' && v === 7 ? 0 : v);
  }
  return values;
}

/** Five fields: minute hour day-of-month month day-of-week, in UTC. */
export function parseCron(expression: string): CronSchedule {
  const parts = expression.trim().split(/\s+/);
  if (parts.length !== 5)
    throw new UsageError(`--cron: "${expression}" needs 5 fields (minute hour day-of-month month day-of-week)`);
  const [minute, hour, dom, month, dow] = parts.map((p, i) => parseField(p, FIELDS[i] as (typeof FIELDS)[number]));
  const has = (set: Set<number> | null | undefined, v: number) => set === null || set === undefined || set.has(v);
  return {
    expression,
    next(from: Date): Date {
      const t = new Date(from.getTime());
      t.setUTCSeconds(0, 0);
      for (let i = 0; i < 366 * 24 * 60; i++) {
        t.setUTCMinutes(t.getUTCMinutes() + 1);
        if (!has(minute, t.getUTCMinutes()) || !has(hour, t.getUTCHours()) || !has(month, t.getUTCMonth() + 1))
          continue;
        // As cron does: when both day fields are restricted, either may match.
        const domOk = has(dom, t.getUTCDate());
        const dowOk = has(dow, t.getUTCDay());
        const dayOk =
          dom !== null && dow !== null
            ? (dom?.has(t.getUTCDate()) ?? false) || (dow?.has(t.getUTCDay()) ?? false)
            : domOk && dowOk;
        if (dayOk) return new Date(t.getTime());
      }
      throw new UsageError(`--cron: "${expression}" never matches`);
    },
  };
}

/** When the next run starts, given when the last one started (ms since the epoch). */
export type NextRun = (lastStartedAt: number) => number;

/** Pure: the schedule of `--every` (an interval in ms) or `--cron` (an expression), or none. */
export function scheduleOf(
  every: number | undefined,
  cron: CronSchedule | undefined,
  now: () => Date,
): NextRun | undefined {
  if (every !== undefined) return (started) => started + every;
  if (cron !== undefined) return () => cron.next(now()).getTime();
  return undefined;
}

export interface ScheduleRun<R> {
  readonly clock: () => number;
  /** Waits `ms`, or less when stopped meanwhile. */
  readonly sleep: (ms: number) => Promise<void>;
  readonly stopped: () => boolean;
  readonly onWaiting?: (next: Date) => void;
  readonly onRun?: (outcome: { readonly result: R } | { readonly error: Error }) => void;
  /** The result a failed run still carries (the pipeline's report), if any. */
  readonly resultOf?: (error: unknown) => R | undefined;
}

/**
 * Runs `once` on the schedule, one run at a time (never overlapping), until stopped; a failed
 * run does not end the schedule. Returns every run's result.
 */
export async function runOnSchedule<R>(next: NextRun, once: () => Promise<R>, run: ScheduleRun<R>): Promise<R[]> {
  const results: R[] = [];
  let at = run.clock();
  while (!run.stopped()) {
    const wait = at - run.clock();
    if (wait > 0) {
      run.onWaiting?.(new Date(at));
      await run.sleep(wait);
    }
    if (run.stopped()) break;
    const startedAt = run.clock();
    try {
      const result = await once();
      results.push(result);
      run.onRun?.({ result });
    } catch (error) {
      const carried = run.resultOf?.(error);
      if (carried !== undefined) results.push(carried);
      run.onRun?.({ error: error instanceof Error ? error : new Error(String(error)) });
    }
    at = next(startedAt);
  }
  return results;
}
