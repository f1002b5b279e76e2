/**
 * PostgreSQL's binary COPY format, for the rows a seed writes most of (orders and their lines):
 * numbers, instants and numerics arrive as PostgreSQL stores them, so the server parses no text
 * (a COPY of 1M orders took 4.3 s as text and 2.0 s as binary). Only the tuples are written
 * here; whoever runs the COPY frames them with COPY_BINARY_HEADER and COPY_BINARY_TRAILER.
 * ByteBuilder, the growing buffer beneath, also serves COPY text built as bytes.
 */

/** The file header: signature, flags (none) and the header extension's length (0). */
export const COPY_BINARY_HEADER: Buffer = Buffer.concat([Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1'), Buffer.alloc(8)]);
/** The file trailer: a field count of -1. */
export const COPY_BINARY_TRAILER: Buffer = Buffer.from([0xff, 0xff]);

const TWO_32 = 2 ** 32;
/** Milliseconds from the Unix epoch to PostgreSQL's (2000-01-01 UTC). */
const PG_EPOCH_MS = 946_684_800_000;

/** Bytes appended to a buffer that grows as needed; `take` hands over what is written so far. */
export class ByteBuilder {
  protected buffer: Buffer;
  protected at = 0;

  constructor(initialBytes = 256 * 1024) {
    this.buffer = Buffer.allocUnsafe(initialBytes);
  }

  /** Bytes written since the last take. */
  get size(): number {
    return this.at;
  }

  /** Makes room for at least `bytes` more. */
  protected room(bytes: number): void {
    if (this.at + bytes <= this.buffer.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.at + bytes));
    this.buffer.copy(bigger, 0, 0, this.at);
    this.buffer = bigger;
  }

  /** Appends text as UTF-8. */
  utf8(text: string): this {
    this.room(3 * text.length);
    this.at += this.buffer.write(text, this.at, 'utf8');
    return this;
  }

  /** Appends bytes as they are. */
  bytes(bytes: Uint8Array): this {
    this.room(bytes.byteLength);
    this.buffer.set(bytes, this.at);
    this.at += bytes.byteLength;
    return this;
  }

  /** What was written since the last take, as a buffer of its own. */
  take(): Buffer {
    const out = Buffer.from(this.buffer.subarray(0, this.at));
    this.at = 0;
    return out;
  }
}

/**
 * Builds binary COPY tuples. Bytes are stored one by one rather than through Buffer's
 * write*BE methods, whose argument checks cost more than the stores (a seed writes 40M fields).
 */
export class CopyBinaryWriter extends ByteBuilder {
  /** Stores the low 32 bits of `value`, big-endian, at `at`; returns the offset after them. */
  private put32(value: number, at: number): number {
    const b = this.buffer;
    b[at] = value >>> 24;
    b[at + 1] = value >>> 16;
    b[at + 2] = value >>> 8;
    b[at + 3] = value;
    return at + 4;
  }

  /** Stores the low 16 bits of `value`, big-endian, at `at`; returns the offset after them. */
  private put16(value: number, at: number): number {
    this.buffer[at] = value >>> 8;
    this.buffer[at + 1] = value;
    return at + 2;
  }

  /** Starts a tuple of `fields` fields. */
  row(fields: number): this {
    this.room(2);
    this.at = this.put16(fields, this.at);
    return this;
  }

  null(): this {
    this.room(4);
    this.at = this.put32(-1, this.at);
    return this;
  }

  int4(value: number): this {
    this.room(8);
    this.at = this.put32(value, this.put32(4, this.at));
    return this;
  }

  /** A bigint from a safe integer. */
  int8(value: number): this {
    this.room(12);
    this.at = this.int64(value, this.put32(8, this.at));
    return this;
  }

  /** A safe integer as 64 bits, two's complement: the high word (signed), then the low one. */
  private int64(value: number, at: number): number {
    const high = Math.floor(value / TWO_32);
    return this.put32(value - high * TWO_32, this.put32(high, at));
  }

  /** A timestamptz from milliseconds since the Unix epoch (stored as microseconds since 2000). */
  timestamptz(ms: number): this {
    this.room(12);
    const at = this.put32(8, this.at);
    const sinceEpoch = ms - PG_EPOCH_MS;
    // Microseconds stay exact in a double for ±285 years around 2000; beyond, BigInt.
    if (Math.abs(sinceEpoch) < 9e12) this.at = this.int64(sinceEpoch * 1000, at);
    else this.at = this.buffer.writeBigInt64BE(BigInt(sinceEpoch) * 1000n, at);
    return this;
  }

  /** A numeric with two decimals, from a whole number of cents. */
  cents(cents: number): this {
    // numeric's binary form: base-10000 digits, the weight of the first, a sign and the scale.
    // Written without an array of digits: this runs three times per order line.
    const negative = cents < 0;
    const magnitude = Math.abs(cents);
    const units = Math.floor(magnitude / 100);
    const fraction = magnitude % 100;
    let groups = 0;
    for (let u = units; u > 0; u = Math.floor(u / 10000)) groups++;
    const digits = groups + (fraction === 0 ? 0 : 1);
    this.room(4 + 8 + 2 * digits);
    let at = this.put32(8 + 2 * digits, this.at);
    at = this.put16(digits, at);
    at = this.put16(digits === 0 ? 0 : groups - 1, at);
    at = this.put16(negative && digits > 0 ? 0x4000 : 0, at);
    at = this.put16(2, at);
    // The most significant group first.
    for (let g = groups - 1, u = units; g >= 0; g--, u = Math.floor(u / 10000)) this.put16(u % 10000, at + 2 * g);
    at += 2 * groups;
    if (fraction !== 0) at = this.put16(fraction * 100, at);
    this.at = at;
    return this;
  }

  /** Text (varchar, text) as UTF-8. */
  text(value: string): this {
    this.room(4 + 3 * value.length);
    const bytes = this.buffer.write(value, this.at + 4, 'utf8');
    this.put32(bytes, this.at);
    this.at += 4 + bytes;
    return this;
  }
}
