/**
 * No output surface shows a password: every command runs once succeeding and once failing,
 * with a distinctive password in every URL, and the test searches stdout and stderr (with
 * --json and --debug), the --report file, every PostgreSQL and MySQL table etl writes (runs,
 * tasks, replication state, stored Kafka records and dead letters), and every page and API
 * answer of `etl ui` (services up, and MySQL refusing the login) for it.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withMysql } from '@etl/connectors';
import { throwawayDatabases } from '@etl/connectors/testing';
import { ETL_BIN, etlEnv, runEtl } from '../testing/run-etl.js';
import { mysqlRows, postgresRows } from '../testing/stored.js';

const SECRET = `Pw-${Math.random().toString(36).slice(2, 10)}-Distinct`;
const dbs = throwawayDatabases();
const user = `etl_sec_${dbs.topic.slice(-8)}`;
const withPassword = (url: string, name?: string) => {
  const u = new URL(url);
  if (name !== undefined) u.username = name;
  u.password = SECRET;
  return u.toString();
};
const env = {
  ...etlEnv(dbs),
  // PostgreSQL trusts local connections, so any password works; MySQL checks it.
  ETL_PG_URL: withPassword(dbs.pg.url),
  ETL_MYSQL_URL: withPassword(dbs.mysql.url, user),
};
const down = {
  ETL_PG_URL: withPassword('postgres://etl@127.0.0.1:1/x'),
  ETL_MYSQL_URL: withPassword('mysql://etl@127.0.0.1:1/x', user),
  ETL_KAFKA_BROKERS: '127.0.0.1:1',
};
const outputs: string[] = [];
const etl = async (args: string[], extra: Record<string, string> = {}) => {
  const run = await runEtl(args, { env: { ...env, ...extra }, timeoutMs: 180_000 });
  outputs.push(`$ etl ${args.join(' ')} → ${run.code}\n${run.stdout}\n${run.stderr}`);
  return run;
};
const report = join(mkdtempSync(join(tmpdir(), 'etl-secrets-')), 'run.json');

const PAGES = ['/', '/runs/1', '/stream', '/marts', '/api/runs', '/api/runs/1', '/api/doctor', '/api/stream'];
const MORE_PAGES = ['/api/dead-letters', '/api/replication', '/api/marts/sales_daily', '/api/changes'];
/** `etl ui` on a free port: every view and API answer, and what the server printed, into `outputs`. */
async function pages(extra: Record<string, string> = {}): Promise<void> {
  const child = spawn(process.execPath, [ETL_BIN, 'ui', '--port', '0', '--json', '--debug'], {
    env: { ...process.env, ...env, ...extra, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      const line = stdout.split('\n').find((l) => l.startsWith('{'));
      if (line !== undefined) resolve((JSON.parse(line) as { url: string }).url);
    });
    child.once('close', () => reject(new Error(`etl ui ended: ${stderr}`)));
  });
  for (const path of [...PAGES, ...MORE_PAGES]) {
    const response = await fetch(new URL(path, url));
    outputs.push(`GET ${path} → ${response.status}\n${await response.text()}`);
  }
  child.kill('SIGTERM');
  await new Promise((resolve) => child.once('close', resolve));
  outputs.push(`$ etl ui\n${stdout}\n${stderr}`);
}

beforeAll(async () => {
  await withMysql(
    dbs.mysql,
    async (c) => {
      for (const host of ['%', 'localhost']) {
        await c.query(`CREATE USER '${user}'@'${host}' IDENTIFIED BY '${SECRET}'`);
        await c.query(`GRANT ALL ON \`${dbs.mysql.database}\`.* TO '${user}'@'${host}'`);
      }
    },
    { noDatabase: true },
  );
});
afterAll(async () => {
  await withMysql(
    dbs.mysql,
    async (c) => {
      for (const host of ['%', 'localhost']) await c.query(`DROP USER IF EXISTS '${user}'@'${host}'`);
    },
    { noDatabase: true },
  );
  await dbs.drop();
});

describe('secrets', () => {
  it('never shows the password, whether commands succeed or fail', async () => {
    const small = ['--users', '100', '--products', '20', '--orders', '500'];
    const succeed: string[][] = [
      ['init', '--json'],
      ['doctor', '--debug'],
      ['seed', ...small, '--debug'],
      ['produce', '--count', '200', '--json'],
      ['stream', '--json', '--debug'],
      ['stream', 'status', '--json'],
      ['replicate', '--mask', 'users.email', '--debug'],
      ['verify', '--json'],
      ['cdc', 'capture', '--debug'],
      ['cdc', 'apply', '--json', '--debug'],
      ['cdc', 'status', '--json'],
      // cdc hands the replicas back before the pipeline copies them in batches.
      ['cdc', 'reset', '--yes', '--debug'],
      ['marts', '--debug'],
      ['pipeline', ...small, '--events', '100', '--report', report, '--debug'],
      ['runs', '--json'],
    ];
    for (const args of succeed) expect((await etl(args)).code, outputs.at(-1)).toBe(0);
    // Failing: each service unreachable, a task that fails inside the pipeline (recorded in
    // etl_state.runs), and a MySQL login refused for this password.
    const fail: [string[], Record<string, string>][] = [
      [['doctor', '--json', '--debug'], down],
      [['seed', ...small, '--debug'], { ETL_PG_URL: down.ETL_PG_URL }],
      [['replicate', '--debug'], { ETL_MYSQL_URL: down.ETL_MYSQL_URL }],
      [['cdc', 'capture', '--debug'], { ETL_PG_URL: down.ETL_PG_URL }],
      [['cdc', 'status', '--json', '--debug'], { ETL_MYSQL_URL: down.ETL_MYSQL_URL }],
      [['verify', '--json', '--debug'], { ETL_MYSQL_URL: withPassword(dbs.mysql.url, 'nobody') }],
      [['pipeline', '--only', 'produce', '--retries', '0', '--debug'], { ETL_KAFKA_BROKERS: down.ETL_KAFKA_BROKERS }],
      [['pipeline', '--only', 'replicate', '--retries', '0', '--json'], { ETL_MYSQL_URL: down.ETL_MYSQL_URL }],
    ];
    for (const [args, extra] of fail) expect((await etl(args, extra)).code, outputs.at(-1)).not.toBe(0);
    // The page, with every service up, and with MySQL refusing this password (its panels fail).
    await pages();
    await pages({ ETL_MYSQL_URL: withPassword(dbs.mysql.url, 'nobody'), ETL_KAFKA_BROKERS: down.ETL_KAFKA_BROKERS });
    expect(outputs.filter((o) => o.startsWith('GET /marts → 200')).length).toBe(2);

    const stored = [...(await postgresRows(dbs.pg)), ...(await mysqlRows(dbs.mysql))].map(
      ({ table, cells }) => `${table}: ${cells.map(String).join('\t')}`,
    );
    expect(stored.some((s) => s.startsWith('etl_state.runs: ') && s.includes('failed'))).toBe(true);
    expect(stored.some((s) => s.startsWith('kafka_events: '))).toBe(true);

    const everything = [...outputs, readFileSync(report, 'utf8'), ...stored];
    expect(everything.join('\n')).toContain('****'); // URLs were shown, redacted
    expect(everything.filter((text) => text.includes(SECRET))).toEqual([]);
  });
});
