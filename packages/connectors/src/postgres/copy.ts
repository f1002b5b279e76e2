/**
 * Bulk load into PostgreSQL with COPY … FROM STDIN, fed from a stream of text chunks
 * (COPY text format, see core's encodeCopyRow). Back-pressure keeps memory bounded.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { COPY_BINARY_HEADER, COPY_BINARY_TRAILER } from '@etl/core';
import { quoteIdent } from './client.js';

export type CopyChunks = Iterable<string | Buffer> | AsyncIterable<string | Buffer>;

/**
 * Streams the chunks into `table (columns)`; returns the number of rows PostgreSQL stored.
 * Binary chunks are tuples only: the format's header and trailer are added here.
 */
export async function copyInto(
  client: pg.Client,
  table: string,
  columns: readonly string[],
  chunks: CopyChunks,
  format: 'text' | 'binary' = 'text',
): Promise<number> {
  const sql =
    `COPY ${quoteIdent(table)} (${columns.map(quoteIdent).join(', ')}) FROM STDIN` +
    (format === 'binary' ? ' WITH (FORMAT binary)' : '');
  const sink = client.query(copyFrom(sql));
  const source = format === 'binary' ? framed(chunks) : chunks;
  await pipeline(Readable.from(source, { objectMode: false }), sink);
  return sink.rowCount ?? 0;
}

/** Binary COPY tuples between the format's header and trailer. */
async function* framed(chunks: CopyChunks): AsyncGenerator<string | Buffer> {
  yield COPY_BINARY_HEADER;
  yield* chunks;
  yield COPY_BINARY_TRAILER;
}
