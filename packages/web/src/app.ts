/**
 * The `etl ui` web app: read-only routes, each a function from a request to a response. HTML
 * views and the /api JSON come from the same PageData, the JSON in the shapes of the CLI's
 * --json. Only GET and HEAD; only requests addressed to the bound host; a strict CSP.
 */
import { Hono, type Context } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import { redact, SHOW_DEFAULT_LIMIT, UsageError, type ShowOptions } from '@etl/core';
import { asset } from './assets.js';
import { authorized, loginPage, sameSecret, SESSION_COOKIE, sessionValue } from './auth.js';
import type { PageData } from './data.js';
import {
  cdcView,
  layout,
  martsView,
  runView,
  runsView,
  streamView,
  strip,
  type MartChart,
  type MartsData,
  type Panel,
} from './views.js';

export interface AppOptions {
  /** Host names (with or without port) a request may be addressed to: the bound host and localhost. */
  readonly hosts: readonly string[];
  /** Passwords scrubbed from any error text shown. */
  readonly secrets: readonly string[];
  readonly now?: () => number;
  /** Every page and answer needs this token (a bearer header or the login form's cookie); none: open. */
  readonly token?: string;
  /** Prometheus' text format of this process (served at /metrics, behind the token like the rest). */
  readonly metrics?: () => Promise<{ readonly contentType: string; readonly text: string }>;
}

const PAGE_SIZE = 25;
const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS = {
  'Content-Security-Policy': CSP,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cache-Control': 'no-store',
};

/** `?before=123` or a path id: a whole number ≥ 1, else undefined. */
function id(text: string | undefined): number | undefined {
  if (text === undefined || !/^[1-9][0-9]{0,17}$/.test(text)) return undefined;
  return Number(text);
}

