/**
 * One definition per PostgreSQL type of how its values travel to MySQL and how both sides are
 * compared: the batch copy, the cdc snapshot and the cdc apply all take a column's codec from
 * `codecFor` (codecs.ts), so a row never looks different depending on how it arrived, and
 * verify normalises both sides with the same codec.
 */
import type { SourceColumn } from '../catalog/source-table.js';

/** How the replica column holds the values. */
export type Storage =
  /** A MySQL type that holds every value of the PostgreSQL type exactly. */
  | 'native'
  /** PostgreSQL's own text form of the value, in a text column. */
  | 'text'
  /** Arrays and composites as JSON text (elements in their JSON or text form). */
  | 'json';

export interface ColumnCodec {
  /**
   * The MySQL column type as DDL that MySQL 8.4 and MariaDB 10.11 both accept, lower case,
   * without NULL / NOT NULL and without a collation (`decimal(10,2)`, `longtext`, `varchar(255)`).
   */
  readonly mysqlType: string;
  /**
   * True for character columns: the target gives them utf8mb4 with a binary NO PAD collation
   * (`utf8mb4_0900_bin` on MySQL, `utf8mb4_nopad_bin` on MariaDB) so 'a', 'A' and 'a ' differ.
   */
  readonly textual: boolean;
  readonly storage: Storage;
  /** One line for `--json` and the docs' type table: what is stored and how (`"PostgreSQL text form"`). */
  readonly note: string;
  /**
   * A PostgreSQL expression over the (quoted) column whose COPY text output is exactly what
   * LOAD DATA must read for it. The session runs with TimeZone UTC, DateStyle ISO,
   * IntervalStyle iso_8601, extra_float_digits 1, bytea_output hex.
   */
  pgExport(column: string): string;
  /**
   * When LOAD DATA cannot read the exported text into the column directly: the SET expression
   * that turns the user variable (`@v3`) into the stored value, for example `UNHEX(@v3)`.
   * Absent when the field loads into the column as it is.
   */
  mysqlLoad?(variable: string): string;
  /**
   * A PostgreSQL boolean expression over the (quoted) column, true for a value the MySQL type
   * cannot hold exactly (a date before year 1000, `infinity`, numeric `NaN`, too many digits),
   * with the reason for the error. Absent when every value fits.
   */
  readonly refuse?: { readonly when: (column: string) => string; readonly reason: string };
  /**
   * The value's normalised text on each side, for checksums: equal exactly when the stored
   * value equals the source's. NULL stays NULL (the caller coalesces).
   */
  pgCompare(column: string): string;
  mysqlCompare(column: string): string;
  /**
   * For a column whose values can outgrow what MySQL's string functions return (longer than
   * max_allowed_packet, 16 MB on MariaDB: CONCAT_WS or HEX of it is NULL then), the MD5 of the
   * value taken straight from the column on each side: checksums use it instead of the text.
   */
  readonly digest?: { readonly pg: (column: string) => string; readonly mysql: (column: string) => string };
  /**
   * True when a key value's comparison text is not a literal MySQL reads back as that value (a
   * float's exact binary form, `3602879701896397p-55`): rows are then found by key through
   * mysqlCompare of the stored value rather than by the value itself.
   */
  readonly keyByCompare?: boolean;
  /**
   * cdc apply: the value as pgoutput sends it (PostgreSQL's text output in the walsender's
   * session, which runs with the same settings as the export session) to the parameter bound
   * in a MySQL INSERT for this column: a string, or bytes for binary columns.
   */
  fromPgText(text: string): string | Buffer;
}

export interface CodecOptions {
  /** Store the column as PostgreSQL's exact text form whatever its type (a setting of the user's). */
  readonly asText?: boolean;
  /** The column is part of the replica's primary key: MySQL must be able to index it (≤ 3,072 bytes in all). */
  readonly key?: boolean;
  /**
   * The bytes of MySQL's 3,072-byte key this column may take (its share when the key has
   * several variable-length columns); the whole 3,072 by default.
   */
  readonly keyBytes?: number;
}

/** Chooses the codec of one column: `(column, options) => ColumnCodec`. Implemented in codecs.ts. */
export type CodecFor = (column: SourceColumn, options?: CodecOptions) => ColumnCodec;

/**
 * The session every export (batch copy, cdc snapshot) and the walsender run with, so that
 * each type's text form is the one its codec expects.
 */
export const PG_EXPORT_SETTINGS: Readonly<Record<string, string>> = {
  TimeZone: 'UTC',
  DateStyle: 'ISO, YMD',
  IntervalStyle: 'iso_8601',
  extra_float_digits: '1',
  bytea_output: 'hex',
  // money's text form follows the locale; its codec reads it as numeric, which needs none.
  lc_monetary: 'C',
};
