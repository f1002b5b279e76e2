/**
 * `etl init` for MySQL/MariaDB: create the database when it is missing, then apply pending
 * migrations under a named lock so two inits never race.
 */
import {
  fitMysqlName,
  UsageError,
  pendingMigrations,
  type DatabaseEndpoint,
  type Migration,
  type MigrationOutcome,
  type SchemaTarget,
} from '@etl/core';
import type mysql from 'mysql2/promise';
import { quoteMysqlIdent, withMysql } from './client.js';
import { mysqlCode } from './errors.js';
import { MYSQL_MIGRATIONS, MYSQL_SCHEMA_TABLE_DDL } from './migrations.js';

const LOCK_WAIT_SECONDS = 60;

/**
 * MySQL's named locks are server-wide, migrations are per database: one lock name per database
 * (at most 64 characters, so a long name is hashed), and inits of two databases never wait on
 * each other.
 */
export function migrationLockName(database: string): string {
  return fitMysqlName(`etl:migrate:${database}`);
}

type Rows = mysql.RowDataPacket[];

export async function ensureMysqlDatabase(endpoint: DatabaseEndpoint): Promise<boolean> {
  return withMysql(
    endpoint,
    async (connection) => {
      const [rows] = await connection.query<Rows>(
        'SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?',
        [endpoint.database],
      );
      if (rows.length > 0) return false;
      try {
        const [result] = await connection.query<mysql.ResultSetHeader>(
          `CREATE DATABASE IF NOT EXISTS ${quoteMysqlIdent(endpoint.database)} CHARACTER SET utf8mb4 COLLATE ` +
            `utf8mb4_bin`,
        );
        return result.warningStatus === 0;
      } catch (error) {
        if (mysqlCode(error) === 'ER_DBACCESS_DENIED_ERROR' || mysqlCode(error) === 'ER_ACCESS_DENIED_ERROR') {
          throw new UsageError(
            `MySQL database "${endpoint.database}" does not exist and user "${endpoint.user}" may not create it`,
            {
              hint: 'Create it, grant CREATE to the user, or name another database in --mysql-url / ETL_MYSQL_URL.',
              cause: error,
            },
          );
        }
        throw error;
      }
    },
    { noDatabase: true },
  );
}

export async function appliedMysqlVersions(connection: mysql.Connection): Promise<number[] | null> {
  const [present] = await connection.query<Rows>(
    `SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'etl_schema_migrations'`,
  );
  if (present.length === 0) return null;
  const [rows] = await connection.query<Rows>('SELECT version FROM etl_schema_migrations ORDER BY version');
  return rows.map((r) => Number(r['version']));
}

export async function migrateMysql(
  endpoint: DatabaseEndpoint,
  migrations: readonly Migration[] = MYSQL_MIGRATIONS,
): Promise<MigrationOutcome> {
  const databaseCreated = await ensureMysqlDatabase(endpoint);
  const lock = migrationLockName(endpoint.database);
  return withMysql(endpoint, async (connection) => {
    const [locked] = await connection.query<Rows>('SELECT GET_LOCK(?, ?) AS got', [lock, LOCK_WAIT_SECONDS]);
    if (Number(locked[0]?.['got']) !== 1) {
      throw new UsageError(`another etl init has held the MySQL migration lock for ${LOCK_WAIT_SECONDS}s`, {
        hint: 'Wait for it to finish, then run etl init again.',
      });
    }
    try {
      await connection.query(MYSQL_SCHEMA_TABLE_DDL);
      const done = (await appliedMysqlVersions(connection)) ?? [];
      const pending = pendingMigrations(migrations, done, `MySQL database "${endpoint.database}"`);
      for (const migration of pending) {
        for (const step of migration.steps) await connection.query(step);
        await connection.query('INSERT INTO etl_schema_migrations (version, name) VALUES (?, ?)', [
          migration.version,
          migration.name,
        ]);
      }
      return {
        databaseCreated,
        applied: pending.map(({ version, name }) => ({ version, name })),
        version: Math.max(0, ...done, ...pending.map((m) => m.version)),
      };
    } finally {
      await connection.query('SELECT RELEASE_LOCK(?)', [lock]).catch(() => {});
    }
  });
}

export class MysqlSchemaTarget implements SchemaTarget {
  readonly service = 'mysql' as const;
  readonly endpoint: string;

  constructor(private readonly db: DatabaseEndpoint) {
    this.endpoint = db.display;
  }

  migrate(): Promise<MigrationOutcome> {
    return migrateMysql(this.db);
  }
}
