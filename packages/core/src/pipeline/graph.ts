/**
 * The pipeline as a task graph: which tasks exist, what each waits for, which to run.
 */
import { UsageError } from '../errors.js';
import { closest } from '../suggest.js';

export interface TaskSpec<Name extends string = TaskName> {
  readonly name: Name;
  readonly dependsOn: readonly Name[];
  readonly description: string;
  /** Runs only when named in --only (change data capture keeps a slot on the server). */
  readonly optional?: boolean;
}

/** The pipeline's tasks; "task" in etl means one of these and nothing else. */
export const TASK_NAMES = [
  'init',
  'seed',
  'produce',
  'stream',
  'replicate',
  'replicate-events',
  'marts',
  'verify',
  'cdc-capture',
  'cdc-apply',
] as const;
export type TaskName = (typeof TASK_NAMES)[number];

/** init → seed → replicate → marts → verify, and produce → stream → replicate of kafka_events. */
export const PIPELINE_TASKS: readonly TaskSpec[] = [
  { name: 'init', dependsOn: [], description: 'create databases and schemas' },
  { name: 'seed', dependsOn: ['init'], description: 'generate the shop in PostgreSQL' },
  { name: 'produce', dependsOn: ['seed'], description: 'send user-activity events to Kafka' },
  { name: 'stream', dependsOn: ['produce'], description: 'load the events into PostgreSQL' },
  { name: 'replicate', dependsOn: ['seed'], description: 'copy the shop tables to MySQL' },
  { name: 'replicate-events', dependsOn: ['stream', 'replicate'], description: 'copy kafka_events to MySQL' },
  { name: 'marts', dependsOn: ['replicate'], description: 'build the sales marts' },
  { name: 'verify', dependsOn: ['marts', 'replicate-events'], description: 'prove the replicas equal' },
  {
    name: 'cdc-capture',
    dependsOn: ['seed'],
    description: 'send the changes in the WAL to Kafka (drain)',
    optional: true,
  },
  { name: 'cdc-apply', dependsOn: ['cdc-capture'], description: 'apply captured changes to MySQL', optional: true },
];

const list = (raw: string | undefined): string[] =>
  (raw ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');

function check(names: readonly string[], flag: string): void {
  const known: readonly string[] = TASK_NAMES;
  const unknown = names.filter((n) => !known.includes(n));
  if (unknown.length > 0) {
    const hints = unknown.map((n) => {
      const s = closest(n, known);
      return s === undefined ? `"${n}"` : `"${n}" (did you mean ${s}?)`;
    });
    throw new UsageError(`${flag}: unknown task ${hints.join(', ')}; tasks are ${known.join(', ')}`);
  }
}

/** Every task downstream of `name` (itself included). */
function downstream(name: string, tasks: readonly TaskSpec[]): Set<string> {
  const out = new Set<string>([name]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const t of tasks) {
      if (!out.has(t.name) && t.dependsOn.some((d) => out.has(d))) {
        out.add(t.name);
        grew = true;
      }
    }
  }
  return out;
}

/**
 * `--only a,b` runs just those; `--from t` runs t and everything after it; `--skip a,b` leaves
 * those out. Tasks not selected are taken as done: their dependents do not wait for them.
 */
export function selectTasks(options: {
  readonly only?: string | undefined;
  readonly skip?: string | undefined;
  readonly from?: string | undefined;
}): TaskSpec[] {
  const tasks = PIPELINE_TASKS;
  const only = list(options.only);
  const skip = list(options.skip);
  const from = options.from === undefined ? [] : [options.from];
  check(only, '--only');
  check(skip, '--skip');
  check(from, '--from');
  if (only.length > 0 && from.length > 0) throw new UsageError('--only and --from cannot go together');
  let selected = tasks.filter((t) => t.optional !== true || only.includes(t.name)).map((t) => t.name);
  if (only.length > 0) selected = selected.filter((n) => only.includes(n));
  if (from[0] !== undefined) {
    const after = downstream(from[0], tasks);
    selected = selected.filter((n) => after.has(n));
  }
  selected = selected.filter((n) => !skip.includes(n));
  if (selected.length === 0) throw new UsageError('no task left to run (check --only, --skip and --from)');
  const chosen = new Set(selected);
  return tasks
    .filter((t) => chosen.has(t.name))
    .map((t) => ({ ...t, dependsOn: t.dependsOn.filter((d) => chosen.has(d)) }));
}
