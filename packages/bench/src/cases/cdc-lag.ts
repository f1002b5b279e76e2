/**
 * `etl cdc` lag under a steady load: `etl cdc capture --follow` and `etl cdc apply --follow`
 * run as a user runs them while PostgreSQL commits 2,000 row changes a second (a transaction
 * of 100 every 50 ms) for 60 s. Each transaction also writes a probe — users row 1 gets
 * `probe:<i>` — and the time from its COMMIT returning to MySQL showing it is the lag. Beside
 * it, measured on the same transactions: PostgreSQL's own decoding, `pg_recvlogical` on a
 * second slot, seeing the same probe (a transactional logical message in the same commit).
 * Goal: etl's p50 ≤ 1 s and p99 ≤ 3 s.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { ETL_BIN } from '@etl/cli/testing';
import { connectPostgres, withMysql, withPostgres } from '@etl/connectors';
import { throwawayDatabases } from '@etl/connectors/testing';
import { slotName } from '@etl/core';
import { etlEnvFor, seedShop, shopOfSize, type BenchCase } from '../case.js';

const PROBE = 'etl_lag_probe';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** p-th percentile (0–100) of the values, in the values' unit. */
function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

/** Lags of probes 0..n-1, from their commit times and the times each was first seen. */
function lags(committed: readonly number[], seen: ReadonlyMap<number, number>): number[] {
  return committed.flatMap((at, i) => {
    const when = seen.get(i);
    return when === undefined ? [] : [(when - at) / 1000];
  });
}

const describe = (name: string, values: readonly number[], total: number): string =>
  `${name}: p50 ${percentile(values, 50).toFixed(3)} s, p95 ${percentile(values, 95).toFixed(3)} s, ` +
  `p99 ${percentile(values, 99).toFixed(3)} s, max ${Math.max(...values).toFixed(3)} s ` +
  `(${values.length.toLocaleString('en-US')} of ${total.toLocaleString('en-US')} probes seen)`;

