/**
 * Opening PostgreSQL connections with a deadline, UTC sessions and mapped errors.
 */
import type { DatabaseEndpoint } from '@etl/core';
import pg from 'pg';
import { pgError } from './errors.js';

export interface PgConnectOptions {
  /** Connect to this database instead of the endpoint's (for CREATE DATABASE). */
  readonly database?: string;
  readonly connectTimeoutMs?: number;
}

export async function connectPostgres(endpoint: DatabaseEndpoint, options: PgConnectOptions = {}): Promise<pg.Client> {
  const client = new pg.Client({
    host: endpoint.host,
    port: endpoint.port,
    user: endpoint.user,
    ...(endpoint.password === undefined ? {} : { password: endpoint.password }),
    database: options.database ?? endpoint.database,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5000,
    application_name: 'etl',
    options: '-c TimeZone=UTC',
  });
  // An idle connection that dies must not crash the process; the next query reports it.
  client.on('error', () => {});
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => {});
    throw pgError(error, endpoint);
  }
  return client;
}

/** Runs `work` with a fresh connection and always closes it. */
export async function withPostgres<T>(
  endpoint: DatabaseEndpoint,
  work: (client: pg.Client) => Promise<T>,
  options: PgConnectOptions = {},
): Promise<T> {
  const client = await connectPostgres(endpoint, options);
  try {
    return await work(client);
  } catch (error) {
    throw pgError(error, endpoint);
  } finally {
    await client.end().catch(() => {});
  }
}

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
