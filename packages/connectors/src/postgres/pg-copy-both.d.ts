// pg-copy-streams 7 ships `both` (CopyBoth, used by START_REPLICATION); its published types lack it.
import type { Submittable } from 'pg';
import type { Duplex, DuplexOptions } from 'node:stream';

declare module 'pg-copy-streams' {
  export function both(
    txt: string,
    options?: DuplexOptions & {
      /** One CopyData message per chunk read (replication frames arrive whole). */
      alignOnCopyDataFrame?: boolean;
    },
  ): Duplex & Submittable;
}
