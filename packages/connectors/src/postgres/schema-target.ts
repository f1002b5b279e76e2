/**
 * `etl init` for PostgreSQL: create the database when it is missing, then apply the pending
 * migrations of etl's state and of the parts a database holds (see migrations.ts), one
 * transaction each, under an advisory lock so two never race.
 */
import {
  STATE_SCHEMA,
  UsageError,
  pendingMigrations,
  type AppliedMigration,
  type DatabaseEndpoint,
  type MigrationOutcome,
  type SchemaTarget,
} from '@etl/core';
import type pg from 'pg';
import { connectPostgres, quoteIdent, withPostgres } from './client.js';
import { pgError, sqlState } from './errors.js';
import { LEGACY_POSTGRES_MIGRATIONS, PART_TABLES, POSTGRES_PARTS, type PostgresPart } from './migrations.js';

const MIGRATION_LOCK = 'SELECT pg_advisory_lock(hashtext($1))';
const MIGRATION_UNLOCK = 'SELECT pg_advisory_unlock(hashtext($1))';
const LOCK_NAME = 'etl:migrate';

/** Where the version of each part is kept. */
const SCHEMA_TABLE_DDL = `CREATE TABLE etl_state.schema_migrations (
  part       text NOT NULL,
  version    integer NOT NULL,
  name       text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (part, version)
)`;

/** The schema of etl's first rounds, in schema public: versions recorded there, one list. */
const LEGACY_SCHEMA_TABLE = 'public.etl_schema_migrations';

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

/** The versions applied of each part; null when etl never initialised this database. */
export async function appliedPostgresVersions(client: pg.Client): Promise<Map<PostgresPart, number[]> | null> {
  const exists = await client.query<{ present: boolean }>(
    `SELECT to_regclass('etl_state.schema_migrations') IS NOT NULL AS present`,
  );
  if (exists.rows[0]?.present !== true) return null;
  const result = await client.query<{ part: PostgresPart; version: number }>(
    'SELECT part, version FROM etl_state.schema_migrations ORDER BY part, version',
  );
  const versions = new Map<PostgresPart, number[]>();
  for (const row of result.rows) versions.set(row.part, [...(versions.get(row.part) ?? []), row.version]);
  return versions;
}

/** The latest version of etl's own state in a database (what etl doctor shows), or null. */
export function stateVersion(versions: Map<PostgresPart, number[]> | null): number | null {
  const state = versions?.get('state') ?? [];
  return state.length === 0 ? null : Math.max(...state);
}

/**
 * A part's tables that exist in schema public while the part is not recorded: someone's own
 * tables of the demo's names. etl never creates or fills tables there (exit 2, nothing created).
 */
async function refuseForeignTables(client: pg.Client, endpoint: DatabaseEndpoint, part: 'shop' | 'events') {
  const found = await client.query<{ name: string }>(
    `SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' AND tablename = ANY($1) ORDER BY 1`,
    [[...PART_TABLES[part]]],
  );
  if (found.rows.length === 0) return;
  const names = found.rows.map((r) => `public.${r.name}`);
  throw new UsageError(
    `PostgreSQL database "${endpoint.database}" already holds ${names.join(', ')}, which etl did not create: ` +
      "etl seed and etl stream never write into a database's own tables",
    {
      hint:
        'Give the demo shop a database of its own (--pg-url …/etl); etl replicate, verify and cdc work on this one ' +
        'as it is.',
    },
  );
}

async function inTransaction(client: pg.Client, endpoint: DatabaseEndpoint, work: () => Promise<void>) {
  await client.query('BEGIN');
  try {
    await work();
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw pgError(error, endpoint);
  }
}

/**
 * A database of etl's first rounds (shop and state in schema public, one version list): brings
 * it to that list's end, then, in one transaction, moves etl's state into etl_state and records
 * the parts as applied, since their first versions are exactly that list's end state.
 */
