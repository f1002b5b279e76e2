/**
 * The least an administrator must grant etl, as statements to run (`etl init --print-grants`)
 * and as the privileges `etl doctor` looks for. PostgreSQL: a role that owns etl's database,
 * may read every session's transaction start (incremental replicate's watermark) and, for
 * `etl cdc` only, has the REPLICATION attribute. MySQL: privileges on etl's database alone,
 * nothing global; `local_infile` is a server setting for replicate's fast path.
 */
import type { DatabaseEndpoint } from '../config.js';
import { mysqlIdent, mysqlString, pgIdent } from '../sql/identifiers.js';

/** One thing etl needs, what for, and the statement that grants it. */
export interface Privilege {
  readonly service: 'postgres' | 'mysql';
  /** Short name: `owner of database etl`, `pg_read_all_stats`, `INSERT on etl.*`. */
  readonly name: string;
  /** The commands that need it. */
  readonly neededFor: string;
  /** What an administrator runs to grant it (no password in it). */
  readonly grant: string;
}

/** Every MySQL privilege etl uses, on its own database only. */
export const MYSQL_PRIVILEGES = [
  'SELECT',
  'INSERT',
  'UPDATE',
  'DELETE',
  'CREATE',
  'DROP',
  'ALTER',
  'INDEX',
  'REFERENCES',
  'CREATE TEMPORARY TABLES',
  // Marts materialized as views, and the check of a project's models before a build.
  'CREATE VIEW',
  'SHOW VIEW',
] as const;

const PLACEHOLDER = `'<password>'`;
/** In a GRANT's database name, _ and % are wildcards: escaped, the grant covers this database only. */
const mysqlGrantDatabase = (name: string) => mysqlIdent(name.replace(/([_%])/g, '\\$1'));

export const pgOwner = (db: DatabaseEndpoint): Privilege => ({
  service: 'postgres',
  name: `owner of database ${db.database}`,
  neededFor: 'every command (etl init creates etl’s tables in it)',
  grant: `ALTER DATABASE ${pgIdent(db.database)} OWNER TO ${pgIdent(db.user)};`,
});
/** The database does not exist and the role may not create it. */
export const pgCreateDatabase = (db: DatabaseEndpoint): Privilege => ({
  ...pgOwner(db),
  grant: `CREATE DATABASE ${pgIdent(db.database)} OWNER ${pgIdent(db.user)};`,
});
export const pgReadAllStats = (db: DatabaseEndpoint): Privilege => ({
  service: 'postgres',
  name: 'pg_read_all_stats',
  neededFor: 'etl replicate --mode incremental (other sessions’ transaction start times)',
  grant: `GRANT pg_read_all_stats TO ${pgIdent(db.user)};`,
});
export const pgReplication = (db: DatabaseEndpoint): Privilege => ({
  service: 'postgres',
  name: 'REPLICATION',
  neededFor: 'etl cdc (a replication slot and the WAL sender)',
  grant: `ALTER ROLE ${pgIdent(db.user)} REPLICATION;`,
});
export const mysqlPrivilege = (db: DatabaseEndpoint, privilege: string): Privilege => ({
  service: 'mysql',
  name: `${privilege} on ${db.database}.*`,
  neededFor: 'every command that writes the replicas or marts',
  grant: `GRANT ${privilege} ON ${mysqlGrantDatabase(db.database)}.* TO ${mysqlString(db.user)}@'%';`,
});

/** The database does not exist and the user may not create it. */
export const mysqlCreateDatabase = (db: DatabaseEndpoint): Privilege => ({
  ...mysqlPrivilege(db, 'CREATE'),
  name: `CREATE (database ${db.database} is missing)`,
  neededFor: 'etl init (it creates the database)',
  grant: `CREATE DATABASE IF NOT EXISTS ${mysqlIdent(db.database)} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;`,
});

/** The statements for an administrator, each database's in the order to run them. */
export function grantStatements(
  pg: DatabaseEndpoint,
  mysql: DatabaseEndpoint,
): { postgres: string[]; mysql: string[] } {
  return {
    postgres: [
      `-- as a superuser, e.g. psql -U postgres`,
      `CREATE ROLE ${pgIdent(pg.user)} LOGIN PASSWORD ${PLACEHOLDER};`,
      pgCreateDatabase(pg).grant,
      `-- etl replicate --mode incremental reads every session's transaction start (the watermark)`,
      pgReadAllStats(pg).grant,
      `-- etl cdc only: a logical replication slot (also allow the role in pg_hba.conf for replication)`,
      pgReplication(pg).grant,
    ],
    mysql: [
      `-- as root`,
      mysqlCreateDatabase(mysql).grant,
      `CREATE USER IF NOT EXISTS ${mysqlString(mysql.user)}@'%' IDENTIFIED BY ${PLACEHOLDER};`,
      `GRANT ${MYSQL_PRIVILEGES.join(', ')} ON ${mysqlGrantDatabase(mysql.database)}.* ` +
        `TO ${mysqlString(mysql.user)}@'%';`,
      `-- a server setting, not a grant: LOAD DATA LOCAL, replicate's fast path (without it etl inserts rows)`,
      `SET GLOBAL local_infile = 1;`,
    ],
  };
}
