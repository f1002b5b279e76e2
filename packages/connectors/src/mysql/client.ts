/**
 * Opening MySQL/MariaDB connections with a deadline, UTC sessions and mapped errors.
 */
import { mysqlIdent, type DatabaseEndpoint } from '@etl/core';
import mysql from 'mysql2/promise';
import { mysqlError } from './errors.js';

export interface MysqlConnectOptions {
  /** Connect without selecting the endpoint's database (to create it). */
  readonly noDatabase?: boolean;
  readonly connectTimeoutMs?: number;
  /** A session that can change nothing, and whose statements give up after this many ms (the web page's). */
  readonly readOnly?: { readonly statementTimeoutMs: number };
}

export async function connectMysql(
  endpoint: DatabaseEndpoint,
  options: MysqlConnectOptions = {},
): Promise<mysql.Connection> {
  try {
    const connection = await mysql.createConnection({
      host: endpoint.host,
      port: endpoint.port,
      user: endpoint.user,
      ...(endpoint.password === undefined ? {} : { password: endpoint.password }),
      ...(options.noDatabase === true ? {} : { database: endpoint.database }),
      connectTimeout: options.connectTimeoutMs ?? 5000,
      charset: 'utf8mb4',
      timezone: 'Z',
      dateStrings: false,
      supportBigNumbers: true,
      bigNumberStrings: true,
      decimalNumbers: false,
    });
    connection.on('error', () => {});
    await connection.query("SET time_zone = '+00:00'");
    if (options.readOnly !== undefined) {
      await connection.query('SET SESSION TRANSACTION READ ONLY');
      // MariaDB counts seconds (max_statement_time), MySQL milliseconds (max_execution_time).
      const [v] = await connection.query<mysql.RowDataPacket[]>('SELECT VERSION() AS v');
      const ms = options.readOnly.statementTimeoutMs;
      await connection.query(
        /MariaDB/i.test(String(v[0]?.['v']))
          ? `SET SESSION max_statement_time = ${ms / 1000}`
          : `SET SESSION max_execution_time = ${ms}`,
      );
    }
    return connection;
  } catch (error) {
    throw mysqlError(error, endpoint);
  }
}

export async function withMysql<T>(
  endpoint: DatabaseEndpoint,
  work: (connection: mysql.Connection) => Promise<T>,
  options: MysqlConnectOptions = {},
): Promise<T> {
  const connection = await connectMysql(endpoint, options);
  try {
    return await work(connection);
  } catch (error) {
    throw mysqlError(error, endpoint);
  } finally {
    await connection.end().catch(() => {});
  }
}

/** MySQL's identifier quoting: core's one function (`mysqlIdent`), under the name connectors use. */
export const quoteMysqlIdent = mysqlIdent;