export function createApp(data: PageData, options: AppOptions): Hono {
  const app = new Hono();
  const now = options.now ?? (() => Date.now());
  const allowed = new Set(options.hosts.map((h) => h.toLowerCase()));
  const panel = async <T>(work: Promise<T>): Promise<Panel<T>> => {
    try {
      return { ok: true, value: await work };
    } catch (error) {
      const message = (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';
      return { ok: false, error: redact(message, options.secrets) };
    }
  };
  const header = async () => strip(await panel(data.health()), await panel(data.stream()));

  const { token } = options;
  const signingIn = (req: { readonly method: string; readonly path: string }) =>
    token !== undefined && req.method === 'POST' && req.path === '/login';
  app.use('*', async (c, next) => {
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD' && !signingIn(c.req)) {
      return c.text('Only GET and HEAD: this page changes nothing.\n', 405, { Allow: 'GET, HEAD' });
    }
    const host = (c.req.header('host') ?? '').toLowerCase();
    const name = host.replace(/:\d+$/, '');
    if (!allowed.has(host) && !allowed.has(name)) {
      return c.text('This page answers only requests addressed to its own host.\n', 403);
    }
    // The stylesheet and script hold no data: the login form needs them before the token.
    const open = token === undefined || c.req.path.startsWith('/assets/') || signingIn(c.req);
    if (!open && !authorized(token, c.req.header('authorization'), getCookie(c as Context, SESSION_COOKIE))) {
      const challenge = { ...SECURITY_HEADERS, 'WWW-Authenticate': 'Bearer realm="etl ui"' };
      if (c.req.path.startsWith('/api/') || c.req.path === '/metrics') {
        return c.json(
          { error: 'this page needs its token: send Authorization: Bearer <ETL_UI_TOKEN>' },
          401,
          challenge,
        );
      }
      return c.html(loginPage(false), 401, challenge);
    }
    await next();
    for (const [header, value] of Object.entries(SECURITY_HEADERS)) c.header(header, value);
  });

  app.post('/login', async (c) => {
    const body = await c.req.parseBody();
    const given = typeof body['token'] === 'string' ? body['token'] : '';
    if (token === undefined || !sameSecret(given, token)) return c.html(loginPage(true), 401, SECURITY_HEADERS);
    setCookie(c, SESSION_COOKIE, sessionValue(token), { httpOnly: true, sameSite: 'Strict', path: '/' });
    return c.redirect('/', 303);
  });

  const metrics = options.metrics;
  if (metrics !== undefined) {
    app.get('/metrics', async (c) => {
      const { contentType, text } = await metrics();
      return c.body(text, 200, { 'Content-Type': contentType });
    });
  }

  app.get('/assets/:name', (c) => {
    const found = asset(c.req.param('name'));
    if (found === undefined) return c.text('Not found\n', 404);
    return c.body(new Uint8Array(found.body), 200, { 'Content-Type': found.type });
  });

  app.get('/', async (c) => {
    const before = id(c.req.query('before'));
    const [top, page] = await Promise.all([header(), panel(data.runPage(PAGE_SIZE, before))]);
    return c.html(layout('Runs', '/', top, runsView(page, PAGE_SIZE)));
  });

  app.get('/runs/:id', async (c) => {
    const runId = id(c.req.param('id'));
    if (runId === undefined) return c.text('A run id is a whole number.\n', 404);
    const [top, run] = await Promise.all([header(), panel(data.run(runId))]);
    return c.html(layout(`Run ${runId}`, '/', top, runView(run, runId, now())));
  });

  app.get('/stream', async (c) => {
    const [top, status, dead, replication] = await Promise.all([
      header(),
      panel(data.stream()),
      panel(data.deadLetters(20)),
      panel(data.replication()),
    ]);
    return c.html(layout('Stream', '/stream', top, streamView(status, dead, replication)));
  });

  app.get('/cdc', async (c) => {
    const [top, status] = await Promise.all([header(), panel(data.cdc())]);
    return c.html(layout('Change data capture', '/cdc', top, cdcView(status)));
  });

  app.get('/marts', async (c) => {
    const marts = panel<MartsData>(
      data.marts().then(async (overview) => {
        // The charts the project's schema.yml asks for (meta.page), read as `etl marts show` reads them.
        const charts: MartChart[] = [];
        for (const m of overview.project.models) {
          const chart = m.chart;
          if (chart?.page === undefined) continue;
          const label = chart.label ?? chart.measure;
          const line = chart.page === 'line';
          const shown = await data.show(m.name, {
            orderBy: line ? label : chart.measure,
            ascending: line,
            limit: chart.pageLimit ?? (line ? 100_000 : SHOW_DEFAULT_LIMIT),
          });
          if (shown !== undefined && shown.rows.length > 0)
            charts.push({ model: m.name, kind: chart.page, measure: chart.measure, label, rows: shown.rows });
        }
        return { overview, charts };
      }),
    );
    const [top, view] = await Promise.all([header(), marts]);
    return c.html(layout('Marts', '/marts', top, martsView(view)));
  });

  // JSON in the shapes of `etl runs`, `etl runs show`, `etl doctor`, `etl stream status` and `etl cdc status` --json.
  const json = async <T>(c: Context, work: Promise<T>) => {
    const result = await panel(work);
    return result.ok ? c.json(result.value as object) : c.json({ error: result.error }, 503);
  };
  app.get('/api/runs', (c) => json(c, data.runs(PAGE_SIZE, id(c.req.query('before')))));
  app.get('/api/runs/:id', async (c) => {
    const runId = id(c.req.param('id'));
    const run = runId === undefined ? undefined : await panel(data.run(runId));
    if (run?.ok === false) return c.json({ error: run.error }, 503);
    return run?.value === undefined ? c.json({ error: 'no such run' }, 404) : c.json(run.value);
  });
  app.get('/api/doctor', (c) => json(c, data.health()));
  app.get('/api/stream', (c) => json(c, data.stream()));
  app.get('/api/cdc', (c) => json(c, data.cdc()));
  app.get('/api/dead-letters', (c) => json(c, data.deadLetters(20)));
  app.get('/api/replication', (c) => json(c, data.replication()));
  app.get('/api/marts', (c) =>
    json(
      c,
      data.marts().then(({ project, builds }) => ({
        project: project.root,
        models: project.models.map((m) => ({
          name: m.name,
          materialized: m.materialized,
          reads: [...m.refs, ...new Set(m.sources.map((s) => `${s.schema}.${s.table}`))],
          build: builds.find((b) => b.model === m.name) ?? null,
        })),
      })),
    ),
  );
  // Exactly `etl marts show <model> --json`, with its flags as ?order_by=&asc=1&limit=.
  app.get('/api/marts/:name', async (c) => {
    const limit = c.req.query('limit');
    const orderBy = c.req.query('order_by');
    const query: ShowOptions = {
      ...(orderBy === undefined ? {} : { orderBy }),
      ascending: c.req.query('asc') === '1' || c.req.query('asc') === 'true',
      ...(limit !== undefined && /^[1-9][0-9]{0,4}$/.test(limit) ? { limit: Math.min(Number(limit), 10_000) } : {}),
    };
    try {
      const shown = await data.show(c.req.param('name'), query);
      return shown === undefined
        ? c.json({ error: `mart ${c.req.param('name')} has not been built yet` }, 404)
        : c.json(shown);
    } catch (error) {
      const message = redact(error instanceof Error ? error.message : String(error), options.secrets);
      return error instanceof UsageError
        ? c.json({ error: message }, /unknown model/.test(message) ? 404 : 400)
        : c.json({ error: message }, 503);
    }
  });
  app.get('/api/changes', (c) =>
    json(
      c,
      data.changes().then((token) => ({ token })),
    ),
  );

  app.notFound((c) => c.text('Not found\n', 404));
  app.onError((error, c) => c.text(`Error: ${redact(error.message, options.secrets)}\n`, 500));
  return app;
}
