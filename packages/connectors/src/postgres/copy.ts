/**
 * Bulk load into PostgreSQL with COPY … FROM STDIN, fed from a stream of text chunks
 * (COPY text format, see core's encodeCopyRow). Back-pressure keeps memory bounded.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { quoteIdent } from './client.js';

export type CopyChunks = Iterable<string | Buffer> | AsyncIterable<string | Buffer>;

/** Streams the chunks into `table (columns)`; returns the number of rows PostgreSQL stored. */
export async function copyInto(
  client: pg.Client,
  table: string,
  columns: readonly string[],
  chunks: CopyChunks,
): Promise<number> {
  const sql = `COPY ${quoteIdent(table)} (${columns.map(quoteIdent).join(', ')}) FROM STDIN`;
  const sink = client.query(copyFrom(sql));
  await pipeline(Readable.from(chunks, { objectMode: false }), sink);
  return sink.rowCount ?? 0;
}
