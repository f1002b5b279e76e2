/**
 * The one way each dialect quotes an identifier. Every name etl writes into SQL, its own or a
 * user's (mixed case, spaces, quotes, backticks, semicolons, non-ASCII), goes through one of these.
 */

/** PostgreSQL: `"name"`, a double quote doubled. */
export function pgIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** PostgreSQL `"schema"."name"`. */
export function pgTable(table: { readonly schema: string; readonly name: string }): string {
  return `${pgIdent(table.schema)}.${pgIdent(table.name)}`;
}

/** MySQL and MariaDB: `` `name` ``, a backtick doubled. */
export function mysqlIdent(name: string): string {
  return `\`${name.replace(/`/g, '``')}\``;
}

/** A PostgreSQL string literal (standard_conforming_strings on, as on every supported server). */
export function pgString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** A MySQL string literal (a backslash and a quote escaped, as under the default sql_mode). */
export function mysqlString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}
