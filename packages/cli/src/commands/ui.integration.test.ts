/// <reference lib="dom" />
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { createKafka, withMysql, withPostgres } from '@etl/connectors';
import { TEST_KAFKA_BROKERS, throwawayDatabases } from '@etl/connectors/testing';
import { BROWSER_REQUIRED, CHROMIUM, HAVE_BROWSER, launchBrowser } from '../testing/browser.js';
import { ETL_BIN, runEtl } from '../testing/run-etl.js';

const HOSTILE_NAME = '<img src=x onerror=window.__x=1>';
const HOSTILE_VALUE = '</script><script>window.__x=2</script>';
const SECRET = `Ui-Secret-${Math.random().toString(36).slice(2, 10)}`;
const SHOTS = join(import.meta.dirname, '..', '..', 'test-results', 'ui');

if (!HAVE_BROWSER) {
  if (BROWSER_REQUIRED) throw new Error(`no Chromium at ${CHROMIUM}: CI must install Debian's chromium package`);
  process.stderr.write(`etl ui browser tests skipped: no Chromium at ${CHROMIUM} (apt-get install chromium)\n`);
}

const dbs = throwawayDatabases();
const reader = `etl_ui_${dbs.topic.slice(-8)}`;
const env = {
  ETL_PG_URL: dbs.pg.url,
  ETL_MYSQL_URL: dbs.mysql.url,
  ETL_KAFKA_BROKERS: TEST_KAFKA_BROKERS.join(','),
  ETL_KAFKA_TOPIC: dbs.topic,
};
const etl = (args: string[], extra: Record<string, string> = {}) =>
  runEtl(args, { env: { ...env, ...extra }, timeoutMs: 180_000 });
const pg = (sql: string) => withPostgres(dbs.pg, (c) => c.query(sql));
/** The page reads as a user that may only SELECT, with a password long enough to look for. */
const readerUrls = () => {
  const p = new URL(dbs.pg.url);
  const m = new URL(dbs.mysql.url);
  for (const u of [p, m]) {
    u.username = reader;
    u.password = SECRET;
  }
  return { ETL_PG_URL: p.toString(), ETL_MYSQL_URL: m.toString() };
};

let server: ChildProcess | undefined;
let serverOut = '';
let base = '';
let browser: Browser | undefined;

beforeAll(async () => {
  if (!HAVE_BROWSER) return;
  expect(
    (await etl(['pipeline', '--users', '200', '--products', '40', '--orders', '2000', '--events', '300'])).code,
  ).toBe(0);
  // A failed run: produce cannot reach Kafka.
  expect(
    (await etl(['pipeline', '--only', 'produce', '--retries', '0'], { ETL_KAFKA_BROKERS: '127.0.0.1:1' })).code,
  ).toBe(3);
  // A hostile product name in the marts, and a hostile record in the dead-letter table.
  await pg(
    `UPDATE products SET name = '${HOSTILE_NAME}' WHERE product_id =
       (SELECT product_id FROM orderdetails GROUP BY 1 ORDER BY sum(total_price) DESC LIMIT 1)`,
  );
  expect((await etl(['pipeline', '--only', 'replicate,marts'])).code).toBe(0);
  const producer = createKafka({ brokers: TEST_KAFKA_BROKERS }).producer();
  await producer.connect();
  await producer.send({ topic: dbs.topic, messages: [{ key: 'k', value: HOSTILE_VALUE }] });
  await producer.disconnect();
  expect((await etl(['stream'])).code).toBe(0);
  await pg(`CREATE ROLE ${reader} LOGIN PASSWORD '${SECRET}'; GRANT pg_read_all_data TO ${reader}`);
  await withMysql(dbs.mysql, async (c) => {
    await c.query(`CREATE USER '${reader}'@'%' IDENTIFIED BY '${SECRET}'`);
    await c.query(`CREATE USER '${reader}'@'localhost' IDENTIFIED BY '${SECRET}'`);
    await c.query(`GRANT SELECT ON \`${dbs.mysql.database}\`.* TO '${reader}'@'%', '${reader}'@'localhost'`);
  });

  server = spawn(process.execPath, [ETL_BIN, 'ui', '--port', '0', '--json'], {
    env: { ...process.env, ...env, ...readerUrls() },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  base = await new Promise<string>((resolve, reject) => {
    let out = '';
    server?.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      serverOut += d.toString();
      const line = out.split('\n')[0] ?? '';
      if (out.includes('\n')) resolve((JSON.parse(line) as { url: string }).url.replace(/\/$/, ''));
    });
    server?.once('exit', (code) => reject(new Error(`etl ui exited ${code}`)));
  });
  browser = await launchBrowser();
  process.stderr.write(`etl ui browser tests: Chromium ${browser.version()} (${CHROMIUM})\n`);
  mkdirSync(SHOTS, { recursive: true });
}, 300_000);