async function adoptLegacy(client: pg.Client, endpoint: DatabaseEndpoint): Promise<AppliedMigration[]> {
  const legacy = await client.query<{ version: number }>(`SELECT version FROM ${LEGACY_SCHEMA_TABLE}`);
  const where = `PostgreSQL database "${endpoint.database}"`;
  const pending = pendingMigrations(
    LEGACY_POSTGRES_MIGRATIONS,
    legacy.rows.map((r) => r.version),
    where,
  );
  for (const migration of pending) {
    await inTransaction(client, endpoint, async () => {
      for (const step of migration.steps) await client.query(step);
      await client.query(`INSERT INTO ${LEGACY_SCHEMA_TABLE} (version, name) VALUES ($1, $2)`, [
        migration.version,
        migration.name,
      ]);
    });
  }
  await inTransaction(client, endpoint, async () => {
    await client.query(`CREATE SCHEMA ${STATE_SCHEMA}`);
    for (const [from, to] of [
      ['etl_stream_offsets', 'stream_offsets'],
      ['etl_runs', 'runs'],
      ['etl_run_tasks', 'run_tasks'],
    ] as const) {
      await client.query(`ALTER TABLE public.${from} SET SCHEMA ${STATE_SCHEMA}`);
      await client.query(`ALTER TABLE ${STATE_SCHEMA}.${from} RENAME TO ${to}`);
    }
    await client.query(SCHEMA_TABLE_DDL);
    for (const part of ['state', 'shop', 'events'] as const) {
      const first = POSTGRES_PARTS[part][0];
      if (first === undefined) continue;
      await client.query('INSERT INTO etl_state.schema_migrations (part, version, name) VALUES ($1, $2, $3)', [
        part,
        first.version,
        `${first.name} (adopted from schema version ${LEGACY_POSTGRES_MIGRATIONS.length})`,
      ]);
    }
    await client.query(`DROP TABLE ${LEGACY_SCHEMA_TABLE}`);
  });
  return pending.map(({ version, name }) => ({ version, name: `legacy ${name}` }));
}

/**
 * Brings etl's state, and the parts asked for, up to date. `parts`: what the calling command
 * creates and fills (seed the shop, stream the events); any part already recorded is brought
 * up to date too, so etl init upgrades what a database holds and creates nothing else.
 */
export async function migratePostgres(
  endpoint: DatabaseEndpoint,
  parts: readonly Exclude<PostgresPart, 'state'>[] = [],
): Promise<MigrationOutcome> {
  const databaseCreated = await ensurePostgresDatabase(endpoint);
  return withPostgres(endpoint, async (client) => {
    await client.query(MIGRATION_LOCK, [LOCK_NAME]);
    try {
      const applied: AppliedMigration[] = [];
      const legacy = await client.query<{ present: boolean }>(
        `SELECT to_regclass('${LEGACY_SCHEMA_TABLE}') IS NOT NULL AS present`,
      );
      if (legacy.rows[0]?.present === true) applied.push(...(await adoptLegacy(client, endpoint)));
      if ((await appliedPostgresVersions(client)) === null) {
        const schema = await client.query<{ present: boolean }>(
          `SELECT to_regnamespace('${STATE_SCHEMA}') IS NOT NULL AS present`,
        );
        if (schema.rows[0]?.present === true) {
          throw new UsageError(
            `PostgreSQL database "${endpoint.database}" has a schema ${STATE_SCHEMA} that etl did not create: ` +
              'etl keeps its own state there',
            { hint: `Rename that schema (ALTER SCHEMA ${STATE_SCHEMA} RENAME TO …), or use another database.` },
          );
        }
        await inTransaction(client, endpoint, async () => {
          await client.query(`CREATE SCHEMA ${STATE_SCHEMA}`);
          await client.query(SCHEMA_TABLE_DDL);
        });
      }
      const done = (await appliedPostgresVersions(client)) ?? new Map<PostgresPart, number[]>();
      const wanted = (['state', 'shop', 'events'] as const).filter(
        (part) => part === 'state' || parts.includes(part) || done.has(part),
      );
      for (const part of wanted) {
        if (part !== 'state' && !done.has(part)) await refuseForeignTables(client, endpoint, part);
      }
      for (const part of wanted) {
        const where = `PostgreSQL database "${endpoint.database}" (${part})`;
        for (const migration of pendingMigrations(POSTGRES_PARTS[part], done.get(part) ?? [], where)) {
          await inTransaction(client, endpoint, async () => {
            for (const step of migration.steps) await client.query(step);
            await client.query('INSERT INTO etl_state.schema_migrations (part, version, name) VALUES ($1, $2, $3)', [
              part,
              migration.version,
              migration.name,
            ]);
          });
          applied.push({ version: migration.version, name: `${part}: ${migration.name}` });
        }
      }
      return {
        databaseCreated,
        applied,
        version: stateVersion(await appliedPostgresVersions(client)) ?? 0,
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
