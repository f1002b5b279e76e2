/**
 * Metrics as an operator sees them: a real Prometheus (Debian's package, installed by .ci/run)
 * scrapes a running `etl stream --follow` and `etl cdc apply --follow`; the counters and the lag
 * are read back through Prometheus' own HTTP API while events and changes flow, every
 * exposition passes `promtool check metrics`, the alert rules of docs/operations.md pass
 * `promtool check rules`, and the health checks answer as documented.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withPostgres } from '@etl/connectors';
import { freePort, throwawayDatabases } from '@etl/connectors/testing';
import { ETL_BIN, etlEnv, runEtl } from '../testing/run-etl.js';

const HAVE_PROMETHEUS = spawnSync('prometheus', ['--version']).status === 0;
const ROOT = join(import.meta.dirname, '..', '..', '..', '..');
const dbs = throwawayDatabases();
const scratch = mkdtempSync(join(tmpdir(), 'etl-prometheus-'));
const env = etlEnv(dbs);
const etl = (args: string[]) => runEtl(args, { env, timeoutMs: 180_000 });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const children: ChildProcess[] = [];

function start(command: string, args: string[], extraEnv: Record<string, string> = {}): ChildProcess {
  const child = spawn(command, args, {
    env: { ...process.env, ...env, ...extraEnv },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  children.push(child);
  return child;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(250);
  }
}

const get = async (url: string) => {
  const r = await fetch(url);
  return { status: r.status, text: await r.text() };
};

/** One instant query through Prometheus' HTTP API: the samples' labels and values. */
async function query(prometheus: string, expr: string): Promise<{ labels: Record<string, string>; value: number }[]> {
  const r = await fetch(`${prometheus}/api/v1/query?query=${encodeURIComponent(expr)}`);
  const body = (await r.json()) as {
    status: string;
    data: { result: { metric: Record<string, string>; value: [number, string] }[] };
  };
  if (body.status !== 'success') throw new Error(`query ${expr}: ${JSON.stringify(body)}`);
  return body.data.result.map((s) => ({ labels: s.metric, value: Number(s.value[1]) }));
}

