/**
 * The fault suite (`pnpm test:faults`): every long-running command, against the real
 * PostgreSQL, MariaDB and Kafka, interrupted while it works — SIGKILL at three random moments,
 * each service it uses restarted, its connections dropped from the server's side — then run
 * again to completion. After each, the end state must equal a clean run's, and the
 * interrupted run must have ended with a documented exit code (never a hang, never exit 1), and
 * one that exited 0 must already have done all of its work.
 *
 * The moments come from ETL_FAULT_SEED (random when unset; printed, so a failure replays with
 * the same moments). ETL_FAULT_ONLY="seed,cdc apply" runs some commands only. At the end
 * the suite prints a table: command × fault → outcome and recovery time.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RowRandom, type VerifyReport } from '@etl/core';
import { createKafka, withMysql, withPostgres } from '@etl/connectors';
import { TEST_KAFKA_BROKERS, throwawayDatabases, type ThrowawayDatabases } from '@etl/connectors/testing';
import { OWN_SCHEMA } from '../testing/own-schema.js';
import { ETL_BIN, etlEnv, runEtl } from '../testing/run-etl.js';
import {
  dropConnections,
  mysqlFingerprints,
  postgresFingerprints,
  restartService,
  type Service,
} from '../testing/faults.js';

const SEED = Number(process.env['ETL_FAULT_SEED'] ?? Math.floor(Math.random() * 2 ** 31));
const ONLY = process.env['ETL_FAULT_ONLY']?.split(',').map((s) => s.trim());
// eslint-disable-next-line no-console -- the seed is what replays a failure: printed first
console.log(`fault suite: seed ${SEED} (replay with ETL_FAULT_SEED=${SEED} pnpm test:faults)`);

type Fault =
  | { readonly kind: 'SIGKILL'; readonly n: number }
  | { readonly kind: 'restart'; readonly service: Service }
  | { readonly kind: 'drop'; readonly service: 'postgres' | 'mysql' };
const faultName = (f: Fault) =>
  f.kind === 'SIGKILL' ? `SIGKILL #${f.n}` : f.kind === 'restart' ? `restart ${f.service}` : `drop ${f.service} conns`;

/** One long-running command and how to give it work, run it, complete it and judge its end state. */
interface Case {
  readonly name: string;
  /** The command under test. */
  readonly args: readonly string[];
  /** What completes its work after an interrupted run (the same command unless it follows forever). */
  readonly rerun?: readonly string[];
  /** Runs until SIGTERM: stopped once the load beside it is done. */
  readonly follow?: boolean;
  readonly restarts: readonly Service[];
  readonly drops: readonly ('postgres' | 'mysql')[];
  /** Once, before the clean run: the databases hold what the command needs. */
  setup(dbs: ThrowawayDatabases): Promise<void>;
  /** Before every run: work for the command to do (round 0 is the clean run). */
  prepare?(dbs: ThrowawayDatabases, round: number): Promise<void>;
  /** A load running beside the command (a producer), finished before the rerun. */
  beside?(dbs: ThrowawayDatabases): ChildProcess;
  /** After the rerun and before the check (apply after capture). */
  after?(dbs: ThrowawayDatabases): Promise<void>;
  /** What a clean run must leave: compared with the clean run's own result. */
  state(dbs: ThrowawayDatabases): Promise<unknown>;
  /** Right after the interrupted run, before the rerun: what readers may see then (throws if wrong). */
  meanwhile?(dbs: ThrowawayDatabases): Promise<void>;
}

interface Outcome {
  readonly command: string;
  readonly fault: string;
  readonly at: string;
  readonly exit: string;
  readonly recovery: string;
  readonly result: string;
  /** What the interrupted run said, when it ended with an error. */
  readonly said?: string;
}
const outcomes: Outcome[] = [];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