export const cdcLag: BenchCase = {
  name: 'cdc-lag',
  description:
    'etl cdc capture + apply --follow under 2,000 changes/s for 60 s: commit → visible in MySQL, p50/p99 ' +
    '(goal ≤ 1 s / ≤ 3 s), beside pg_recvlogical seeing the same commits',
  async run({ servers, size, log }) {
    const seconds = size ?? 60;
    const perTransaction = 100;
    const everyMs = 50; // 20 transactions of 100 changes a second: 2,000 changes/s
    const dbs = throwawayDatabases(servers, 'etl_bench');
    const env = etlEnvFor(dbs, servers);
    const etl = (args: string[]): ChildProcess => spawn(process.execPath, [ETL_BIN, ...args], { env, stdio: 'ignore' });
    const finished = (child: ChildProcess) =>
      new Promise<number | null>((resolve) =>
        child.exitCode !== null ? resolve(child.exitCode) : child.once('close', (code) => resolve(code)),
      );
    const run = async (args: string[]) => {
      const code = await finished(etl(args));
      if (code !== 0) throw new Error(`etl ${args.join(' ')} exited ${code}`);
    };
    const limitSlot = `${slotName(dbs.pg.database).slice(0, 50)}_lag`;
    const children: ChildProcess[] = [];
    let load: Awaited<ReturnType<typeof connectPostgres>> | undefined;
    try {
      const orders = 20_000;
      log(`cdc-lag: ${orders.toLocaleString('en-US')} orders, etl cdc capture's snapshot into MySQL (not timed)`);
      await run(['init']);
      await seedShop(dbs.pg, shopOfSize(orders));
      await run(['cdc', 'capture']);
      await run(['cdc', 'apply']);
      await withPostgres(dbs.pg, (c) =>
        c.query(`SELECT pg_create_logical_replication_slot($1, 'pgoutput')`, [limitSlot]),
      );

      // The limit: PostgreSQL's own decoder on a slot of its own, reading the same commits.
      const decodedAt = new Map<number, number>();
      const recv = spawn(
        'pg_recvlogical',
        [
          ...['-h', dbs.pg.host, '-p', String(dbs.pg.port), '-U', dbs.pg.user, '-d', dbs.pg.database],
          ...['--slot', limitSlot, '--start', '-o', 'proto_version=1', '-o', 'publication_names=etl_cdc'],
          ...['-o', 'messages=true', '-F', '0', '-f', '-'],
        ],
        { env: { ...process.env, PGPASSWORD: dbs.pg.password ?? '' }, stdio: ['ignore', 'pipe', 'ignore'] },
      );
      children.push(recv);
      let tail = '';
      recv.stdout.on('data', (chunk: Buffer) => {
        const now = performance.now();
        const text = tail + chunk.toString('latin1');
        for (const m of text.matchAll(/probe:(\d+);/g))
          if (!decodedAt.has(Number(m[1]))) decodedAt.set(Number(m[1]), now);
        tail = text.slice(-32);
      });

      log('cdc-lag: etl cdc capture --follow and etl cdc apply --follow');
      children.push(etl(['cdc', 'capture', '--follow']), etl(['cdc', 'apply', '--follow']));
      load = await connectPostgres(dbs.pg);
      await sleep(5000);

      // MySQL, polled every 20 ms: the newest probe applied there (apply commits in order per partition).
      const visibleAt = new Map<number, number>();
      let polling = true;
      const poll = (async () => {
        await withMysql(dbs.mysql, async (c) => {
          while (polling) {
            const [rows] = await c.query(`SELECT first_name AS f FROM users WHERE user_id = 1`);
            const match = /^probe:(\d+)$/.exec(String((rows as { f: string }[])[0]?.f ?? ''));
            const now = performance.now();
            if (match !== null) for (let i = Number(match[1]); i >= 0 && !visibleAt.has(i); i--) visibleAt.set(i, now);
            await sleep(20);
          }
        });
      })();

      log(`cdc-lag: ${(1000 / everyMs) * perTransaction} changes/s for ${seconds} s`);
      const committed: number[] = [];
      const started = performance.now();
      const total = Math.round((seconds * 1000) / everyMs);
      let behind = 0;
      for (let i = 0; i < total; i++) {
        const due = started + i * everyMs;
        const wait = due - performance.now();
        if (wait > 0) await sleep(wait);
        else behind++;
        const at = 1 + ((i * perTransaction) % (orders - perTransaction));
        await load.query('BEGIN');
        await load.query(
          `UPDATE orders SET status = (ARRAY['Pending','Shipped','Completed'])[1 + ${i % 3}]
            WHERE order_id BETWEEN ${at} AND ${at + perTransaction - 2}`,
        );
        await load.query(`UPDATE users SET first_name = 'probe:${i}' WHERE user_id = 1`);
        await load.query(`SELECT pg_logical_emit_message(true, '${PROBE}', 'probe:${i};')`);
        await load.query('COMMIT');
        committed.push(performance.now());
      }
      const loadSeconds = (performance.now() - started) / 1000;
      for (let waited = 0; waited < 30_000 && !visibleAt.has(total - 1); waited += 100) await sleep(100);
      polling = false;
      await poll;

      const ours = lags(committed, visibleAt);
      const limit = lags(committed, decodedAt);
      const p50 = percentile(ours, 50);
      const p99 = percentile(ours, 99);
      return {
        unit: 'p50',
        ours: {
          label: `etl cdc capture + apply --follow: commit → visible in MySQL, p50 of ${ours.length} probes`,
          count: 1,
          seconds: p50,
        },
        limit: {
          label: `pg_recvlogical on its own slot: commit → decoded, p50 of ${limit.length} probes`,
          count: 1,
          seconds: percentile(limit, 50),
        },
        notes: [
          describe('etl (commit → MySQL)', ours, total),
          describe('pg_recvlogical (commit → decoded)', limit, total),
          `load: ${(total * perTransaction).toLocaleString('en-US')} changes in ${total} transactions over ` +
            `${loadSeconds.toFixed(1)} s = ${((total * perTransaction) / loadSeconds).toFixed(0)} changes/s ` +
            `(${behind} transactions started late)`,
          `goal p50 ≤ 1 s: ${p50 <= 1 ? 'met' : 'not met'}; goal p99 ≤ 3 s: ${p99 <= 3 ? 'met' : 'not met'}`,
        ],
      };
    } finally {
      for (const child of children) child.kill('SIGTERM');
      await Promise.all(children.map(finished));
      await load?.end().catch(() => {});
      await withPostgres(dbs.pg, (c) => c.query('SELECT pg_drop_replication_slot($1)', [limitSlot])).catch(() => {});
      await dbs.drop();
    }
  },
};