function promtool(args: string[], input?: string): { status: number | null; output: string } {
  const run = spawnSync('promtool', args, { input, encoding: 'utf8' });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

let streamPort = 0;
let applyPort = 0;
let prometheus = '';

beforeAll(async () => {
  if (!HAVE_PROMETHEUS) return;
  expect((await etl(['seed', '--users', '40', '--products', '20', '--orders', '60'])).code).toBe(0);
  expect((await etl(['cdc', 'capture'])).code).toBe(0);
  // The topic exists before the stream follows it.
  expect((await etl(['produce', '--count', '10', '--partitions', '3'])).code).toBe(0);
  [streamPort, applyPort] = [await freePort(), await freePort()];
  start(process.execPath, [ETL_BIN, 'stream', '--follow', '--metrics-port', String(streamPort)]);
  start(process.execPath, [ETL_BIN, 'cdc', 'apply', '--follow'], { ETL_METRICS_PORT: String(applyPort) });
  const promPort = await freePort();
  writeFileSync(
    join(scratch, 'prometheus.yml'),
    `global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files:
  - ${join(ROOT, 'infra', 'prometheus', 'etl-alerts.yml')}
scrape_configs:
  - job_name: etl-stream
    static_configs: [{ targets: ['127.0.0.1:${streamPort}'] }]
  - job_name: etl-cdc-apply
    static_configs: [{ targets: ['127.0.0.1:${applyPort}'] }]
`,
  );
  start('prometheus', [
    `--config.file=${join(scratch, 'prometheus.yml')}`,
    `--storage.tsdb.path=${join(scratch, 'data')}`,
    `--web.listen-address=127.0.0.1:${promPort}`,
  ]);
  prometheus = `http://127.0.0.1:${promPort}`;
  await until('Prometheus', async () => ((await get(`${prometheus}/-/ready`)).status === 200 ? true : undefined));
}, 240_000);

afterAll(async () => {
  for (const child of children) child.kill('SIGTERM');
  await sleep(500);
  rmSync(scratch, { recursive: true, force: true });
  await dbs.drop();
});

describe.skipIf(!HAVE_PROMETHEUS)('metrics for Prometheus', () => {
  it('says ready once consuming, and healthy', async () => {
    for (const port of [streamPort, applyPort]) {
      await until(`/readyz on ${port}`, async () =>
        (await get(`http://127.0.0.1:${port}/readyz`)).status === 200 ? true : undefined,
      );
      expect(await get(`http://127.0.0.1:${port}/healthz`)).toEqual({ status: 200, text: 'ok\n' });
      expect((await get(`http://127.0.0.1:${port}/nope`)).status).toBe(404);
    }
  });

  it('lets Prometheus read the stream’s counters and lag while events flow', async () => {
    const produced = await etl(['produce', '--count', '3000', '--partitions', '3']);
    expect(produced.code).toBe(0);
    const stored = await until('3010 stored events in Prometheus', async () => {
      const [sample] = await query(prometheus, 'sum(etl_stream_records_stored_total)');
      return sample !== undefined && sample.value >= 3010 ? sample.value : undefined;
    });
    expect(stored).toBe(3010);
    const lag = await query(prometheus, 'etl_stream_consumer_lag');
    expect(lag.map((s) => s.labels['partition']).sort()).toEqual(['0', '1', '2']);
    for (const s of lag) expect(s.labels['job']).toBe('etl-stream');
    const batches = await query(prometheus, 'sum(etl_stream_batches_total)');
    expect(batches[0]?.value).toBeGreaterThan(0);
    const durations = await query(prometheus, 'sum(etl_stream_batch_duration_seconds_count)');
    expect(durations[0]?.value).toBe(batches[0]?.value);
    // The library's process metrics come too.
    expect((await query(prometheus, 'process_resident_memory_bytes{job="etl-stream"}'))[0]?.value).toBeGreaterThan(0);
  });

  it('lets Prometheus read the changes cdc apply applied per table, its lag and commit-to-visible time', async () => {
    await withPostgres(dbs.pg, (c) => c.query(`UPDATE orders SET status = 'Shipped' WHERE order_id <= 20`));
    expect((await etl(['cdc', 'capture'])).code).toBe(0);
    const applied = await until('20 applied order changes in Prometheus', async () => {
      const [sample] = await query(prometheus, 'etl_cdc_apply_changes_total{table="orders"}');
      return sample !== undefined && sample.value >= 20 ? sample.value : undefined;
    });
    expect(applied).toBe(20);
    const visible = await query(prometheus, 'etl_cdc_commit_to_visible_seconds_count');
    expect(visible[0]?.value).toBeGreaterThanOrEqual(20);
    const lag = await query(prometheus, 'sum(etl_cdc_apply_consumer_lag)');
    expect(lag[0]?.value).toBe(0);
  });

  it('tells what cdc capture --follow read and sent, commit to Kafka ack, the slot’s position and WAL', async () => {
    // The stream stores the 10 produced events into a captured table: capture them first, so that the
    // counters below count only this test's changes.
    await until('the stream’s 10 events stored', async () =>
      withPostgres(dbs.pg, async (c) => {
        const { rows } = await c.query<{ n: string }>('SELECT count(*) AS n FROM kafka_events');
        return Number(rows[0]?.n) >= 10 ? true : undefined;
      }),
    );
    expect((await etl(['cdc', 'capture'])).code).toBe(0);
    const port = await freePort();
    const capture = start(process.execPath, [ETL_BIN, 'cdc', 'capture', '--follow', '--metrics-port', String(port)]);
    const exited = new Promise((resolve) => capture.once('exit', resolve));
    try {
      await until('capture ready', async () =>
        (await get(`http://127.0.0.1:${port}/readyz`)).status === 200 ? true : undefined,
      );
      // Five transactions of six changes each.
      await withPostgres(dbs.pg, async (c) => {
        for (let i = 0; i < 5; i++)
          await c.query(`UPDATE orders SET status = 'Completed' WHERE order_id BETWEEN ${i * 6 + 1} AND ${i * 6 + 6}`);
      });
      const exposition = await until('30 changes sent in the metrics', async () => {
        const text = (await get(`http://127.0.0.1:${port}/metrics`)).text;
        const sent = /^etl_cdc_capture_changes_sent_total (\d+)/m.exec(text);
        return Number(sent?.[1] ?? 0) >= 30 ? text : undefined;
      });
      expect(exposition).toMatch(/^etl_cdc_capture_changes_read_total 30$/m);
      expect(exposition).toMatch(/^etl_cdc_capture_changes_sent_total 30$/m);
      // One observation per transaction (at least the five; PostgreSQL may send an empty one).
      expect(Number(/^etl_cdc_commit_to_kafka_ack_seconds_count (\d+)$/m.exec(exposition)?.[1])).toBeGreaterThanOrEqual(
        5,
      );
      const acked = Number(/^etl_cdc_commit_to_kafka_ack_seconds_sum (\S+)$/m.exec(exposition)?.[1]);
      expect(acked).toBeGreaterThanOrEqual(0);
      expect(acked).toBeLessThan(5 * 30);
      expect(exposition).toMatch(/^etl_cdc_slot_retained_wal_bytes \d+$/m);
      const confirmed = Number(/^etl_cdc_slot_confirmed_lsn_bytes (\d+)$/m.exec(exposition)?.[1]);
      expect(confirmed).toBeGreaterThan(0);
      expect(promtool(['check', 'metrics'], exposition)).toEqual({ status: 0, output: '' });
    } finally {
      capture.kill('SIGTERM');
      await exited;
    }
  });

  it('exposes metrics promtool accepts, and alert rules it accepts', async () => {
    for (const port of [streamPort, applyPort]) {
      const exposition = (await get(`http://127.0.0.1:${port}/metrics`)).text;
      expect(exposition).toContain('# TYPE etl_build_info gauge');
      const check = promtool(['check', 'metrics'], exposition);
      expect(check.output).toBe('');
      expect(check.status).toBe(0);
    }
    const rules = promtool(['check', 'rules', join(ROOT, 'infra', 'prometheus', 'etl-alerts.yml')]);
    expect(rules.output).toMatch(/SUCCESS: 3 rules found/);
    expect(rules.status).toBe(0);
    // Prometheus loaded them too.
    const loaded = (await (await fetch(`${prometheus}/api/v1/rules`)).json()) as {
      data: { groups: { rules: { name: string; health: string }[] }[] };
    };
    const names = loaded.data.groups.flatMap((g) => g.rules.map((r) => r.name)).sort();
    expect(names).toEqual(['EtlCdcSlotRetainsTooMuchWal', 'EtlPipelineTaskNotSucceeding', 'EtlStreamLagGrowing']);
  });

  it('tells a scheduled pipeline’s runs, tasks and last successes, with its interval', async () => {
    const port = await freePort();
    const pipeline = start(process.execPath, [
      ETL_BIN,
      'pipeline',
      '--only',
      'init',
      '--every',
      '2s',
      '--metrics-port',
      String(port),
    ]);
    try {
      const exposition = await until('a pipeline run in the metrics', async () => {
        const text = (await get(`http://127.0.0.1:${port}/metrics`)).text;
        return /etl_pipeline_runs_total\{status="succeeded"\} [1-9]/.test(text) ? text : undefined;
      });
      expect(exposition).toMatch(/etl_pipeline_tasks_total\{task="init",status="succeeded"\} [1-9]/);
      expect(exposition).toMatch(/etl_pipeline_schedule_interval_seconds 2\n/);
      const last = /etl_pipeline_task_last_success_timestamp_seconds\{task="init"\} ([0-9.e+]+)/.exec(exposition);
      expect(Math.abs(Number(last?.[1]) - Date.now() / 1000)).toBeLessThan(30);
      expect(promtool(['check', 'metrics'], exposition)).toEqual({ status: 0, output: '' });
    } finally {
      pipeline.kill('SIGTERM');
    }
  });

  it('refuses a metrics port in use with exit 2 naming it', async () => {
    const run = await etl(['stream', '--metrics-port', String(streamPort)]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`--metrics-port ${streamPort}: the port is in use`);
  });
});
