/**
 * `etl doctor` for MySQL/MariaDB: version, schema version and row counts of etl's tables.
 */
import {
  MYSQL_PRIVILEGES,
  SOURCE_TABLES,
  mysqlCreateDatabase,
  mysqlPrivilege,
  type DatabaseEndpoint,
  type ServiceInfo,
  type ServiceProbe,
} from '@etl/core';
import type mysql from 'mysql2/promise';
import { quoteMysqlIdent, withMysql } from './client.js';
import { appliedMysqlVersions } from './schema-target.js';

type Rows = mysql.RowDataPacket[];

export class MysqlProbe implements ServiceProbe {
  readonly service = 'mysql' as const;
  readonly endpoint: string;

  constructor(
    private readonly db: DatabaseEndpoint,
    private readonly connectTimeoutMs = 3000,
    /** Row counts from information_schema's estimates instead of COUNT(*). */
    private readonly estimates = false,
  ) {
    this.endpoint = db.display;
  }

  async describe(): Promise<ServiceInfo> {
    return withMysql(
      this.db,
      async (connection) => {
        const [versionRows] = await connection.query<Rows>('SELECT VERSION() AS v');
        const version = String(versionRows[0]?.['v'] ?? 'unknown');
        const [schemata] = await connection.query<Rows>(
          'SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?',
          [this.db.database],
        );
        const held = await privileges(connection, this.db.database);
        if (schemata.length === 0) {
          return {
            version,
            schemaVersion: null,
            tables: {},
            detail: `database "${this.db.database}" does not exist yet (etl init creates it)`,
            missing: held.global.has('CREATE') ? [] : [mysqlCreateDatabase(this.db)],
          };
        }
        await connection.query(`USE ${quoteMysqlIdent(this.db.database)}`);
        const versions = await appliedMysqlVersions(connection);
        const [present] = await connection.query<Rows>(
          `SELECT TABLE_NAME AS name FROM information_schema.TABLES
             WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE'
               AND (TABLE_NAME IN (?) OR TABLE_NAME LIKE 'etl\\_%')
             ORDER BY TABLE_NAME`,
          [SOURCE_TABLES],
        );
        const tables: Record<string, number> = {};
        const names = present.map((r) => String(r['name']));
        if (names.length > 0 && this.estimates) {
          const [estimated] = await connection.query<Rows>(
            `SELECT TABLE_NAME AS name, TABLE_ROWS AS n FROM information_schema.TABLES
              WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN (?)`,
            [names],
          );
          for (const row of estimated) tables[String(row['name'])] = Number(row['n'] ?? 0);
        } else if (names.length > 0) {
          const [counts] = await connection.query<Rows>(
            names.map((n) => `SELECT ? AS name, COUNT(*) AS n FROM ${quoteMysqlIdent(n)}`).join(' UNION ALL '),
            names,
          );
          for (const row of counts) tables[String(row['name'])] = Number(row['n']);
        }
        return {
          version,
          schemaVersion: versions === null || versions.length === 0 ? null : Math.max(...versions),
          tables,
          missing: MYSQL_PRIVILEGES.filter((p) => !held.global.has(p) && !held.database.has(p)).map((p) =>
            mysqlPrivilege(this.db, p),
          ),
        };
      },
      { noDatabase: true, connectTimeoutMs: this.connectTimeoutMs },
    );
  }
}

/** The privileges the current user holds globally and on the database (grants whose pattern covers it). */
async function privileges(
  connection: mysql.Connection,
  database: string,
): Promise<{ global: Set<string>; database: Set<string> }> {
  // information_schema names a grantee 'user'@'host'; CURRENT_USER() says user@host.
  const grantee =
    `CONCAT("'", SUBSTRING_INDEX(CURRENT_USER(), '@', 1), "'@'", ` + `SUBSTRING_INDEX(CURRENT_USER(), '@', -1), "'")`;
  const [global] = await connection.query<Rows>(
    `SELECT PRIVILEGE_TYPE AS p FROM information_schema.USER_PRIVILEGES WHERE GRANTEE = ${grantee}`,
  );
  const [schema] = await connection.query<Rows>(
    `SELECT PRIVILEGE_TYPE AS p FROM information_schema.SCHEMA_PRIVILEGES
      WHERE GRANTEE = ${grantee} AND ? LIKE TABLE_SCHEMA`,
    [database],
  );
  return {
    global: new Set(global.map((r) => String(r['p']))),
    database: new Set(schema.map((r) => String(r['p']))),
  };
}
