import { describe, expect, it } from 'vitest';
import type { DeadLetterView, ReplicationStateView, RunDetail } from '@etl/connectors';
import {
  parseProject,
  PIPELINE_TASKS,
  type CdcStatus,
  type DoctorReport,
  type ShowResult,
  type StreamStatus,
} from '@etl/core';
import { ASSET_NAMES } from './assets.js';
import { createApp } from './app.js';
import type { PageData } from './data.js';

const PASSWORD = 's3cret-pw';
const HOSTILE_NAME = '<img src=x onerror=window.__x=1>';
const HOSTILE_VALUE = '</script><script>window.__x=2</script>\u0000\u001b';

const run = (id: number, status: 'succeeded' | 'failed'): RunDetail => ({
  runId: id,
  command: 'etl pipeline',
  status,
  startedAt: '2026-01-01T00:00:00.000Z',
  finishedAt: '2026-01-01T00:00:10.000Z',
  seconds: 10,
  error: status === 'failed' ? 'seed failed' : null,
  tasks: PIPELINE_TASKS.length,
  failed: status === 'failed' ? 1 : 0,
  taskRecords: PIPELINE_TASKS.map((t, i) => ({
    task: t.name,
    status: status === 'failed' && t.name === 'seed' ? 'failed' : 'succeeded',
    attempts: 1,
    startedAt: `2026-01-01T00:00:${String(i).padStart(2, '0')}.000Z`,
    finishedAt: `2026-01-01T00:00:${String(i + 1).padStart(2, '0')}.000Z`,
    seconds: 1,
    rows: 10,
    message: t.name === 'verify' ? `${HOSTILE_NAME} ${'long '.repeat(100)}` : 'ok',
  })),
});

const CDC: CdcStatus = {
  capturing: true,
  epoch: '20261204120000-abcdef',
  currentLsn: '0/3000100',
  slotName: 'etl_cdc_shop',
  slot: {
    name: 'etl_cdc_shop',
    active: true,
    confirmedLsn: '0/3000000',
    retainedBytes: 3 * 1024 * 1024,
    walStatus: 'reserved',
  },
  tables: [
    {
      table: 'orders',
      source: 'public.orders',
      topic: 'etl.cdc.public.orders',
      snapshot: 'done',
      snapshotLsn: '0/2000000',
      appliedLsn: '0/2FFFF00',
      appliedCommitAt: '2026-12-04T12:00:01.123456Z',
      lagSeconds: 2.5,
      lagBytes: 256,
      lagRecords: '1200',
    },
    {
      table: HOSTILE_NAME,
      source: `public.${HOSTILE_NAME}`,
      topic: 'etl.cdc.public.x',
      snapshot: 'pending',
      snapshotLsn: null,
      appliedLsn: null,
      appliedCommitAt: null,
      lagSeconds: null,
      lagBytes: 0,
      lagRecords: '0',
    },
  ],
  partitions: [{ topic: 'etl.cdc.public.orders', partition: 0, endOffset: '5200', appliedOffset: '4000', lag: '1200' }],
};

/** The page's data in memory: these tests are about HTTP and HTML, not the databases. */
function memoryData(overrides: Partial<PageData> = {}): PageData {
  const stream: StreamStatus = { topic: 't', group: 'g', lag: '5', partitions: [] };
  const dead: DeadLetterView = {
    partition: 0,
    offset: '7',
    key: Buffer.from('k'),
    value: Buffer.from(HOSTILE_VALUE),
    valueBytes: HOSTILE_VALUE.length,
    reason: 'not JSON',
    failedAt: '2026-01-01T00:00:00.000Z',
  };
  const health: DoctorReport = {
    ok: true,
    services: [
      {
        service: 'postgres',
        endpoint: 'postgres://etl:****@db/etl',
        status: 'up',
        latencyMs: 4,
        version: '15',
        schemaVersion: 3,
        tables: { users: 1000, orders: 500 },
        detail: null,
        missing: [],
        error: null,
        hint: null,
      },
    ],
  };
  return {
    runPage: async () => [run(2, 'failed'), run(1, 'succeeded')],
    runs: async () => [],
    run: async (id) => (id === 1 ? run(1, 'succeeded') : undefined),
    health: async () => health,
    stream: async () => stream,
    cdc: async () => CDC,
    deadLetters: async () => [dead],
    replication: async () => [] as ReplicationStateView[],
    marts: async () => ({ project: PROJECT, builds: [] }),
    show: async (name) =>
      name === 'product_sales_analytics' ? shown(name, [{ product_name: HOSTILE_NAME, revenue: '12.50' }]) : undefined,
    changes: async () => 'token',
    ...overrides,
  };
}

