/**
 * The pages, rendered on the server. Each view runs one query (or a fixed few) whose cost
 * depends on the page size, not on the length of the history; a panel whose service is down
 * says so and the rest of the page still renders.
 */
import { html } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import type { DeadLetterView, ReplicationStateView, RunDetail } from '@etl/connectors';
import {
  formatBytes,
  PIPELINE_TASKS,
  SERVICE_LABELS,
  type CdcStatus,
  type DoctorReport,
  type StreamStatus,
  type TaskRecord,
} from '@etl/core';
import { bars, gantt, lineage } from './svg.js';
import type { MartsOverview } from './data.js';
import { cut, duration, scriptJson, visibleBytes } from './safe.js';

type Html = HtmlEscapedString | Promise<HtmlEscapedString>;
export type Panel<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string };

const fmt = (n: number | string) => Number(n).toLocaleString('en-US');

/** Pages whose data moves without a pipeline run (lag, positions) refresh at every poll, not only on a new run. */
const ALWAYS_LIVE = new Set(['/stream', '/cdc']);

export function layout(title: string, active: string, strip: Html, body: Html): Html {
  const nav = [
    ['/', 'Runs'],
    ['/stream', 'Stream'],
    ['/cdc', 'CDC'],
    ['/marts', 'Marts'],
  ] as const;
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${title} · etl</title>
        <link rel="icon" href="data:," />
        <link rel="stylesheet" href="/assets/style.css" />
        <link rel="stylesheet" href="/assets/uplot.css" />
        <script src="/assets/uplot.js" defer></script>
        <script src="/assets/app.js" defer></script>
      </head>
      <body>
        <header>
          <a class="brand" href="/">etl</a>
          <nav>
            ${nav.map(
              ([href, label]) => html`<a href="${href}" class="${href === active ? 'active' : ''}">${label}</a>`,
            )}
          </nav>
          <span id="live" class="live" title="Updates itself while this tab is visible">live</span>
        </header>
        <div id="strip">${strip}</div>
        <main id="main" data-live="${ALWAYS_LIVE.has(active) ? 'always' : 'on-change'}">${body}</main>
      </body>
    </html>`;
}

function down(what: string, error: string): Html {
  return html`<p class="down" role="alert">${what} is not available: ${error}</p>`;
}

/** Each service's health (cached doctor probe, row counts from estimates) and the total stream lag. */
export function strip(health: Panel<DoctorReport>, stream: Panel<StreamStatus>): Html {
  const services = health.ok
    ? health.value.services.map((s) => {
        const tables = Object.entries(s.tables);
        const rows = tables.reduce((n, [, count]) => n + count, 0);
        const detail = tables.map(([name, count]) => `${name}: ~${fmt(count)}`).join(', ');
        const title = `${s.endpoint}${s.error === null ? '' : `: ${s.error}`}${detail === '' ? '' : ` — ${detail}`}`;
        const size = tables.length > 0 ? ` · ~${fmt(rows)} rows` : '';
        const state = s.status === 'up' ? `${s.latencyMs} ms${size}` : 'down';
        return html`<span class="service ${s.status}" title="${title}">${SERVICE_LABELS[s.service]} ${state}</span>`;
      })
    : [down('Health', health.error)];
  const lag = stream.ok
    ? html`<span class="service up">stream lag ${fmt(stream.value.lag)}</span>`
    : html`<span class="service down" title="${stream.error}">stream lag unknown</span>`;
  return html`<div class="strip">${services} ${lag}</div>`;
}

const cellTitle = (t: TaskRecord | undefined) =>
  t === undefined ? 'not run' : `${t.task}: ${t.status}, ${duration(t.seconds)}, ${t.attempts} attempt(s)`;

/** The runs grid: the newest runs as columns (oldest left), the pipeline's tasks as rows. */
export function runsView(page: Panel<RunDetail[]>, pageSize: number): Html {
  if (!page.ok) return down('The run history (PostgreSQL)', page.error);
  const runs = [...page.value].reverse();
  if (runs.length === 0)
    return html`<h1>Runs</h1>
      <p>No pipeline run yet: run <code>etl pipeline</code>.</p>`;
  const oldest = runs[0]?.runId;
  return html`<h1>Runs</h1>
    <table class="grid" data-runs="${runs.length}">
      <thead>
        <tr>
          <th>task</th>
          ${runs.map(
            (r) =>
              html`<th><a href="/runs/${r.runId}" class="run ${r.status}" title="${r.startedAt}">${r.runId}</a></th>`,
          )}
        </tr>
      </thead>
      <tbody>
        ${PIPELINE_TASKS.filter(
          // Optional tasks (change data capture) get a row once a run in view has run them.
          (spec) => spec.optional !== true || runs.some((r) => r.taskRecords.some((t) => t.task === spec.name)),
        ).map(
          (spec) =>
            html`<tr data-task="${spec.name}">
              <th title="${spec.description}">${spec.name}</th>
              ${runs.map((r) => {
                const t = r.taskRecords.find((x) => x.task === spec.name);
                return html`<td>
                  <a
                    href="/runs/${r.runId}"
                    class="cell ${t?.status ?? 'none'}"
                    data-status="${t?.status ?? 'none'}"
                    title="${cellTitle(t)}"
                    ><span class="sr">${t?.status ?? 'not run'}</span></a
                  >
                </td>`;
              })}
            </tr>`,
        )}
      </tbody>
    </table>
    <p class="legend">
      <span class="cell succeeded"></span> succeeded <span class="cell failed"></span> failed
      <span class="cell running"></span> running <span class="cell skipped"></span> skipped
      <span class="cell none"></span> not run
    </p>
    ${
      page.value.length === pageSize && oldest !== undefined
        ? html`<p><a class="older" href="/?before=${oldest}">Older runs →</a></p>`
        : ''
    }`;
}

/** One run: a Gantt chart of its tasks and a table of them. */
export function runView(run: Panel<RunDetail | undefined>, id: number, now: number): Html {
  if (!run.ok) return down('The run history (PostgreSQL)', run.error);
  const r = run.value;
  if (r === undefined)
    return html`<h1>Run ${id}</h1>
      <p>There is no run ${id}. <a href="/">All runs</a></p>`;
  return html`<h1>Run ${r.runId} <span class="status ${r.status}">${r.status}</span></h1>
    <p class="meta">
      Started ${r.startedAt}${r.seconds === null ? '' : `, ${duration(r.seconds)}`} · <code>${r.command}</code>
    </p>
    ${r.error === null ? '' : html`<p class="error">Error: ${r.error}</p>`}
    ${r.taskRecords.some((t) => t.startedAt !== null) ? gantt(r.taskRecords, now) : ''}
    <table class="tasks">
      <thead>
        <tr>
          <th>task</th>
          <th>status</th>
          <th>attempts</th>
          <th>seconds</th>
          <th>rows</th>
          <th>message</th>
        </tr>
      </thead>
      <tbody>
        ${r.taskRecords.map((t) => {
          const message = cut(t.message ?? '');
          return html`<tr class="${t.status}">
            <td>${t.task}</td>
            <td>${t.status}</td>
            <td>${t.attempts}</td>
            <td>${t.seconds === null ? '-' : t.seconds.toFixed(2)}</td>
            <td>${t.rows === null ? '-' : fmt(t.rows)}</td>
            <td>
              ${
                message.long
                  ? html`<details>
                      <summary>${message.short}</summary>
                      <pre>${t.message}</pre>
                    </details>`
                  : message.short
              }
            </td>
          </tr>`;
        })}
      </tbody>
    </table>`;
}

export function streamView(
  status: Panel<StreamStatus>,
  dead: Panel<DeadLetterView[]>,
  replication: Panel<ReplicationStateView[]>,
): Html {
  return html`<h1>Stream</h1>
    ${
      status.ok
        ? html`<p>
              Topic <code>${status.value.topic}</code>, group <code>${status.value.group}</code>: total lag
              ${fmt(status.value.lag)}.
            </p>
            <table class="partitions">
              <thead>
                <tr>
                  <th>partition</th>
                  <th>end offset</th>
                  <th>stored offset</th>
                  <th>lag</th>
                </tr>
              </thead>
              <tbody>
                ${status.value.partitions.map(
                  (p) =>
                    html`<tr>
                      <td>${p.partition}</td>
                      <td>${fmt(p.endOffset)}</td>
                      <td>${p.storedOffset === null ? '-' : fmt(p.storedOffset)}</td>
                      <td>${fmt(p.lag)}</td>
                    </tr>`,
                )}
              </tbody>
            </table>`
        : down('The stream status (Kafka or PostgreSQL)', status.error)
    }
    <h2>Latest dead letters</h2>
    ${
      dead.ok
        ? dead.value.length === 0
          ? html`<p>None.</p>`
          : html`<table class="dead">
              <thead>
                <tr>
                  <th>when</th>
                  <th>partition</th>
                  <th>offset</th>
                  <th>reason</th>
                  <th>key</th>
                  <th>value</th>
                </tr>
              </thead>
              <tbody>
                ${dead.value.map(
                  (d) =>
                    html`<tr>
                      <td>${d.failedAt}</td>
                      <td>${d.partition}</td>
                      <td>${d.offset}</td>
                      <td>${d.reason}</td>
                      <td><code>${visibleBytes(d.key, 80)}</code></td>
                      <td>
                        <code>${visibleBytes(d.value)}</code
                        >${d.valueBytes > 300 ? html` <small>(${fmt(d.valueBytes)} bytes)</small>` : ''}
                      </td>
                    </tr>`,
                )}
              </tbody>
            </table>`
        : down('The dead letters (PostgreSQL)', dead.error)
    }
    <h2>Replication</h2>
    ${
      replication.ok
        ? replication.value.length === 0
          ? html`<p>Nothing replicated yet: run <code>etl replicate</code>.</p>`
          : html`<table class="replication">
              <thead>
                <tr>
                  <th>table</th>
                  <th>mode</th>
                  <th>watermark (UTC)</th>
                  <th>rows copied</th>
                  <th>rows in MySQL</th>
                  <th>masked</th>
                  <th>when (UTC)</th>
                </tr>
              </thead>
              <tbody>
                ${replication.value.map(
                  (s) =>
                    html`<tr>
                      <td>${s.table}</td>
                      <td>${s.mode}</td>
                      <td>${s.watermark}</td>
                      <td>${fmt(s.rows)}</td>
                      <td>${fmt(s.targetRows)}</td>
                      <td>${s.masked.join(', ') || '-'}</td>
                      <td>${s.replicatedAt}</td>
                    </tr>`,
                )}
              </tbody>
            </table>`
        : down('The replication state (MySQL)', replication.error)
    }`;
}

/** A chart of a model the page draws (its schema.yml's meta.page), with the rows `etl marts show` gives. */
export interface MartChart {
  readonly model: string;
  readonly kind: 'line' | 'bars';
  readonly measure: string;
  readonly label: string;
  readonly rows: readonly Record<string, string | number | null>[];
}

export interface MartsData {
  readonly overview: MartsOverview;
  readonly charts: readonly MartChart[];
}

/** Epoch seconds of MySQL's date or datetime text, else the number itself. */
function xValue(value: unknown): number {
  if (typeof value === 'number') return value;
  const text = String(value);
  const parsed = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(text) ? `${text}T00:00:00Z` : `${text.replace(' ', 'T')}Z`);
  return Number.isNaN(parsed) ? Number(text) : parsed / 1000;
}

export function martsView(marts: Panel<MartsData>): Html {
  if (!marts.ok)
    return html`<h1>Marts</h1>
      ${down('The marts (MySQL)', marts.error)}`;
  const { overview, charts } = marts.value;
  const builds = new Map(overview.builds.map((b) => [b.model, b]));
  const models = overview.project.models;
  const built = models.filter((m) => builds.get(m.name)?.builtAt != null);
  let line = 0;
  return html`<h1>Marts</h1>
    <p>
      ${models.length} models from
      ${overview.project.root}${built.length === 0 ? html`; none built yet: run <code>etl marts</code>.` : ''}
    </p>
    <table class="models">
      <thead>
        <tr>
          <th>model</th>
          <th>materialized</th>
          <th>last build</th>
          <th class="num">rows</th>
          <th class="num">tests passed</th>
          <th class="num">failed</th>
          <th>status</th>
        </tr>
      </thead>
      <tbody>
        ${models.map((m) => {
          const b = builds.get(m.name);
          return html`<tr data-model="${m.name}" data-status="${b?.status ?? 'never'}">
            <td title="${m.description}">${m.name}</td>
            <td>${m.materialized}</td>
            <td>${b?.builtAt == null ? '-' : b.builtAt.replace('T', ' ').replace(/\.\d+Z$/, ' UTC')}</td>
            <td class="num">${b?.rows == null || m.materialized === 'view' ? '-' : fmt(b.rows)}</td>
            <td class="num">${b === undefined ? '-' : fmt(b.testsPassed)}</td>
            <td class="num">
              ${b === undefined ? '-' : fmt(b.testsFailed)}${
                b !== undefined && b.testsWarned > 0 ? html` (${fmt(b.testsWarned)} warned)` : ''
              }
            </td>
            <td title="${b?.message ?? ''}">
              <span class="status ${b?.status ?? ''}">${b?.status ?? 'never built'}</span>
            </td>
          </tr>`;
        })}
      </tbody>
    </table>
    <h2>Lineage</h2>
    ${lineage(models, builds)}
    ${charts.map((chart) => {
      if (chart.kind === 'line') {
        const series = {
          x: chart.rows.map((r) => xValue(r[chart.label])),
          y: chart.rows.map((r) => Number(r[chart.measure])),
          label: chart.measure,
        };
        const n = line++;
        return html`<h2>${chart.model}: ${chart.measure} by ${chart.label}</h2>
          <div
            class="chart"
            data-model="${chart.model}"
            data-source="line-data-${n}"
            data-points="${series.x.length}"
          ></div>
          <script type="application/json" id="line-data-${n}">
            ${scriptJsonRaw(series)}
          </script>`;
      }
      return html`<h2>${chart.model}: ${chart.measure} by ${chart.label}</h2>
        ${bars(
          chart.rows.map((r) => ({
            label: r[chart.label] === null ? '-' : String(r[chart.label]),
            value: Number(r[chart.measure]),
          })),
          `${chart.measure} by ${chart.label}`,
        )}`;
    })}`;
}

/** JSON for a data script tag: already safe (scriptJson), so not escaped again. */
function scriptJsonRaw(value: unknown): HtmlEscapedString {
  const text = new String(scriptJson(value)) as HtmlEscapedString;
  text.isEscaped = true;
  return text;
}

/** `etl cdc status`: the slot, each captured table's snapshot, applied position and lag, and each partition's lag. */
export function cdcView(status: Panel<CdcStatus>): Html {
  if (!status.ok) return down('The change data capture status (PostgreSQL, MySQL or Kafka)', status.error);
  const s = status.value;
  const slot =
    s.slot === null
      ? html`<p class="slot" data-slot="none">Slot <code>${s.slotName}</code>: none (WAL at ${s.currentLsn}).</p>`
      : html`<p class="slot" data-slot="${s.slot.active ? 'active' : 'inactive'}">
          Slot <code>${s.slotName}</code>: <strong>${s.slot.active ? 'active' : 'inactive'}</strong>, confirmed
          ${s.slot.confirmedLsn ?? '-'}, retains
          <span data-retained="${s.slot.retainedBytes}">${formatBytes(s.slot.retainedBytes)}</span>
          of WAL, wal_status ${s.slot.walStatus ?? '-'} (WAL at ${s.currentLsn}).
          ${s.slot.walStatus === 'lost' ? html`<strong class="down">Run <code>etl cdc reset</code>.</strong>` : ''}
        </p>`;
  if (!s.capturing)
    return html`<h1>Change data capture</h1>
      <p>Nothing is captured: run <code>etl cdc capture</code> to start.</p>
      ${slot}`;
  return html`<h1>Change data capture</h1>
    <p>Capture epoch <code>${s.epoch}</code>.</p>
    ${slot}
    <h2>Tables</h2>
    <table class="cdc-tables">
      <thead>
        <tr>
          <th>table</th>
          <th>source</th>
          <th>snapshot</th>
          <th>applied LSN</th>
          <th>committed at (UTC)</th>
          <th>lag s</th>
          <th>lag WAL</th>
          <th>lag records</th>
        </tr>
      </thead>
      <tbody>
        ${s.tables.map(
          (t) =>
            html`<tr data-table="${t.table}" data-lag-records="${t.lagRecords}">
              <td>${t.table}</td>
              <td>${t.source}</td>
              <td class="${t.snapshot}">${t.snapshot}</td>
              <td>${t.appliedLsn ?? '-'}</td>
              <td>${t.appliedCommitAt ?? '-'}</td>
              <td>${t.lagSeconds === null ? '?' : t.lagSeconds.toFixed(1)}</td>
              <td>${formatBytes(t.lagBytes)}</td>
              <td>${fmt(t.lagRecords)}</td>
            </tr>`,
        )}
      </tbody>
    </table>
    <h2>Kafka partitions</h2>
    <table class="partitions">
      <thead>
        <tr>
          <th>topic</th>
          <th>partition</th>
          <th>end offset</th>
          <th>applied offset</th>
          <th>lag</th>
        </tr>
      </thead>
      <tbody>
        ${s.partitions.map(
          (p) =>
            html`<tr data-topic="${p.topic}" data-partition="${p.partition}">
              <td>${p.topic}</td>
              <td>${p.partition}</td>
              <td>${fmt(p.endOffset)}</td>
              <td>${p.appliedOffset === null ? '-' : fmt(p.appliedOffset)}</td>
              <td>${fmt(p.lag)}</td>
            </tr>`,
        )}
      </tbody>
    </table>`;
}