afterAll(async () => {
  await browser?.close();
  server?.kill('SIGTERM');
  if (HAVE_BROWSER) {
    await pg(`DROP OWNED BY ${reader}; DROP ROLE IF EXISTS ${reader}`).catch(() => undefined);
    await withMysql(dbs.mysql, (c) => c.query(`DROP USER IF EXISTS '${reader}'@'%', '${reader}'@'localhost'`)).catch(
      () => undefined,
    );
  }
  await dbs.drop();
});

/** Opens a view, collecting console errors, page errors, requests off the origin and every response body. */
async function open(path: string, shot: string): Promise<{ page: Page; problems: string[]; bodies: string[] }> {
  const page = await (browser as Browser).newPage({ viewport: { width: 1280, height: 900 } });
  const problems: string[] = [];
  const bodies: string[] = [];
  page.on('console', (m) => m.type() === 'error' && problems.push(`console: ${m.text()}`));
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on(
    'request',
    (r) => !r.url().startsWith(base) && !r.url().startsWith('data:') && problems.push(`request: ${r.url()}`),
  );
  page.on(
    'response',
    (r) =>
      void r.text().then(
        (t) => bodies.push(t),
        () => undefined,
      ),
  );
  await page.goto(`${base}${path}`, { waitUntil: 'networkidle' });
  await page.screenshot({ path: join(SHOTS, `${shot}.png`), fullPage: true });
  return { page, problems, bodies };
}

function http(method: string, path: string, host: string): Promise<number> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path, method, headers: { Host: host } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

