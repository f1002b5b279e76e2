/**
 * A pipeline run's tasks as a table, the same in `etl pipeline` and `etl runs show`.
 */
import type { TaskRecord } from '@etl/core';
import { renderTable } from './output.js';

export function renderTaskTable(tasks: readonly TaskRecord[], interactive: boolean): string {
  const rows = tasks.map((t) => [
    t.task,
    t.status,
    t.attempts,
    t.seconds === null ? '-' : t.seconds.toFixed(2),
    t.rows,
    t.message,
  ]);
  return renderTable(['task', 'status', 'attempts', 'seconds', 'rows', 'message'], rows, interactive);
}
