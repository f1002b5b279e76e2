/**
 * core's Spool as a temporary file: bytes set aside during a bulk load (the orders, while
 * their lines load) without holding them in memory. The file is unlinked as soon as it is
 * open, so a process killed at any moment leaves nothing behind; its pages mostly stay in
 * the page cache for the second or two they live.
 */
import { randomUUID } from 'node:crypto';
import { closeSync, openSync, readSync, rmSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Spool } from '@etl/core';

/** Bytes handed back per chunk when read. */
const READ_BYTES = 256 * 1024;

export class FileSpool implements Spool {
  private readonly path: string;
  private readonly fd: number;
  /** False where an open file cannot be unlinked (Windows): then close() removes it. */
  private readonly unlinked: boolean;
  private size = 0;
  private reading = false;
  private closed = false;

  constructor(dir = tmpdir()) {
    this.path = join(dir, `etl-spool-${process.pid}-${randomUUID()}`);
    // Created, never opened if it exists; readable by this user only.
    this.fd = openSync(this.path, 'wx+', 0o600);
    let unlinked = true;
    try {
      unlinkSync(this.path);
    } catch {
      unlinked = false;
    }
    this.unlinked = unlinked;
  }

  write(bytes: Buffer): void {
    if (this.reading || this.closed) throw new Error('spool written after it was read or closed');
    for (let at = 0; at < bytes.length;) at += writeSync(this.fd, bytes, at, bytes.length - at, this.size + at);
    this.size += bytes.length;
  }

  *read(): Generator<Buffer> {
    if (this.reading) throw new Error('spool read twice');
    this.reading = true;
    for (let at = 0; at < this.size;) {
      if (this.closed) throw new Error('spool read after it was closed');
      const chunk = Buffer.allocUnsafe(Math.min(READ_BYTES, this.size - at));
      let filled = 0;
      while (filled < chunk.length) {
        const n = readSync(this.fd, chunk, filled, chunk.length - filled, at + filled);
        if (n === 0) throw new Error(`spool ended at ${at + filled} of ${this.size} bytes`);
        filled += n;
      }
      at += filled;
      yield chunk;
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
    if (!this.unlinked) rmSync(this.path, { force: true });
  }
}
