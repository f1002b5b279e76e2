/**
 * Charts drawn on the server as SVG: the Gantt chart of a run, and horizontal bars. Every label
 * goes through hono's html escaping.
 */
import { html } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import type { TaskRecord } from '@etl/core';
import { duration } from './safe.js';

type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

const WIDTH = 720;
const LABEL = 140;
const ROW = 22;

/** One bar per task, from its start to its end, on the run's time axis; bar length = duration. */
export function gantt(tasks: readonly TaskRecord[], now: number): Html {
  const timed = tasks.filter((t) => t.startedAt !== null);
  const start = Math.min(...timed.map((t) => Date.parse(t.startedAt ?? '')));
  const end = Math.max(...timed.map((t) => (t.finishedAt === null ? now : Date.parse(t.finishedAt))), start + 1);
  const scale = (WIDTH - LABEL - 60) / (end - start);
  const height = tasks.length * ROW + 24;
  return html`<svg
    class="gantt"
    viewBox="0 0 ${WIDTH} ${height}"
    width="${WIDTH}"
    height="${height}"
    role="img"
    aria-label="Gantt chart of the run's tasks"
  >
    ${tasks.map((t, i) => {
      const y = i * ROW + 4;
      const from = t.startedAt === null ? null : Date.parse(t.startedAt);
      const to = t.finishedAt === null ? now : Date.parse(t.finishedAt);
      const x = from === null ? LABEL : LABEL + (from - start) * scale;
      const w = from === null ? 0 : Math.max(1, (to - from) * scale);
      return html`<g class="task ${t.status}" data-task="${t.task}" data-ms="${from === null ? 0 : to - from}">
        <text x="0" y="${y + 14}">${t.task}</text>
        <rect x="${x.toFixed(1)}" y="${y}" width="${w.toFixed(1)}" height="${ROW - 6}"
          ><title>${t.task}: ${t.status}, ${duration(t.seconds)}</title></rect
        >
        <text class="value" x="${(x + w + 4).toFixed(1)}" y="${y + 14}">${duration(t.seconds)}</text>
      </g>`;
    })}
    <text class="axis" x="${LABEL}" y="${height - 4}">0 s</text>
    <text class="axis" x="${WIDTH - 60}" y="${height - 4}" text-anchor="end">${duration((end - start) / 1000)}</text>
  </svg>`;
}

/** Horizontal bars, longest first, with the value written beside each. */
export function bars(rows: readonly { readonly label: string; readonly value: number }[], caption: string): Html {
  const max = Math.max(...rows.map((r) => r.value), 1);
  const height = rows.length * ROW + 8;
  const fmt = (n: number) => n.toLocaleString('en-US', { maximumFractionDigits: 2 });
  return html`<svg
    class="bars"
    viewBox="0 0 ${WIDTH} ${height}"
    width="${WIDTH}"
    height="${height}"
    role="img"
    aria-label="${caption}"
  >
    ${rows.map((r, i) => {
      const y = i * ROW + 4;
      const w = ((WIDTH - 260 - 110) * r.value) / max;
      return html`<g class="bar" data-label="${r.label}" data-value="${r.value}">
        <text x="0" y="${y + 14}">${r.label.length > 32 ? `${r.label.slice(0, 32)}…` : r.label}</text>
        <rect x="260" y="${y}" width="${w.toFixed(1)}" height="${ROW - 6}"
          ><title>${r.label}: ${fmt(r.value)}</title></rect
        >
        <text class="value" x="${(264 + w).toFixed(1)}" y="${y + 14}">${fmt(r.value)}</text>
      </g>`;
    })}
  </svg>`;
}