/** Two models that ask the page for a chart each. */
const PROJECT = parseProject('a test project', [
  { path: 'models/product_sales_analytics.sql', text: 'SELECT 1 AS product_name, 2 AS revenue' },
  { path: 'models/sales_daily.sql', text: 'SELECT 1 AS day, 2 AS revenue' },
  {
    path: 'models/schema.yml',
    text: `models:
  - name: product_sales_analytics
    meta: { measure: revenue, label: product_name, page: bars }
  - name: sales_daily
    meta: { measure: revenue, label: day, page: line }
`,
  },
]);
function shown(mart: string, rows: Record<string, string>[]): ShowResult {
  return { mart, orderBy: 'revenue', descending: true, columns: Object.keys(rows[0] ?? {}), rows };
}

const app = (data = memoryData()) => createApp(data, { hosts: ['127.0.0.1', 'localhost'], secrets: [PASSWORD] });
const get = (path: string, data?: PageData, host = '127.0.0.1:8080') =>
  app(data).request(path, { headers: { Host: host } });

describe('etl ui, in process', () => {
  it('shows each service in the header strip with its latency and estimated rows', async () => {
    const html = await (await get('/')).text();
    expect(html).toContain('PostgreSQL 4 ms · ~1,500 rows');
    expect(html).toContain('users: ~1,000, orders: ~500');
    expect(html).toContain('stream lag 5');
  });

  it('serves every view with a strict CSP and nosniff', async () => {
    for (const path of ['/', '/runs/1', '/stream', '/cdc', '/marts']) {
      const r = await get(path);
      expect(r.status, path).toBe(200);
      expect(r.headers.get('content-security-policy')).toContain("script-src 'self'");
      expect(r.headers.get('x-content-type-options')).toBe('nosniff');
    }
  });

  it('refuses requests addressed to another host (DNS rebinding) and any method but GET and HEAD', async () => {
    expect((await get('/', undefined, 'evil.example')).status).toBe(403);
    expect((await get('/', undefined, 'evil.example:8080')).status).toBe(403);
    expect((await get('/', undefined, 'localhost:9999')).status).toBe(200);
    const post = await app().request('/', { method: 'POST', headers: { Host: '127.0.0.1' } });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    expect((await app().request('/', { method: 'HEAD', headers: { Host: '127.0.0.1' } })).status).toBe(200);
  });

  it('serves assets from a fixed list only', async () => {
    for (const name of ASSET_NAMES) expect((await get(`/assets/${name}`)).status).toBe(200);
    for (const path of ['/assets/..%2Fpackage.json', '/assets/index.js', '/assets/%2e%2e/%2e%2e/etc/passwd']) {
      expect((await get(path)).status, path).toBe(404);
    }
  });

  it('shows hostile names, messages and dead-letter bytes as text', async () => {
    const marts = await (await get('/marts')).text();
    expect(marts).not.toContain(HOSTILE_NAME);
    expect(marts).toContain('&lt;img src=x onerror=window.__x=1&gt;');
    const stream = await (await get('/stream')).text();
    expect(stream).not.toContain('</script><script>');
    expect(stream).toContain('&lt;/script&gt;&lt;script&gt;window.__x=2&lt;/script&gt;\\x00\\x1b');
    const runPage = await (await get('/runs/1')).text();
    expect(runPage).not.toContain(HOSTILE_NAME);
    expect(runPage).toContain('<details>');
  });

  it('keeps chart data inside its script tag', async () => {
    const data = memoryData({
      show: async (name) =>
        name === 'sales_daily' ? shown(name, [{ day: '2026-01-01', revenue: '</script><b>1' }]) : undefined,
    });
    const html = await (await get('/marts', data)).text();
    const script = /<script type="application\/json" id="line-data-0">(.*?)<\/script>/s.exec(html)?.[1] ?? '';
    expect(script).not.toContain('<');
    expect(html).not.toContain('</script><b>');
  });

  it('marks a failed task in the grid, one cell per run and task, and pages by keyset', async () => {
    const html = await (await get('/')).text();
    expect(html.match(/data-status="/g)?.length).toBe(2 * PIPELINE_TASKS.length);
    expect(html).toMatch(/data-task="seed">[\s\S]*?data-status="failed"/);
    const seen: (number | undefined)[] = [];
    await get('/?before=2', memoryData({ runPage: async (_, before) => (seen.push(before), []) }));
    await get('/?before=1;DROP', memoryData({ runPage: async (_, before) => (seen.push(before), []) }));
    expect(seen).toEqual([2, undefined]);
  });

  it('says which service is down, renders the rest, and never shows the password', async () => {
    const down = memoryData({
      runPage: () => Promise.reject(new Error(`connect ECONNREFUSED postgres://etl:${PASSWORD}@127.0.0.1:1/etl`)),
      stream: () => Promise.reject(new Error('Kafka at 127.0.0.1:1 could not be reached')),
    });
    const r = await get('/', down);
    const html = await r.text();
    expect(r.status).toBe(200);
    expect(html).toContain('The run history (PostgreSQL) is not available');
    expect(html).toContain('stream lag unknown');
    expect(html).not.toContain(PASSWORD);
    const api = await get('/api/runs', memoryData({ runs: () => Promise.reject(new Error(`pw ${PASSWORD}`)) }));
    expect(api.status).toBe(503);
    expect(await api.text()).not.toContain(PASSWORD);
  });

  it('serves the CLI --json shapes under /api', async () => {
    expect(await (await get('/api/runs/1')).json()).toMatchObject({ runId: 1, taskRecords: expect.any(Array) });
    expect((await get('/api/runs/9')).status).toBe(404);
    expect(await (await get('/api/stream')).json()).toEqual({ topic: 't', group: 'g', lag: '5', partitions: [] });
    expect(await (await get('/api/changes')).json()).toEqual({ token: 'token' });
    expect(await (await get('/api/cdc')).json()).toEqual(CDC);
  });

  it('shows change data capture: the slot, each table’s snapshot, position and lag, each partition', async () => {
    const html = await (await get('/cdc')).text();
    expect(html).toContain('data-slot="active"');
    expect(html).toMatch(/retains\s+<span data-retained="3145728">3\.0 MB<\/span>/);
    expect(html).toContain('wal_status reserved');
    expect(html).toMatch(/<tr data-table="orders" data-lag-records="1200">[\s\S]*?<td class="done">done<\/td>/);
    expect(html).toContain('2026-12-04T12:00:01.123456Z');
    expect(html).toContain('<td>2.5</td>');
    expect(html).toContain('<td>1,200</td>');
    expect(html).toMatch(/data-topic="etl.cdc.public.orders" data-partition="0"[\s\S]*?<td>5,200<\/td>/);
    expect(html).not.toContain(HOSTILE_NAME);
    expect(html).toContain('&lt;img src=x onerror=window.__x=1&gt;');
    // It refreshes at every poll: lag moves without a run.
    expect(html).toContain('<main id="main" data-live="always">');
    expect(await (await get('/')).text()).toContain('<main id="main" data-live="on-change">');
    const idle = await (
      await get(
        '/cdc',
        memoryData({ cdc: async () => ({ ...CDC, capturing: false, slot: null, tables: [], partitions: [] }) }),
      )
    ).text();
    expect(idle).toContain('Nothing is captured: run <code>etl cdc capture</code> to start.');
    expect(idle).toContain('data-slot="none"');
    const down = await (
      await get('/cdc', memoryData({ cdc: () => Promise.reject(new Error(`no MySQL (pw ${PASSWORD})`)) }))
    ).text();
    expect(down).toContain('The change data capture status (PostgreSQL, MySQL or Kafka) is not available');
    expect(down).not.toContain(PASSWORD);
  });
});

describe('etl ui with a token', () => {
  const TOKEN = 'a'.repeat(20) + 'b'.repeat(20);
  const secured = () =>
    createApp(memoryData(), { hosts: ['127.0.0.1', 'localhost'], secrets: [PASSWORD, TOKEN], token: TOKEN });
  const ask = (path: string, headers: Record<string, string> = {}, init: RequestInit = {}) =>
    secured().request(path, { ...init, headers: { Host: '127.0.0.1:8080', ...headers } });

  it('answers 401 without it: the login form for a page, JSON for the API', async () => {
    const page = await ask('/');
    expect(page.status).toBe(401);
    expect(page.headers.get('www-authenticate')).toBe('Bearer realm="etl ui"');
    expect(page.headers.get('content-security-policy')).toContain("form-action 'self'");
    const html = await page.text();
    expect(html).toContain('<form method="post" action="/login">');
    expect(html).not.toContain('PostgreSQL 4 ms');
    const api = await ask('/api/runs');
    expect(api.status).toBe(401);
    expect(await api.json()).toEqual({ error: expect.stringContaining('Authorization: Bearer') });
    expect((await ask('/api/runs', { Authorization: 'Bearer wrong-token' })).status).toBe(401);
    expect((await ask('/api/runs', { Authorization: `Basic ${TOKEN}` })).status).toBe(401);
    // The stylesheet the form needs holds no data.
    expect((await ask('/assets/style.css')).status).toBe(200);
  });

  it('answers 200 with it as a bearer header, and never shows it', async () => {
    for (const path of ['/', '/stream', '/api/runs', '/api/doctor']) {
      const r = await ask(path, { Authorization: `Bearer ${TOKEN}` });
      expect(r.status, path).toBe(200);
      expect(await r.text()).not.toContain(TOKEN);
    }
  });

  it('signs a person in with a form: an HttpOnly, SameSite=Strict cookie that is not the token', async () => {
    const form = (token: string) =>
      ask(
        '/login',
        { 'Content-Type': 'application/x-www-form-urlencoded' },
        {
          method: 'POST',
          body: new URLSearchParams({ token }).toString(),
        },
      );
    const wrong = await form('not the token at all, but long enough');
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('set-cookie')).toBeNull();
    expect(await wrong.text()).toContain('That is not the token.');
    const right = await form(TOKEN);
    expect(right.status).toBe(303);
    expect(right.headers.get('location')).toBe('/');
    const cookie = right.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/^etl_ui_session=[0-9a-f]{64}; Path=\/; HttpOnly; SameSite=Strict$/);
    expect(cookie).not.toContain(TOKEN);
    const session = cookie.split(';')[0] ?? '';
    expect((await ask('/', { Cookie: session })).status).toBe(200);
    expect((await ask('/', { Cookie: `etl_ui_session=${'0'.repeat(64)}` })).status).toBe(401);
    // Without a token there is no login to post to: only GET and HEAD.
    expect((await app().request('/login', { method: 'POST', headers: { Host: '127.0.0.1' } })).status).toBe(405);
  });
});
