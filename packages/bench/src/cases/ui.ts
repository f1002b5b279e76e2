/**
 * `etl ui` with a long history: 10,000 pipeline runs × 8 tasks and 50,000 dead letters. Each
 * view is requested in process (server time only: queries, rendering, no network) and its p50
 * and p95 printed against the 50 ms goal. The ratio compares the runs grid with its own two
 * bare queries on one open connection: what the page adds to the database's work.
 */
import { KafkaEventSink, migrateMysql, migratePostgres, PostgresRunStore, withPostgres } from '@etl/connectors';
import { throwawayDatabases } from '@etl/connectors/testing';
import { DEMO_PROJECT_DIR, PIPELINE_TASKS, parseDatabaseUrl, type EtlConfig } from '@etl/core';
import { loadMartsProject } from '@etl/cli/marts-project';
import { ASSET_NAMES, createApp, LivePageData } from '@etl/web';
import type { BenchCase } from '../case.js';

const VIEWS = ['/', '/?before=5000', '/runs/9999', '/stream', '/marts', '/api/runs', '/api/runs/9999', '/api/changes'];

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? 0;
}

export const ui: BenchCase = {
  name: 'ui',
  description: 'etl ui: each view with 10,000 runs × 8 tasks in the history (goal < 50 ms server time)',
  async run({ servers, size, log }) {
    const runs = size ?? 10_000;
    const repeat = 40;
    const dbs = throwawayDatabases(servers, 'etl_bench');
    const now = () => performance.now();
    try {
      log(
        `ui: ${runs.toLocaleString('en-US')} runs × ${PIPELINE_TASKS.length} tasks and 50,000 dead letters (not timed)`,
      );
      await migratePostgres(dbs.pg, ['shop', 'events']);
      await migrateMysql(dbs.mysql);
      const tasks = `ARRAY[${PIPELINE_TASKS.map((t) => `'${t.name}'`).join(', ')}]`;
      await withPostgres(dbs.pg, async (c) => {
        await c.query(
          `INSERT INTO etl_state.runs (command, status, started_at, finished_at, error)
           SELECT 'etl pipeline', CASE WHEN i % 10 = 0 THEN 'failed' ELSE 'succeeded' END,
                  now() - (${runs} - i) * interval '15 minutes',
                  now() - (${runs} - i) * interval '15 minutes' + interval '40 s',
                  CASE WHEN i % 10 = 0 THEN 'produce failed' END
             FROM generate_series(1, ${runs}) AS i`,
        );
        await c.query(
          `INSERT INTO etl_state.run_tasks (run_id, task, status, attempts, started_at, finished_at, rows, message)
           SELECT r.run_id, t.task,
                  CASE WHEN r.status = 'failed' AND t.task = 'produce' THEN 'failed' ELSE 'succeeded' END,
                  1, r.started_at + t.n * interval '4 s', r.started_at + (t.n + 1) * interval '4 s', 1000, 'done'
             FROM etl_state.runs r CROSS JOIN unnest(${tasks}) WITH ORDINALITY AS t(task, n)`,
        );
        await c.query(
          `INSERT INTO kafka_events_dlq (topic, partition, "offset", key, value, reason, failed_at)
           SELECT $1, i % 3, i, 'k'::bytea, convert_to('not json ' || i, 'UTF8'), 'not JSON', now() - i * interval '1 s'
             FROM generate_series(1, 50000) AS i`,
          [dbs.topic],
        );
        await c.query('ANALYZE etl_state.runs, etl_state.run_tasks, kafka_events_dlq');
      });
      const sink = new KafkaEventSink({ brokers: servers.kafkaBrokers });
      await sink.ensureTopic(dbs.topic, 3);
      await sink.close();

      const pg = parseDatabaseUrl('pgUrl', dbs.pg.url);
      const mysql = parseDatabaseUrl('mysqlUrl', dbs.mysql.url);
      if (typeof pg === 'string' || typeof mysql === 'string') throw new Error('bad bench URLs');
      const config: EtlConfig = {
        pg,
        mysql,
        kafka: { brokers: [...servers.kafkaBrokers], display: servers.kafkaBrokers.join(',') },
        topic: dbs.topic,
      };
      const app = createApp(new LivePageData(config, 'etl-stream', loadMartsProject(DEMO_PROJECT_DIR, process.cwd())), {
        hosts: ['127.0.0.1'],
        secrets: [],
      });
      const request = (path: string) => app.request(path, { headers: { Host: '127.0.0.1' } });

      const notes: string[] = [];
      let gridSeconds = 0;
      for (const view of VIEWS) {
        for (let i = 0; i < 3; i++) await (await request(view)).text(); // warm up
        const times: number[] = [];
        for (let i = 0; i < repeat; i++) {
          const started = now();
          const response = await request(view);
          await response.text();
          if (response.status !== 200) throw new Error(`${view} answered ${response.status}`);
          times.push(now() - started);
        }
        if (view === '/') gridSeconds = times.reduce((a, b) => a + b, 0) / 1000;
        times.sort((a, b) => a - b);
        const p95 = percentile(times, 95);
        notes.push(
          `${view}: p50 ${percentile(times, 50).toFixed(1)} ms, p95 ${p95.toFixed(1)} ms` +
            ` (goal < 50 ms)${p95 < 50 ? '' : ' — over the goal'}`,
        );
      }

      // The grid's own two queries, bare, on one open connection.
      const store = new PostgresRunStore(dbs.pg);
      await store.page(25);
      const bareStarted = now();
      for (let i = 0; i < repeat; i++) await store.page(25);
      const bareSeconds = (now() - bareStarted) / 1000;

      let assetBytes = 0;
      for (const name of ASSET_NAMES) assetBytes += (await (await request(`/assets/${name}`)).arrayBuffer()).byteLength;
      notes.push(`the page's assets: ${(assetBytes / 1024).toFixed(1)} kB in all (goal < 150 kB)`);
      return {
        unit: 'pages',
        ours: {
          label: `GET / (runs grid: health strip, lag, 25 runs × 8 tasks), in process`,
          count: repeat,
          seconds: gridSeconds,
        },
        limit: {
          label: "the grid page's two keyset queries, bare (PostgresRunStore.page)",
          count: repeat,
          seconds: bareSeconds,
        },
        notes,
      };
    } finally {
      await dbs.drop();
    }
  },
};
