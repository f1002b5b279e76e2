/**
 * Opening PostgreSQL connections with a deadline, UTC sessions and mapped errors.
 */
import { pgIdent, type DatabaseEndpoint } from '@etl/core';
import pg from 'pg';
import { pgError } from './errors.js';

export interface PgConnectOptions {
  /** Connect to this database instead of the endpoint's (for CREATE DATABASE). */
  readonly database?: string;
  readonly connectTimeoutMs?: number;
  /** A session that can change nothing, and whose statements give up after this many ms (the web page's). */
  readonly readOnly?: { readonly statementTimeoutMs: number };
  /** A walsender session that speaks the replication commands (simple queries only). */
  readonly replication?: boolean;
}

export async function connectPostgres(endpoint: DatabaseEndpoint, options: PgConnectOptions = {}): Promise<pg.Client> {
  const client = new pg.Client({
    host: endpoint.host,
    port: endpoint.port,
    user: endpoint.user,
    ...(endpoint.password === undefined ? {} : { password: endpoint.password }),
    database: options.database ?? endpoint.database,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5000,
    application_name: options.replication === true ? 'etl cdc' : 'etl',
    ...(options.replication === true ? { replication: 'database' } : {}),
    options:
      options.readOnly === undefined
        ? '-c TimeZone=UTC'
        : '-c TimeZone=UTC -c default_transaction_read_only=on ' +
          `-c statement_timeout=${options.readOnly.statementTimeoutMs}`,
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

/** PostgreSQL's identifier quoting: core's one function (`pgIdent`), under the name connectors use. */
export const quoteIdent = pgIdent;

/**
 * A few connections kept open for work that runs batch after batch, some at once: each batch
 * borrows one; a connection that failed mid-work is closed, never lent again.
 */
export class ClientPool {
  private readonly idle: pg.Client[] = [];
  private readonly all: pg.Client[] = [];

  constructor(private readonly endpoint: DatabaseEndpoint) {}

  async use<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
    let client = this.idle.pop();
    if (client === undefined) {
      const fresh = await connectPostgres(this.endpoint);
      // A connection that dies while idle (server restart, pg_terminate_backend) is dropped
      // here, so the next batch gets a new one instead of the dead one's error.
      fresh.on('error', () => void this.discard(fresh));
      this.all.push(fresh);
      client = fresh;
    }
    try {
      const result = await work(client);
      if (this.all.includes(client)) this.idle.push(client);
      return result;
    } catch (error) {
      await this.discard(client);
      throw pgError(error, this.endpoint);
    }
  }

  private async discard(client: pg.Client): Promise<void> {
    for (const list of [this.idle, this.all]) {
      const at = list.indexOf(client);
      if (at >= 0) list.splice(at, 1);
    }
    await client.end().catch(() => {});
  }

  async close(): Promise<void> {
    this.idle.length = 0;
    await Promise.all(this.all.splice(0).map((c) => c.end().catch(() => {})));
  }
}
