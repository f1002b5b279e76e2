/**
 * `etl cdc` memory on one huge transaction: an UPDATE of every orderdetails row (about
 * 1,000,000) committed at once, then `etl cdc capture` and `etl cdc apply` run as a user runs
 * them, each one's peak RSS read from /proc. Beside it, the same for a transaction of 100,000
 * rows: memory that stays put while the transaction grows tenfold is bounded. Capture's time is
 * measured against `pg_recvlogical` decoding the same WAL range into /dev/null.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { ETL_BIN } from '@etl/cli/testing';
import { withPostgres } from '@etl/connectors';
import { throwawayDatabases } from '@etl/connectors/testing';
import { slotName } from '@etl/core';
import { etlEnvFor, seedShop, shopOfSize, type BenchCase } from '../case.js';
import { sh } from '../shell.js';

const mb = (kb: number) => `${(kb / 1024).toFixed(0)} MB`;

/** The kernel's high-water mark of a process's resident memory, in kB (0 once it is gone). */
function peakKb(pid: number): number {
  try {
    return Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

export const cdcMemory: BenchCase = {
  name: 'cdc-memory',
  description:
    'etl cdc capture + apply of one UPDATE of ~1,000,000 rows: peak RSS beside a 100,000-row one (bounded), ' +
    'capture time vs pg_recvlogical',
  async run({ servers, size, log }) {
    const orders = size ?? 333_000;
    const dbs = throwawayDatabases(servers, 'etl_bench');
    const env = etlEnvFor(dbs, servers);
    /** Runs etl to completion; its seconds and peak RSS (kB). */
    const etl = (args: string[]) =>
      new Promise<{ seconds: number; peak: number }>((resolve, reject) => {
        const started = performance.now();
        const child = spawn(process.execPath, [ETL_BIN, ...args], { env, stdio: 'ignore' });
        let peak = 0;
        const sample = setInterval(() => (peak = Math.max(peak, peakKb(child.pid ?? 0))), 50);
        child.once('close', (code) => {
          clearInterval(sample);
          if (code === 0) resolve({ seconds: (performance.now() - started) / 1000, peak });
          else reject(new Error(`etl ${args.join(' ')} exited ${code}`));
        });
      });
    const sql = <R extends Record<string, unknown> = Record<string, unknown>>(text: string) =>
      withPostgres(dbs.pg, (c) => c.query<R>(text));
    const update = (where: string) =>
      sql(`UPDATE orderdetails SET quantity = quantity + 1, total_price = (quantity + 1) * price_per_unit ${where}`);
    const limitSlot = `${slotName(dbs.pg.database).slice(0, 50)}_mem`;
    try {
      log(`cdc-memory: ${orders.toLocaleString('en-US')} orders, the snapshot into MySQL (not timed)`);
      await etl(['init']);
      await seedShop(dbs.pg, shopOfSize(orders));
      await etl(['cdc', 'capture']);
      await etl(['cdc', 'apply']);

      log('cdc-memory: one UPDATE of 100,000 rows, captured and applied');
      await update('WHERE order_detail_id <= 100000');
      const smallCapture = await etl(['cdc', 'capture']);
      const smallApply = await etl(['cdc', 'apply']);

      const rows = Number((await sql<{ n: number }>('SELECT count(*)::int AS n FROM orderdetails')).rows[0]?.n);
      log(`cdc-memory: one UPDATE of all ${rows.toLocaleString('en-US')} rows, captured and applied`);
      await sql(`SELECT pg_create_logical_replication_slot('${limitSlot}', 'pgoutput')`);
      await update('');
      const end = String((await sql<{ l: string }>('SELECT pg_current_wal_lsn()::text AS l')).rows[0]?.l);
      const decodeStarted = performance.now();
      await sh(
        `pg_recvlogical -h ${dbs.pg.host} -p ${dbs.pg.port} -U ${dbs.pg.user} -d ${dbs.pg.database} ` +
          `--slot ${limitSlot} --start --endpos ${end} --no-loop -o proto_version=1 ` +
          `-o publication_names=etl_cdc -f /dev/null`,
        { PGPASSWORD: dbs.pg.password ?? '' },
      );
      const decodeSeconds = (performance.now() - decodeStarted) / 1000;
      const bigCapture = await etl(['cdc', 'capture']);
      const bigApply = await etl(['cdc', 'apply']);
      return {
        unit: 'changes',
        ours: { label: `etl cdc capture of one ${rows}-row UPDATE`, count: rows, seconds: bigCapture.seconds },
        limit: { label: 'pg_recvlogical of the same WAL range to /dev/null', count: rows, seconds: decodeSeconds },
        notes: [
          `peak RSS of etl cdc capture: ${mb(bigCapture.peak)} for ${rows.toLocaleString('en-US')} rows in one ` +
            `transaction, ${mb(smallCapture.peak)} for 100,000 (${smallCapture.seconds.toFixed(1)} s)`,
          `peak RSS of etl cdc apply: ${mb(bigApply.peak)} for ${rows.toLocaleString('en-US')} rows ` +
            `(${bigApply.seconds.toFixed(1)} s), ${mb(smallApply.peak)} for 100,000 ` +
            `(${smallApply.seconds.toFixed(1)} s)`,
        ],
      };
    } finally {
      await sql(`SELECT pg_drop_replication_slot('${limitSlot}')`).catch(() => {});
      await dbs.drop();
    }
  },
};
