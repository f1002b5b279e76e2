/**
 * Charts drawn on the server as SVG: the Gantt chart of a run, and horizontal bars. Every label
 * goes through hono's html escaping.
 */
import { html } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import type { Model, ModelBuildRecord, TaskRecord } from '@etl/core';
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

const NODE_W = 190;
const NODE_H = 26;
const COL_GAP = 70;
const ROW_GAP = 12;

/**
 * The lineage of a marts project: replicated tables (its sources) on the left, each model in the
 * column after everything it reads, an arrow from each table or model to each model reading it.
 */
export function lineage(models: readonly Model[], builds: ReadonlyMap<string, ModelBuildRecord>): Html {
  const names = new Set(models.map((m) => m.name));
  const depth = new Map<string, number>();
  for (const m of models) {
    // models come in dependency order: each one's refs already have a depth
    depth.set(m.name, 1 + Math.max(0, ...m.refs.filter((r) => names.has(r)).map((r) => depth.get(r) ?? 0)));
  }
  const sources = [...new Set(models.flatMap((m) => m.sources.map((s) => `${s.schema}.${s.table}`)))].sort();
  const columns: { id: string; label: string; kind: string; status: string }[][] = [
    sources.map((s) => ({ id: `source:${s}`, label: s, kind: 'source', status: '' })),
  ];
  for (const m of models) {
    const d = depth.get(m.name) ?? 1;
    while (columns.length <= d) columns.push([]);
    columns[d]?.push({
      id: m.name,
      label: m.name,
      kind: m.materialized,
      status: builds.get(m.name)?.status ?? 'never',
    });
  }
  const at = new Map<string, { x: number; y: number }>();
  columns.forEach((col, c) =>
    col.forEach((n, r) => at.set(n.id, { x: c * (NODE_W + COL_GAP) + 4, y: r * (NODE_H + ROW_GAP) + 4 })),
  );
  const width = columns.length * (NODE_W + COL_GAP) - COL_GAP + 8;
  const height = Math.max(1, ...columns.map((c) => c.length)) * (NODE_H + ROW_GAP) + 8;
  const edges = models.flatMap((m) => [
    ...m.refs.filter((r) => names.has(r)).map((r) => [r, m.name] as const),
    ...[...new Set(m.sources.map((s) => `source:${s.schema}.${s.table}`))].map((s) => [s, m.name] as const),
  ]);
  const cut = (t: string) => (t.length > 26 ? `${t.slice(0, 25)}…` : t);
  return html`<svg
    class="lineage"
    viewBox="0 0 ${width} ${height}"
    width="${width}"
    height="${height}"
    role="img"
    aria-label="Lineage: replicated tables to models"
  >
    <defs>
      <marker id="arrow" viewBox="0 0 8 8" refX="8" refY="4" markerWidth="6" markerHeight="6" orient="auto">
        <path d="M0,0 L8,4 L0,8 z" />
      </marker>
    </defs>
    ${edges.map(([from, to]) => {
      const a = at.get(from);
      const b = at.get(to);
      if (a === undefined || b === undefined) return '';
      const [x1, y1, x2, y2] = [a.x + NODE_W, a.y + NODE_H / 2, b.x, b.y + NODE_H / 2];
      const mid = (x1 + x2) / 2;
      return html`<path
        class="edge"
        data-from="${from}"
        data-to="${to}"
        marker-end="url(#arrow)"
        d="M${x1},${y1} C${mid},${y1} ${mid},${y2} ${x2},${y2}"
      />`;
    })}
    ${columns.flat().map((n) => {
      const p = at.get(n.id) ?? { x: 0, y: 0 };
      return html`<g class="node ${n.kind} ${n.status}" data-node="${n.id}">
        <rect x="${p.x}" y="${p.y}" width="${NODE_W}" height="${NODE_H}" rx="4"
          ><title>${n.label} (${n.kind}${n.status === '' ? '' : `, ${n.status}`})</title></rect
        >
        <text x="${p.x + 8}" y="${p.y + 17}">${cut(n.label)}</text>
      </g>`;
    })}
  </svg>`;
}
