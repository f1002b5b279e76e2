/**
 * How each column type is spelled in PostgreSQL (the source) and in MySQL/MariaDB (the
 * replica), keeping meaning: numeric keeps precision and scale, timestamptz becomes
 * DATETIME(6) holding UTC, jsonb becomes JSON, inet a VARCHAR(45) (the longest IPv6 text).
 */
import type { ColumnType } from './tables.js';

/** The type as PostgreSQL's format_type() prints it. */
export function pgType(type: ColumnType): string {
  switch (type.kind) {
    case 'integer':
      return 'integer';
    case 'bigint':
      return 'bigint';
    case 'varchar':
      return `character varying(${type.length})`;
    case 'text':
      return 'text';
    case 'numeric':
      return `numeric(${type.precision},${type.scale})`;
    case 'timestamptz':
      return 'timestamp with time zone';
    case 'uuid':
      return 'uuid';
    case 'inet':
      return 'inet';
    case 'jsonb':
      return 'jsonb';
    case 'bytea':
      return 'bytea';
  }
}

/** The type as MySQL 8.4 and MariaDB 10.11 both accept it in DDL (lower case, as COLUMN_TYPE shows it). */
export function mysqlType(type: ColumnType): string {
  switch (type.kind) {
    case 'integer':
      return 'int';
    case 'bigint':
      return 'bigint';
    case 'varchar':
      // utf8mb4 VARCHAR is stored inline up to a point; long declared sizes go to TEXT.
      return type.length <= 4000 ? `varchar(${type.length})` : 'text';
    case 'text':
      return 'text';
    case 'numeric':
      return `decimal(${type.precision},${type.scale})`;
    case 'timestamptz':
      return 'datetime(6)';
    case 'uuid':
      return 'char(36)';
    case 'inet':
      return 'varchar(45)';
    case 'jsonb':
      return 'json';
    case 'bytea':
      return 'longblob';
  }
}
