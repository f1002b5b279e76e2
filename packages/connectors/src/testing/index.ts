/**
 * Throwaway databases and topics for integration tests and benchmarks: each gets its own,
 * named <prefix>_<random>, and drops it afterwards. Tests reach the servers that `make up`
 * starts, or those named by ETL_TEST_PG_URL / ETL_TEST_MYSQL_URL / ETL_TEST_KAFKA_BROKERS.
 */
import { randomBytes } from 'node:crypto';
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
      await withPostgres(pg, (c) => c.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`), {
        database: 'postgres',
      });
      await withMysql(mysql, (c) => c.query(`DROP DATABASE IF EXISTS ${quoteMysqlIdent(name)}`), { noDatabase: true });
      const admin = createKafka({ brokers: servers.kafkaBrokers }).admin();
      try {
        await admin.connect();
        if ((await admin.listTopics()).includes(name)) await admin.deleteTopics({ topics: [name] });
      } finally {
        await admin.disconnect();
      }
    },
  };
}