function start(dbs: ThrowawayDatabases, args: readonly string[]): ChildProcess & { stderrText: () => string } {
  const child = spawn(process.execPath, [ETL_BIN, ...args], {
    env: { ...process.env, ...etlEnv(dbs), NO_COLOR: '1' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return Object.assign(child, { stderrText: () => stderr });
}

/** The exit code, or 'signal', or 'hang' after the limit (the process is then killed). */
function exited(child: ChildProcess, limitMs = 150_000): Promise<number | 'signal' | 'hang'> {
  return new Promise((resolve) => {
    const done = () => resolve(child.exitCode ?? 'signal');
    if (child.exitCode !== null || child.signalCode !== null) return done();
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve('hang');
    }, limitMs);
    child.once('close', () => {
      clearTimeout(timer);
      done();
    });
  });
}

async function etlOk(dbs: ThrowawayDatabases, args: readonly string[]): Promise<void> {
  const run = await runEtl(args, { env: etlEnv(dbs), timeoutMs: 180_000 });
  if (run.code !== 0) throw new Error(`etl ${args.join(' ')} exited ${run.code}: ${run.stderr.trim().slice(-500)}`);
}

const sql = (dbs: ThrowawayDatabases, text: string) => withPostgres(dbs.pg, (c) => c.query(text));
/** Orders without a line: the same SQL on both servers. */
const ORPHANS = `SELECT COUNT(*) AS n FROM orders o WHERE NOT EXISTS
  (SELECT 1 FROM orderdetails d WHERE d.order_id = o.order_id)`;

/** Every replicated table equal (etl verify), no order without lines in either database, no stage left over. */
async function replicasEqual(dbs: ThrowawayDatabases): Promise<unknown> {
  const run = await runEtl(['verify', '--json'], { env: etlEnv(dbs), timeoutMs: 120_000 });
  const report = JSON.parse(run.stdout) as VerifyReport;
  const unequal = report.tables
    .filter((t) => !t.equal)
    .map((t) => `${t.table}: ${JSON.stringify(t.differences.slice(0, 3))}`);
  const orphans = await withMysql(dbs.mysql, async (c) => {
    const [rows] = await c.query(ORPHANS);
    return Number((rows as { n: number }[])[0]?.n);
  });
  const stages = await withMysql(dbs.mysql, async (c) => {
    const [rows] = await c.query(
      `SELECT TABLE_NAME AS t FROM information_schema.TABLES
        WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME LIKE '%\\_\\_etl\\_%'`,
    );
    return (rows as { t: string }[]).map((r) => r.t);
  });
  return { verify: run.code, unequal, orphans, stages };
}

const SOURCE_TABLES = ['productcategories', 'users', 'products', 'orders', 'orderdetails'];
const MARTS = ['user_sales_analytics', 'product_sales_analytics', 'sales_daily', 'category_sales'];
const MARTS_PROJECT = join(tmpdir(), `etl-fault-marts-${process.pid}`);
const EXTRA_LINE = 1_000_000_000;
const FAULT_PROJECT: Readonly<Record<string, string>> = {
  'models/paid_orders.sql': `{{ config(materialized='view') }}
SELECT order_id, user_id, order_date FROM {{ source('orders') }} WHERE status <> 'Cancelled'`,
  'models/order_lines.sql': `SELECT d.order_detail_id, d.order_id, d.product_id, d.quantity, d.total_price
  FROM {{ source('orderdetails') }} d JOIN {{ ref('paid_orders') }} o ON o.order_id = d.order_id`,
  'models/user_spend.sql': `SELECT o.user_id, SUM(l.total_price) AS spent, COUNT(*) AS line_count
  FROM {{ ref('order_lines') }} l JOIN {{ ref('paid_orders') }} o ON o.order_id = l.order_id GROUP BY o.user_id`,
  'models/user_rank.sql': `SELECT user_id, spent, spent >= 500 AS big FROM {{ ref('user_spend') }}`,
  'models/lines_seen.sql': `{{ config(materialized='incremental', unique_key='order_detail_id') }}
SELECT order_detail_id, quantity, total_price, updated_at FROM {{ source('orderdetails') }}
{% if is_incremental() %}WHERE updated_at > (SELECT MAX(updated_at) FROM {{ this }}){% endif %}`,
  'models/schema.yml': `models:
  - name: order_lines
    columns:
      - name: order_detail_id
        data_tests: [unique, not_null]
  - name: user_spend
    columns:
      - name: user_id
        data_tests: [unique, { relationships: { to: "source('users')", field: user_id } }]
`,
};
const FAULT_MODELS = ['paid_orders', 'order_lines', 'user_spend', 'user_rank', 'lines_seen'];
let oldMarts: Record<string, string> = {};
let expectedMarts: Record<string, string> | undefined;

function writeProject(root: string, files: Readonly<Record<string, string>>): void {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
}
const SHOP = ['--users', '1500', '--products', '150', '--orders', '15000'];

async function seeded(dbs: ThrowawayDatabases): Promise<void> {
  await etlOk(dbs, ['init']);
  await etlOk(dbs, ['seed', ...SHOP]);
}

/** Changes of every kind in the source, different in each round: updates, and orders deleted with their lines. */
async function change(dbs: ThrowawayDatabases, round: number): Promise<void> {
  const statuses = ['Pending', 'Shipped', 'Completed', 'Cancelled'];
  await sql(
    dbs,
    `BEGIN;
     UPDATE orders SET status = '${statuses[round % 4]}' WHERE order_id % 2 = ${round % 2};
     UPDATE orderdetails SET quantity = quantity + 1, total_price = (quantity + 1) * price_per_unit
       WHERE order_id % 3 = ${round % 3};
     DELETE FROM orderdetails WHERE order_id % 101 = ${round};
     DELETE FROM orders WHERE order_id % 101 = ${round};
     COMMIT`,
  );
}

/** Kafka's end offsets of a topic, summed. */
async function topicEnd(topic: string): Promise<number> {
  const admin = createKafka({ brokers: TEST_KAFKA_BROKERS }).admin();
  await admin.connect();
  try {
    return (await admin.fetchTopicOffsets(topic)).reduce((n, p) => n + Number(p.high), 0);
  } finally {
    await admin.disconnect();
  }
}

/** The own database's tables replicated (refused_dates is refused by design; clash.* collide). */
const OWN_TABLES = 'public.*,sales.*,!refused_dates';

/** A database of one's own: the hostile schema, and a ledger large enough to go by chunks. */
async function ownDatabase(dbs: ThrowawayDatabases): Promise<void> {
  await withPostgres(dbs.pg, (c) => c.query(`CREATE DATABASE ${dbs.pg.database}`), { database: 'postgres' });
  await withMysql(dbs.mysql, (c) => c.query(`CREATE DATABASE ${dbs.mysql.database}`), { noDatabase: true });
  await sql(dbs, OWN_SCHEMA);
  await sql(
    dbs,
    `CREATE TABLE ledger (code text, day date, note text, amount numeric(14,2),
       updated_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (code, day));
     INSERT INTO ledger (code, day, note, amount)
       SELECT (ARRAY['a', 'A', 'a ', 'é', 'Z'])[g % 5 + 1] || (g / 5)::text, date '2000-01-01' + g % 9000,
              repeat('n', g % 300), g / 7.0
         FROM generate_series(1, 60000) g`,
  );
}

/** Changes an application makes between runs (keeping updated_at, as incremental copies need). */
async function ownChange(dbs: ThrowawayDatabases, round: number): Promise<void> {
  if (round === 0) return;
  await sql(
    dbs,
    `BEGIN;
     UPDATE ledger SET note = 'round ${round}', updated_at = now() WHERE (amount * 7)::int % 13 = ${round};
     DELETE FROM ledger WHERE (amount * 7)::int % 97 = ${round};
     INSERT INTO ledger (code, day, note) VALUES ('new ${round}', '2020-02-02', 'arrived');
     UPDATE customers SET name = name || '${round}', updated_at = now() WHERE id = 2;
     COMMIT`,
  );
}

/** etl verify of the own database's tables equal, and no stage left over. */
async function ownReplicasEqual(dbs: ThrowawayDatabases): Promise<unknown> {
  const run = await runEtl(['verify', '--tables', OWN_TABLES, '--json'], { env: etlEnv(dbs), timeoutMs: 120_000 });
  const report = JSON.parse(run.stdout) as VerifyReport;
  const stages = await withMysql(dbs.mysql, async (c) => {
    const [rows] = await c.query(
      `SELECT TABLE_NAME AS t FROM information_schema.TABLES
        WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME LIKE '%\\_\\_etl\\_%'`,
    );
    return (rows as { t: string }[]).map((r) => r.t);
  });
  return {
    verify: run.code,
    unequal: report.tables.filter((t) => !t.equal).map((t) => `${t.table}: ${JSON.stringify(t.differences[0])}`),
    stages,
  };
}

/** What a rerun of replicate --json says it resumed: " (resumed 3 of 12 chunks of ledger)", or nothing. */
function resumedChunks(stdout: string): string {
  try {
    const report = JSON.parse(stdout) as { tables?: { table: string; chunks: number; resumedChunks: number }[] };
    const resumed = (report.tables ?? []).filter((t) => t.resumedChunks > 0);
    return resumed.map((t) => ` (resumed ${t.resumedChunks} of ${t.chunks} chunks of ${t.table})`).join('');
  } catch {
    return '';
  }
}

const CASES: readonly Case[] = [
  {
    name: 'seed',
    args: ['seed', '--users', '5000', '--products', '500', '--orders', '70000'],
    restarts: ['postgres'],
    drops: ['postgres'],
    // seed creates the shop's tables (init does not); each round starts them empty.
    setup: (dbs) => etlOk(dbs, ['seed', '--users', '1', '--products', '1', '--orders', '1']),
    prepare: async (dbs) => {
      await sql(dbs, `TRUNCATE ${SOURCE_TABLES.join(', ')} CASCADE`);
    },
    state: async (dbs) => ({
      // updated_at is the load's own time; every other value is a function of the seed.
      tables: await postgresFingerprints(dbs.pg, SOURCE_TABLES, ['updated_at']),
      orphans: Number((await sql(dbs, ORPHANS)).rows[0]?.n),
    }),
  },
  {
    name: 'replicate full',
    args: ['replicate', '--mode', 'full'],
    restarts: ['postgres', 'mysql'],
    drops: ['postgres', 'mysql'],
    setup: seeded,
    prepare: async (dbs, round) => {
      if (round > 0) await change(dbs, round);
    },
    state: replicasEqual,
  },
  {
    // A full copy by key chunks of a database etl did not create: a kill resumes from the chunks done.
    name: 'replicate own database',
    args: ['replicate', '--tables', OWN_TABLES, '--mode', 'full', '--chunk-rows', '5000', '--json'],
    restarts: ['postgres', 'mysql'],
    drops: ['postgres', 'mysql'],
    setup: ownDatabase,
    prepare: ownChange,
    state: ownReplicasEqual,
  },
  {
    name: 'replicate incremental',
    args: ['replicate', '--mode', 'incremental'],
    restarts: ['postgres', 'mysql'],
    drops: ['postgres', 'mysql'],
    setup: async (dbs) => {
      await seeded(dbs);
      await etlOk(dbs, ['replicate']);
    },
    prepare: change,
    state: replicasEqual,
  },
  {
    // A user's project: tables four deep, a view, an incremental model. Before each run the
    // models are built from the replicas without one order line (their old version); the line
    // is then added, so the run under test makes a new version of every model.
    name: 'marts',
    args: ['marts', '--project', MARTS_PROJECT],
    restarts: ['mysql'],
    drops: ['mysql'],
    setup: async (dbs) => {
      await seeded(dbs);
      await etlOk(dbs, ['replicate']);
      writeProject(MARTS_PROJECT, FAULT_PROJECT);
    },
    prepare: async (dbs) => {
      await withMysql(dbs.mysql, (c) => c.query(`DELETE FROM orderdetails WHERE order_detail_id = ${EXTRA_LINE}`));
      await etlOk(dbs, ['marts', '--project', MARTS_PROJECT]);
      oldMarts = await mysqlFingerprints(dbs.mysql, FAULT_MODELS);
      await withMysql(dbs.mysql, (c) =>
        c.query(`INSERT INTO orderdetails (order_detail_id, order_id, product_id, quantity, price_per_unit,
          total_price, updated_at) SELECT ${EXTRA_LINE}, MIN(order_id), MIN(product_id), 3, 2.50, 7.50,
          '2099-01-01 00:00:00' FROM orderdetails`),
      );
    },
    // Every model at its old version or its new one (the clean run's), never between.
    meanwhile: async (dbs) => {
      const now = await mysqlFingerprints(dbs.mysql, FAULT_MODELS);
      const newMarts = expectedMarts ?? {};
      for (const model of FAULT_MODELS) expect([oldMarts[model], newMarts[model]], model).toContain(now[model]);
    },
    state: async (dbs) => {
      const state = await mysqlFingerprints(dbs.mysql, FAULT_MODELS);
      expectedMarts ??= state;
      return state;
    },
  },
  {
    name: 'stream --follow',
    args: ['stream', '--follow'],
    rerun: ['stream'],
    follow: true,
    restarts: ['postgres', 'kafka'],
    drops: ['postgres'],
    setup: async (dbs) => {
      await etlOk(dbs, ['init']);
      await etlOk(dbs, ['seed', '--users', '500', '--products', '50', '--orders', '100']);
      await etlOk(dbs, ['produce', '--count', '10']); // the topic exists before the stream starts
    },
    beside: (dbs) => start(dbs, ['produce', '--count', '18000', '--rate', '12000']),
    state: async (dbs) => {
      const stored = (
        await sql(
          dbs,
          `SELECT (SELECT count(*) FROM kafka_events)::int AS events,
                  (SELECT count(DISTINCT event_id) FROM kafka_events)::int AS ids,
                  (SELECT count(*) FROM kafka_events_dlq)::int AS dead,
                  (SELECT coalesce(sum(next_offset), 0) FROM etl_state.stream_offsets)::int AS offsets`,
        )
      ).rows[0] as { events: number; ids: number; dead: number; offsets: number };
      const end = await topicEnd(dbs.topic);
      // Every record stored once, and the stored offsets neither ahead of nor behind the rows.
      return {
        duplicateIds: stored.events - stored.ids,
        dead: stored.dead,
        offsetsMinusRows: stored.offsets - stored.events - stored.dead,
        topicMinusRows: end - stored.events - stored.dead,
      };
    },
  },
  {
    name: 'pipeline',
    args: ['pipeline', ...SHOP, '--events', '3000'],
    restarts: ['postgres', 'mysql', 'kafka'],
    drops: ['postgres', 'mysql'],
    setup: async () => {},
    prepare: async (dbs, round) => {
      if (round > 0) await change(dbs, round);
    },
    state: async (dbs) => ({
      replicas: await replicasEqual(dbs),
      marts: Object.keys(await mysqlFingerprints(dbs.mysql, MARTS)),
    }),
  },
  {
    name: 'cdc capture',
    args: ['cdc', 'capture'],
    restarts: ['postgres', 'kafka', 'mysql'],
    drops: ['postgres'],
    setup: async (dbs) => {
      await seeded(dbs);
      await etlOk(dbs, ['cdc', 'capture']);
      await etlOk(dbs, ['cdc', 'apply']);
    },
    prepare: change,
    after: (dbs) => etlOk(dbs, ['cdc', 'apply']),
    state: replicasEqual,
  },
  {
    name: 'cdc apply',
    args: ['cdc', 'apply'],
    restarts: ['kafka', 'mysql'],
    drops: ['mysql'],
    setup: async (dbs) => {
      await seeded(dbs);
      await etlOk(dbs, ['cdc', 'capture']);
      await etlOk(dbs, ['cdc', 'apply']);
    },
    prepare: async (dbs, round) => {
      await change(dbs, round);
      await etlOk(dbs, ['cdc', 'capture']);
    },
    state: replicasEqual,
  },
];

for (const c of CASES) {
  describe.skipIf(ONLY !== undefined && !ONLY.includes(c.name))(`etl ${c.name}`, () => {
    const dbs = throwawayDatabases(undefined, 'etl_fault');
    let cleanMs = 0;
    let expected: unknown;
    let round = 0;

    /** Starts the command (and its load); returns once both have ended, the command stopped if it follows. */
    async function run(interrupt?: (child: ChildProcess) => Promise<void>) {
      await c.prepare?.(dbs, round++);
      const load = c.beside?.(dbs);
      const child = start(dbs, c.args);
      const started = Date.now();
      if (interrupt) await interrupt(child);
      if (load) await exited(load);
      if (c.follow && child.exitCode === null) {
        await sleep(1500); // time to store what the load sent
        child.kill('SIGTERM');
      }
      const code = await exited(child);
      return { code, ms: Date.now() - started, started, stderr: child.stderrText() };
    }

    beforeAll(async () => {
      await c.setup(dbs);
      const clean = await run();
      expect(clean.code, clean.stderr).toBe(0);
      cleanMs = clean.ms;
      await c.after?.(dbs);
      expected = await c.state(dbs);
    }, 300_000);
    afterAll(() => dbs.drop());

    it('ends as a clean run does when nothing goes wrong', () => {
      if (c.state === replicasEqual) expect(expected).toEqual({ verify: 0, unequal: [], orphans: 0, stages: [] });
      if (c.state === ownReplicasEqual) expect(expected).toEqual({ verify: 0, unequal: [], stages: [] });
      outcomes.push({ command: c.name, fault: 'none', at: '-', exit: '0', recovery: seconds(cleanMs), result: 'ok' });
    });

    const faults: Fault[] = [
      ...[1, 2, 3].map((n) => ({ kind: 'SIGKILL', n }) as const),
      ...c.restarts.map((service) => ({ kind: 'restart', service }) as const),
      ...c.drops.map((service) => ({ kind: 'drop', service }) as const),
    ];
    for (const fault of faults) {
      it(`recovers from ${faultName(fault)}`, async () => {
        // Each cell's own stream (the seed and the cell's name), as the seed gives each row its own:
        // the same moment on replay whatever else runs.
        const cell = [...`${c.name}/${faultName(fault)}`].map((ch) => ch.charCodeAt(0));
        const random = new RowRandom().reseed([SEED, ...cell]).next;
        // Somewhere in the middle of a clean run's time (node's start-up is in it too).
        const moment = Math.round(cleanMs * (0.15 + 0.65 * random()));
        const interrupted = await run(async (child) => {
          await sleep(moment);
          if (fault.kind === 'SIGKILL') child.kill('SIGKILL');
          else if (fault.kind === 'restart') await restartService(fault.service);
          else await dropConnections(fault.service, fault.service === 'postgres' ? dbs.pg : dbs.mysql);
        });
        if (c.meanwhile !== undefined) {
          try {
            await c.meanwhile(dbs);
          } catch (error) {
            outcomes.push({
              command: c.name,
              fault: faultName(fault),
              at: seconds(moment),
              exit: String(interrupted.code),
              recovery: '-',
              result: 'FAILED: readers saw a model neither old nor new',
            });
            throw error;
          }
        }
        const outcome = {
          command: c.name,
          fault: faultName(fault),
          at: seconds(moment),
          exit: String(interrupted.code),
          said: /^Error: (.*)$/m.exec(interrupted.stderr)?.[1]?.slice(0, 90) ?? '',
        };
        const fail = (why: string) => {
          outcomes.push({ ...outcome, recovery: '-', result: `FAILED: ${why.replace(/\s+/g, ' ').slice(0, 100)}` });
          return why;
        };
        // The documented ends: killed; or succeeded after retrying; or 3, a service went away.
        const documented = fault.kind === 'SIGKILL' ? ['signal', 0] : [0, 3];
        if (!documented.includes(interrupted.code))
          throw new Error(fail(`exit ${interrupted.code}: ${interrupted.stderr.trim().slice(-400)}`));
        if (interrupted.code === 3 && !/^Error: .+/m.test(interrupted.stderr))
          throw new Error(fail('exit 3 without a one-line error'));
        // A run that says it succeeded must have done all of it: judged before any rerun.
        if (interrupted.code === 0 && c.follow !== true) {
          await c.after?.(dbs);
          try {
            expect(await c.state(dbs)).toEqual(expected);
          } catch (error) {
            fail('exit 0, but the end state differs from a clean run');
            throw error;
          }
        }
        const rerun = await runEtl(c.rerun ?? c.args, { env: etlEnv(dbs), timeoutMs: 180_000 });
        if (rerun.code !== 0)
          throw new Error(fail(`the rerun exited ${rerun.code}: ${rerun.stderr.trim().slice(-400)}`));
        const recovery = Date.now() - (interrupted.started + moment);
        await c.after?.(dbs);
        const state = await c.state(dbs);
        try {
          expect(state).toEqual(expected);
        } catch (error) {
          fail('the end state differs from a clean run');
          throw error;
        }
        outcomes.push({ ...outcome, recovery: seconds(recovery), result: `ok${resumedChunks(rerun.stdout)}` });
      }, 300_000);
    }
  });
}

afterAll(() => {
  rmSync(MARTS_PROJECT, { recursive: true, force: true });
  const columns = ['command', 'fault', 'at', 'exit', 'recovery', 'result', 'said'] as const;
  const widths = columns.map((k) => Math.max(k.length, ...outcomes.map((o) => (o[k] ?? '').length)));
  const line = (cells: readonly string[]) => cells.map((s, i) => s.padEnd(widths[i] ?? 0)).join('  ');
  // eslint-disable-next-line no-console -- the suite's table is its report
  console.log(
    [
      `fault suite, seed ${SEED}: command × fault → outcome`,
      line(columns),
      ...outcomes.map((o) => line(columns.map((k) => o[k] ?? ''))),
    ].join('\n'),
  );
});
