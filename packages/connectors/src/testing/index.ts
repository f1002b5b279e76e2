/**
 * Throwaway databases and topics for integration tests and benchmarks: each gets its own,
 * named <prefix>_<random>, and drops it afterwards. Tests reach the servers that `make up`
 * starts, or those named by ETL_TEST_PG_URL / ETL_TEST_MYSQL_URL / ETL_TEST_KAFKA_BROKERS.
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { parseDatabaseUrl, type DatabaseEndpoint } from '@etl/core';
import { quoteIdent, withPostgres } from '../postgres/client.js';
import { quoteMysqlIdent, withMysql } from '../mysql/client.js';
import { createKafka } from '../kafka/client.js';

const env = process.env;
export const TEST_PG_URL = env['ETL_TEST_PG_URL'] ?? 'postgres://etl:etl@127.0.0.1:5432/etl';
export const TEST_MYSQL_URL = env['ETL_TEST_MYSQL_URL'] ?? 'mysql://etl:etl@127.0.0.1:3306/etl';
export const TEST_KAFKA_BROKERS = (env['ETL_TEST_KAFKA_BROKERS'] ?? '127.0.0.1:9092').split(',');

export function uniqueName(prefix = 'etl_test'): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
}

function endpoint(key: 'pgUrl' | 'mysqlUrl', base: string, database: string): DatabaseEndpoint {
  const url = new URL(base);
  url.pathname = `/${database}`;
  const parsed = parseDatabaseUrl(key, url.toString());
  if (typeof parsed === 'string') throw new Error(parsed);
  return parsed;
}

export interface ThrowawayDatabases {
  readonly pg: DatabaseEndpoint;
  readonly mysql: DatabaseEndpoint;
  readonly topic: string;
  drop(): Promise<void>;
}

export interface Servers {
  readonly pgUrl: string;
  readonly mysqlUrl: string;
  readonly kafkaBrokers: readonly string[];
}

export const TEST_SERVERS: Servers = { pgUrl: TEST_PG_URL, mysqlUrl: TEST_MYSQL_URL, kafkaBrokers: TEST_KAFKA_BROKERS };

/** Names a fresh database on each server (not created: `etl init` must create them). */
export function throwawayDatabases(servers: Servers = TEST_SERVERS, prefix = 'etl_test'): ThrowawayDatabases {
  const name = uniqueName(prefix);
  const pg = endpoint('pgUrl', servers.pgUrl, name);
  const mysql = endpoint('mysqlUrl', servers.mysqlUrl, name);
  return {
    pg,
    mysql,
    topic: name,
    async drop() {
      await withPostgres(
        pg,
        async (c) => {
          // A logical slot pins WAL and keeps its database from being dropped: end its reader, drop it.
          await c.query(
            `SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE database = $1 AND active`,
            [name],
          );
          for (let i = 0; i < 50; i++) {
            const left = await c.query(
              `SELECT slot_name FROM pg_replication_slots WHERE database = $1 AND NOT active AND NOT temporary`,
              [name],
            );
            for (const row of left.rows as { slot_name: string }[]) {
              await c.query('SELECT pg_drop_replication_slot($1)', [row.slot_name]).catch(() => {});
            }
            const still = await c.query(`SELECT 1 FROM pg_replication_slots WHERE database = $1`, [name]);
            if (still.rowCount === 0) break;
            await new Promise((resolve) => setTimeout(resolve, 100));
          }
          await c.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
        },
        { database: 'postgres' },
      );
      await withMysql(mysql, (c) => c.query(`DROP DATABASE IF EXISTS ${quoteMysqlIdent(name)}`), { noDatabase: true });
      const admin = createKafka({ brokers: servers.kafkaBrokers }).admin();
      try {
        await admin.connect();
        const topics = (await admin.listTopics()).filter((t) => t === name || t.startsWith(`${name}.`));
        if (topics.length > 0) await admin.deleteTopics({ topics });
      } finally {
        await admin.disconnect();
      }
    },
  };
}

/** A loopback port nothing listens on now (for a server a test or a benchmark starts). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