describe.skipIf(!HAVE_BROWSER)('etl ui in a real browser', () => {
  it('loads every view with no console error, page error, CSP violation or request off its origin', async () => {
    for (const [path, shot] of [
      ['/', 'runs'],
      ['/runs/1', 'run'],
      ['/stream', 'stream'],
      ['/cdc', 'cdc-none'],
      ['/marts', 'marts'],
    ] as const) {
      const { page, problems, bodies } = await open(path, shot);
      expect(problems, path).toEqual([]);
      for (const body of bodies) expect(body).not.toContain(SECRET);
      await page.close();
    }
  });

  it('shows runs × tasks, the failed task marked, and a Gantt chart proportional to the durations', async () => {
    const { page } = await open('/', 'grid');
    expect(await page.locator('table.grid').getAttribute('data-runs')).toBe('3');
    expect(await page.locator('table.grid a[data-status]').count()).toBe(3 * 8);
    expect(await page.locator('tr[data-task="produce"] a[data-status="failed"]').count()).toBe(1);
    await page.goto(`${base}/runs/1`);
    const bars = await page.locator('svg.gantt g.task').evaluateAll((gs) =>
      gs.map((g) => ({
        ms: Number(g.getAttribute('data-ms')),
        width: Number(g.querySelector('rect')?.getAttribute('width')),
      })),
    );
    expect(bars).toHaveLength(8);
    const perMs = bars.filter((b) => b.ms > 50).map((b) => b.width / b.ms);
    for (const r of perMs) expect(Math.abs(r / (perMs[0] ?? 1) - 1)).toBeLessThan(0.05);
    await page.close();
  });

  it('draws the daily revenue line and the top 10 products exactly as etl marts show', async () => {
    const { page } = await open('/marts', 'marts-chart');
    const inked = await page
      .locator('div.chart[data-model="sales_daily"] canvas')
      .first()
      .evaluate((canvas: HTMLCanvasElement) => {
        const { data } = canvas.getContext('2d')?.getImageData(0, 0, canvas.width, canvas.height) ?? { data: [] };
        let n = 0;
        for (let i = 3; i < data.length; i += 4) if ((data[i] ?? 0) > 0) n++;
        return n;
      });
    expect(inked).toBeGreaterThan(500);
    const shown = await page
      .locator('svg.bars')
      .first()
      .locator('g.bar')
      .evaluateAll((gs) => gs.map((g) => [g.getAttribute('data-label'), Number(g.getAttribute('data-value'))]));
    const cli = JSON.parse(
      (await etl(['marts', 'show', 'product_sales_analytics', '--order-by', 'revenue', '--limit', '10', '--json']))
        .stdout,
    ) as { rows: { product_name: string; revenue: number | string }[] };
    expect(shown).toEqual(cli.rows.map((r) => [r.product_name, Number(r.revenue)]));
    await page.close();
  });

  it('shows hostile names and dead letters as text and runs nothing', async () => {
    for (const path of ['/marts', '/stream']) {
      const { page, problems } = await open(path, `hostile${path.replace('/', '-')}`);
      expect(await page.evaluate(() => (window as unknown as { __x?: number }).__x)).toBeUndefined();
      expect(problems).toEqual([]);
      const text = (await page.locator('main').textContent()) ?? '';
      expect(text).toContain(path === '/marts' ? HOSTILE_NAME : HOSTILE_VALUE);
      await page.close();
    }
  });

  it('shows a new run within seconds, without reloading the page', async () => {
    const { page } = await open('/', 'live-before');
    await page.evaluate(() => ((window as unknown as { __same?: boolean }).__same = true));
    expect((await etl(['pipeline', '--only', 'init'])).code).toBe(0);
    await page.waitForSelector('table.grid[data-runs="4"]', { timeout: 10_000 });
    expect(await page.evaluate(() => (window as unknown as { __same?: boolean }).__same)).toBe(true);
    await page.screenshot({ path: join(SHOTS, 'live-after.png'), fullPage: true });
    await page.close();
  });

  it('answers 403 to another site’s Host header and 405 to POST', async () => {
    expect(await http('GET', '/', 'evil.example')).toBe(403);
    expect(await http('POST', '/', new URL(base).host)).toBe(405);
    expect(await http('GET', '/', new URL(base).host)).toBe(200);
  });

  it('keeps serving when MySQL is down: the marts panel says so, the runs still show', async () => {
    const other = spawn(process.execPath, [ETL_BIN, 'ui', '--port', '0', '--json', '--host', 'localhost'], {
      env: { ...process.env, ...env, ETL_MYSQL_URL: 'mysql://etl:etl@127.0.0.1:1/etl' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const url = await new Promise<string>((resolve) => {
        let out = '';
        other.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.includes('\n')) resolve((JSON.parse(out.split('\n')[0] ?? '') as { url: string }).url);
        });
      });
      const page = await (browser as Browser).newPage();
      await page.goto(`${url}marts`);
      expect(await page.locator('main').textContent()).toContain('The marts (MySQL) is not available');
      expect(await page.locator('#strip').textContent()).toContain('MySQL down');
      await page.goto(url);
      expect(await page.locator('table.grid').getAttribute('data-runs')).toBe('4');
      await page.close();
    } finally {
      other.kill('SIGTERM');
    }
  });

  it('shows change data capture live: the changes waiting in Kafka, then none once applied', async () => {
    expect((await etl(['cdc', 'capture'])).code).toBe(0);
    expect((await etl(['cdc', 'apply'])).code).toBe(0);
    const { page, problems } = await open('/cdc', 'cdc');
    expect(problems).toEqual([]);
    expect(await page.locator('p.slot').getAttribute('data-slot')).toBe('inactive');
    expect(await page.locator('tr[data-table="orders"] td.done').count()).toBe(1);
    expect(await page.locator('tr[data-table="orders"]').getAttribute('data-lag-records')).toBe('0');
    await page.evaluate(() => ((window as unknown as { __same?: boolean }).__same = true));
    await pg(`UPDATE orders SET status = 'Shipped' WHERE order_id <= 50`);
    expect((await etl(['cdc', 'capture'])).code).toBe(0);
    await page.waitForSelector('tr[data-table="orders"][data-lag-records="50"]', { timeout: 15_000 });
    await page.screenshot({ path: join(SHOTS, 'cdc-waiting.png'), fullPage: true });
    // The page shows what etl cdc status --json says.
    const cli = JSON.parse((await etl(['cdc', 'status', '--json'])).stdout) as {
      tables: { table: string; lagRecords: string }[];
      partitions: unknown[];
    };
    const api = JSON.parse(await page.evaluate(async () => (await fetch('/api/cdc')).text())) as typeof cli;
    expect(api.partitions).toEqual(cli.partitions);
    expect(api.tables.map((t) => [t.table, t.lagRecords])).toEqual(cli.tables.map((t) => [t.table, t.lagRecords]));
    expect((await etl(['cdc', 'apply'])).code).toBe(0);
    await page.waitForSelector('tr[data-table="orders"][data-lag-records="0"]', { timeout: 15_000 });
    expect(await page.evaluate(() => (window as unknown as { __same?: boolean }).__same)).toBe(true);
    await page.close();
  });

  it('exits 2 naming the port when it is in use, and 0 on SIGTERM', async () => {
    const busy = await etl(['ui', '--port', new URL(base).port]);
    expect(busy.code).toBe(2);
    expect(busy.stderr).toContain(`port ${new URL(base).port} is in use`);
    expect(busy.stderr).toContain('--port');
    const code = await new Promise<number | null>((resolve) => {
      server?.once('exit', (c) => resolve(c));
      server?.kill('SIGTERM');
    });
    expect(code).toBe(0);
    server = undefined;
    // --json: one JSON document per line, served then stopped.
    const lines = serverOut.trim().split('\n');
    expect(lines.map((l) => JSON.parse(l) as unknown)).toEqual([
      { url: `${base}/` },
      { url: `${base}/`, stopped: 'SIGTERM' },
    ]);
  });
});
