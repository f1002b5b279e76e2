/**
 * The text formats rows travel in between the databases, named so a signature says which one
 * it carries. Neither is parsed on the way unless a column needs a transform.
 */

/**
 * PostgreSQL's COPY text format: one row per line, fields separated by tabs, `\N` for NULL,
 * backslash escapes (`\t`, `\n`, `\\`, …). A chunk may end anywhere, even inside a row.
 */
export type PgCopyText = string;

/**
 * PostgreSQL's binary COPY tuples (each a field count, then each field's length and bytes),
 * without the file header and trailer: whoever runs the COPY adds those once.
 */
export type PgCopyBinary = Buffer;

/** PostgreSQL COPY text as it arrives from COPY … TO STDOUT, in byte chunks. */
export type PgCopyBytes = Buffer;

/**
 * MySQL's LOAD DATA text format (the defaults of LOAD DATA INFILE): the same layout as COPY
 * text, but `\f` and `\v` are not escapes; in byte or string chunks.
 */
export type LoadDataText = Buffer | string;
