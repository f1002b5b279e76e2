/**
 * `etl init` for PostgreSQL: create the database when it is missing, then apply pending
 * migrations, one transaction each, under an advisory lock so two inits never race.
 */
import {
  SOURCE_TABLES,
  UsageError,
  pendingMigrations,
  type DatabaseEndpoint,
  type Migration,
  type MigrationOutcome,
  type SchemaTarget,
} from '@etl/core';
import type pg from 'pg';
import { connectPostgres, quoteIdent, withPostgres } from './client.js';
import { pgError, sqlState } from './errors.js';
import { POSTGRES_MIGRATIONS } from './migrations.js';

const MIGRATION_LOCK = 'SELECT pg_advisory_lock(hashtext($1))';
const MIGRATION_UNLOCK = 'SELECT pg_advisory_unlock(hashtext($1))';
const LOCK_NAME = 'etl:migrate';

export const SCHEMA_TABLE_DDL = `CREATE TABLE IF NOT EXISTS etl_schema_migrations (
  version    integer PRIMARY KEY,
  name       text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
)`;

/** Creates the endpoint's database if it does not exist. True when it created it. */
export async function ensurePostgresDatabase(endpoint: DatabaseEndpoint): Promise<boolean> {
  try {
    const client = await connectPostgres(endpoint);
    await client.end();
    return false;
  } catch (error) {
    if (sqlState(error) !== '3D000') throw error;
  }
  return withPostgres(
    endpoint,
    async (admin) => {
      try {
        await admin.query(`CREATE DATABASE ${quoteIdent(endpoint.database)}`);
        return true;
      } catch (error) {
        if (sqlState(error) === '42P04') return false; // created meanwhile by someone else
        if (sqlState(error) === '42501') {
          throw new UsageError(
            `PostgreSQL database "${endpoint.database}" does not exist and user "${endpoint.user}" may not create it`,
            {
              hint: 'Create it, grant CREATEDB to the user, or name another database in --pg-url / ETL_PG_URL.',
              cause: error,
            },
          );
        }
        throw error;
      }
    },
    { database: 'postgres' },
  );
}

export async function appliedPostgresVersions(client: pg.Client): Promise<number[] | null> {
  const exists = await client.query<{ present: boolean }>(
    `SELECT to_regclass('etl_schema_migrations') IS NOT NULL AS present`,
  );
  if (exists.rows[0]?.present !== true) return null;
  const result = await client.query<{ version: number }>('SELECT version FROM etl_schema_migrations ORDER BY version');
  return result.rows.map((r) => r.version);
}

/**
 * A database etl has never initialised that already holds a table of the demo shop's names is
 * someone's own database: etl init, seed and stream never create or fill tables there (exit 2,
 * nothing created). replicate and verify need no init on such a database.
 */
async function refuseForeignTables(client: pg.Client, endpoint: DatabaseEndpoint): Promise<void> {
  const found = await client.query<{ name: string }>(
    `SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' AND tablename = ANY($1) ORDER BY 1`,
    [[...SOURCE_TABLES]],
  );
  if (found.rows.length === 0) return;
  const names = found.rows.map((r) => `public.${r.name}`);
  throw new UsageError(
    `PostgreSQL database "${endpoint.database}" already holds ${names.join(', ')}, which etl did not create: ` +
      "etl init, seed and stream never write into a database's own tables",
    {
      hint:
        'Give the demo shop a database of its own (--pg-url …/etl); etl replicate and etl verify work on this one ' +
        'as it is, without etl init.',
    },
  );
}

export async function migratePostgres(
  endpoint: DatabaseEndpoint,
  migrations: readonly Migration[] = POSTGRES_MIGRATIONS,
): Promise<MigrationOutcome> {
  const databaseCreated = await ensurePostgresDatabase(endpoint);
  return withPostgres(endpoint, async (client) => {
    await client.query(MIGRATION_LOCK, [LOCK_NAME]);
    try {
      if ((await appliedPostgresVersions(client)) === null) await refuseForeignTables(client, endpoint);
      await client.query(SCHEMA_TABLE_DDL);
      const done = (await appliedPostgresVersions(client)) ?? [];
      const pending = pendingMigrations(migrations, done, `PostgreSQL database "${endpoint.database}"`);
      for (const migration of pending) {
        await client.query('BEGIN');
        try {
          for (const step of migration.steps) await client.query(step);
          await client.query('INSERT INTO etl_schema_migrations (version, name) VALUES ($1, $2)', [
            migration.version,
            migration.name,
          ]);
          await client.query('COMMIT');
        } catch (error) {
          await client.query('ROLLBACK').catch(() => {});
          throw pgError(error, endpoint);
        }
      }
      return {
        databaseCreated,
        applied: pending.map(({ version, name }) => ({ version, name })),
        version: Math.max(0, ...done, ...pending.map((m) => m.version)),
      };
    } finally {
      await client.query(MIGRATION_UNLOCK, [LOCK_NAME]).catch(() => {});
    }
  });
}

export class PostgresSchemaTarget implements SchemaTarget {
  readonly service = 'postgres' as const;
  readonly endpoint: string;

  constructor(private readonly db: DatabaseEndpoint) {
    this.endpoint = db.display;
  }

  migrate(): Promise<MigrationOutcome> {
    return migratePostgres(this.db);
  }
}
