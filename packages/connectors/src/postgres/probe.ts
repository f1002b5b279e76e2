/**
 * `etl doctor` for PostgreSQL: version, schema version and row counts of etl's tables.
 */
import {
  STATE_SCHEMA,
  SOURCE_TABLES,
  pgCreateDatabase,
  pgOwner,
  pgReadAllStats,
  pgReplication,
  type DatabaseEndpoint,
  type Privilege,
  type ServiceInfo,
  type ServiceProbe,
} from '@etl/core';
import type pg from 'pg';
import { withPostgres } from './client.js';
import { sqlState } from './errors.js';
import { appliedPostgresVersions, stateVersion } from './schema-target.js';

export class PostgresProbe implements ServiceProbe {
  readonly service = 'postgres' as const;
  readonly endpoint: string;

  constructor(
    private readonly db: DatabaseEndpoint,
    private readonly connectTimeoutMs = 3000,
    /** Row counts from the planner's statistics instead of count(*): what a page polling it can afford. */
    private readonly estimates = false,
  ) {
    this.endpoint = db.display;
  }

  async describe(): Promise<ServiceInfo> {
    try {
      return await withPostgres(this.db, (client) => this.inspect(client), { connectTimeoutMs: this.connectTimeoutMs });
    } catch (error) {
      if (sqlState(error) !== '3D000') throw error;
      // The server is up but the database is not created yet: `etl init` will create it.
      return withPostgres(
        this.db,
        async (c) => {
          const role = await c.query<{ may: boolean }>(
            'SELECT rolsuper OR rolcreatedb AS may FROM pg_roles WHERE rolname = current_user',
          );
          return {
            version: await this.version(c),
            schemaVersion: null,
            tables: {},
            detail: `database "${this.db.database}" does not exist yet (etl init creates it)`,
            missing: role.rows[0]?.may === true ? [] : [pgCreateDatabase(this.db)],
          };
        },
        { database: 'postgres', connectTimeoutMs: this.connectTimeoutMs },
      );
    }
  }

  private async version(client: pg.Client): Promise<string> {
    const result = await client.query<{ server_version: string }>('SHOW server_version');
    return result.rows[0]?.server_version.split(' ')[0] ?? 'unknown';
  }

  private async inspect(client: pg.Client): Promise<ServiceInfo> {
    const version = await this.version(client);
    const versions = await appliedPostgresVersions(client);
    // The shop's tables in schema public, and etl's own state in etl_state (shown qualified).
    const present = await client.query<{ name: string; sql: string }>(
      `SELECT CASE WHEN n.nspname = 'public' THEN c.relname ELSE n.nspname || '.' || c.relname END AS name,
              quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS sql
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p')
          AND ((n.nspname = 'public' AND c.relname = ANY($1)) OR n.nspname = '${STATE_SCHEMA}')
        ORDER BY n.nspname <> 'public', c.relname`,
      [SOURCE_TABLES],
    );
    const tables: Record<string, number> = {};
    if (present.rows.length > 0 && this.estimates) {
      const estimated = await client.query<{ name: string; n: string }>(
        // reltuples is -1 until the table is first vacuumed or analyzed: unknown, so left out.
        `SELECT ($2::text[])[array_position($1::regclass[], oid)] AS name, reltuples::bigint AS n FROM pg_class
          WHERE oid = ANY($1::regclass[]) AND reltuples >= 0`,
        [present.rows.map((r) => r.sql), present.rows.map((r) => r.name)],
      );
      for (const row of estimated.rows) tables[row.name] = Number(row.n);
    } else if (present.rows.length > 0) {
      const counts = await client.query<{ name: string; n: string }>(
        present.rows.map((r, i) => `SELECT $${i + 1}::text AS name, count(*) AS n FROM ${r.sql}`).join(' UNION ALL '),
        present.rows.map((r) => r.name),
      );
      for (const row of counts.rows) tables[row.name] = Number(row.n);
    }
    return {
      version,
      schemaVersion: stateVersion(versions),
      tables,
      ...(await this.privileges(client)),
    };
  }

  /** What etl needs of this role (see grants.ts); REPLICATION only as a note, since only etl cdc needs it. */
  private async privileges(client: pg.Client): Promise<Pick<ServiceInfo, 'detail' | 'missing'>> {
    const result = await client.query<{ superuser: boolean; replication: boolean; stats: boolean; owner: boolean }>(
      `SELECT r.rolsuper AS superuser, r.rolreplication AS replication,
              pg_has_role(current_user, 'pg_read_all_stats', 'USAGE') AS stats,
              pg_has_role(current_user, d.datdba, 'USAGE') AS owner
         FROM pg_roles r, pg_database d WHERE r.rolname = current_user AND d.datname = current_database()`,
    );
    const role = result.rows[0];
    let detail = await this.changeCapture(client);
    if (role === undefined || role.superuser) return { detail, missing: [] };
    const missing: Privilege[] = [];
    if (!role.owner) missing.push(pgOwner(this.db));
    if (!role.stats) missing.push(pgReadAllStats(this.db));
    if (!role.replication) detail += `; etl cdc needs REPLICATION: ${pgReplication(this.db).grant}`;
    return { detail, missing };
  }

  /** What `etl cdc` needs and holds here: wal_level, and each slot of this database with the WAL it keeps. */
  private async changeCapture(client: pg.Client): Promise<string> {
    const level = (await client.query<{ wal_level: string }>('SHOW wal_level')).rows[0]?.wal_level ?? '?';
    const slots = await client.query<{ slot_name: string; active: boolean; wal_status: string | null; kept: string }>(
      `SELECT slot_name, active, wal_status,
              pg_size_pretty(coalesce(pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn), 0)) AS kept
         FROM pg_replication_slots WHERE database = current_database() ORDER BY slot_name`,
    );
    const parts = [`wal_level ${level}${level === 'logical' ? '' : ' (etl cdc needs logical)'}`];
    for (const r of slots.rows) {
      parts.push(
        `slot ${r.slot_name} ${r.active ? 'active' : 'inactive'}, retains ${r.kept} of WAL` +
          (r.wal_status === 'lost' ? ' (lost: run etl cdc reset)' : ''),
      );
    }
    if (slots.rows.length === 0) parts.push('no replication slot');
    return parts.join('; ');
  }
}
