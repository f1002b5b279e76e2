/**
 * PostgreSQL's streaming replication protocol for logical decoding, as pure functions over
 * bytes: the CopyData frames of START_REPLICATION (XLogData, keepalive), the standby status
 * update the client answers with, and the messages of the `pgoutput` plugin (protocol
 * version 1, with `messages`). Described in the PostgreSQL manual, "Streaming Replication
 * Protocol" and "Logical Replication Message Formats".
 */

/** A WAL position. PostgreSQL prints it as two hex halves, `16/B374D848`. */
export type Lsn = bigint;

export function parseLsn(text: string): Lsn {
  const m = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/.exec(text);
  if (m === null) throw new Error(`"${text}" is not a WAL position (like 16/B374D848)`);
  return (BigInt(`0x${m[1] ?? '0'}`) << 32n) | BigInt(`0x${m[2] ?? '0'}`);
}

export function formatLsn(lsn: Lsn): string {
  return `${(lsn >> 32n).toString(16).toUpperCase()}/${(lsn & 0xffffffffn).toString(16).toUpperCase()}`;
}

/** Microseconds from 1970 to 2000-01-01, PostgreSQL's epoch for protocol timestamps. */
const PG_EPOCH_MICROS = 946_684_800_000_000n;

/** A protocol timestamp (µs since 2000) as an ISO instant with microseconds. */
export function pgTimestampToIso(micros: bigint): string {
  const unixMicros = micros + PG_EPOCH_MICROS;
  const ms = unixMicros / 1000n;
  const rest = Number(((unixMicros % 1000n) + 1000n) % 1000n);
  const iso = new Date(Number(ms)).toISOString(); // 2026-11-28T06:43:54.123Z
  return `${iso.slice(0, 23)}${String(rest).padStart(3, '0')}Z`;
}

/** A protocol timestamp (µs since 2000) as Unix milliseconds. */
export const pgTimestampToUnixMs = (micros: bigint): number => Number((micros + PG_EPOCH_MICROS) / 1000n);

export function isoToPgTimestamp(unixMs: number): bigint {
  return BigInt(Math.round(unixMs)) * 1000n - PG_EPOCH_MICROS;
}

/** A frame the server sends inside the replication stream. */
export type ReplicationFrame =
  | { readonly type: 'xlog'; readonly start: Lsn; readonly walEnd: Lsn; readonly body: Buffer }
  | { readonly type: 'keepalive'; readonly walEnd: Lsn; readonly replyRequested: boolean };

export function decodeFrame(frame: Buffer): ReplicationFrame {
  const kind = frame[0];
  if (kind === 0x77 /* w */) {
    return {
      type: 'xlog',
      start: frame.readBigUInt64BE(1),
      walEnd: frame.readBigUInt64BE(9),
      body: frame.subarray(25),
    };
  }
  if (kind === 0x6b /* k */) {
    return { type: 'keepalive', walEnd: frame.readBigUInt64BE(1), replyRequested: frame[17] === 1 };
  }
  throw new Error(`unknown replication frame "${String.fromCharCode(kind ?? 0)}"`);
}

/** The standby status update: everything up to `flushed` is safe and the server may recycle it. */
export function standbyStatus(flushed: Lsn, nowMs: number, replyRequested = false): Buffer {
  const b = Buffer.alloc(34);
  b[0] = 0x72; // r
  b.writeBigUInt64BE(flushed, 1); // written
  b.writeBigUInt64BE(flushed, 9); // flushed
  b.writeBigUInt64BE(flushed, 17); // applied
  b.writeBigInt64BE(isoToPgTimestamp(nowMs), 25);
  b[33] = replyRequested ? 1 : 0;
  return b;
}

/** One column of a relation as pgoutput describes it. */
export interface RelationColumn {
  readonly name: string;
  readonly typeOid: number;
  readonly typeMod: number;
  readonly isKey: boolean;
}

/** A column value: text, NULL, or "unchanged TOASTed value" (not sent; keep what is stored). */
export type TupleValue = string | null | typeof UNCHANGED;
export const UNCHANGED: unique symbol = Symbol('unchanged toast');

export type PgOutputMessage =
  | { readonly tag: 'begin'; readonly finalLsn: Lsn; readonly commitTime: bigint; readonly xid: number }
  | { readonly tag: 'commit'; readonly commitLsn: Lsn; readonly endLsn: Lsn; readonly commitTime: bigint }
  | {
      readonly tag: 'relation';
      readonly relationId: number;
      readonly namespace: string;
      readonly name: string;
      readonly replicaIdentity: string;
      readonly columns: readonly RelationColumn[];
    }
  | { readonly tag: 'insert'; readonly relationId: number; readonly after: readonly TupleValue[] }
  | {
      readonly tag: 'update';
      readonly relationId: number;
      /** The old key ('K') or old row ('O'), sent only when the key changed or REPLICA IDENTITY FULL. */
      readonly before: readonly TupleValue[] | null;
      readonly after: readonly TupleValue[];
    }
  | { readonly tag: 'delete'; readonly relationId: number; readonly before: readonly TupleValue[] }
  | { readonly tag: 'truncate'; readonly relationIds: readonly number[] }
  | {
      readonly tag: 'message';
      readonly transactional: boolean;
      readonly lsn: Lsn;
      readonly prefix: string;
      readonly content: Buffer;
    }
  | { readonly tag: 'other'; readonly code: string };

/** Reads a pgoutput message; strings are UTF-8 (the client encoding etl asks for). */
export function decodePgOutput(body: Buffer): PgOutputMessage {
  const r = new Reader(body);
  const code = String.fromCharCode(r.u8());
  switch (code) {
    case 'B':
      return { tag: 'begin', finalLsn: r.u64(), commitTime: r.i64(), xid: r.u32() };
    case 'C': {
      r.u8(); // flags, unused
      return { tag: 'commit', commitLsn: r.u64(), endLsn: r.u64(), commitTime: r.i64() };
    }
    case 'R': {
      const relationId = r.u32();
      const namespace = r.cstring();
      const name = r.cstring();
      const replicaIdentity = String.fromCharCode(r.u8());
      const n = r.u16();
      const columns: RelationColumn[] = [];
      for (let i = 0; i < n; i++) {
        const flags = r.u8();
        columns.push({ isKey: (flags & 1) === 1, name: r.cstring(), typeOid: r.u32(), typeMod: r.i32() });
      }
      return { tag: 'relation', relationId, namespace, name, replicaIdentity, columns };
    }
    case 'I': {
      const relationId = r.u32();
      r.expect('N');
      return { tag: 'insert', relationId, after: r.tuple() };
    }
    case 'U': {
      const relationId = r.u32();
      let kind = String.fromCharCode(r.u8());
      let before: TupleValue[] | null = null;
      if (kind === 'K' || kind === 'O') {
        before = r.tuple();
        kind = String.fromCharCode(r.u8());
      }
      if (kind !== 'N') throw new Error(`pgoutput update: expected N, got ${kind}`);
      return { tag: 'update', relationId, before, after: r.tuple() };
    }
    case 'D': {
      const relationId = r.u32();
      const kind = String.fromCharCode(r.u8());
      if (kind !== 'K' && kind !== 'O') throw new Error(`pgoutput delete: expected K or O, got ${kind}`);
      return { tag: 'delete', relationId, before: r.tuple() };
    }
    case 'T': {
      const n = r.u32();
      r.u8(); // options (CASCADE, RESTART IDENTITY)
      const relationIds: number[] = [];
      for (let i = 0; i < n; i++) relationIds.push(r.u32());
      return { tag: 'truncate', relationIds };
    }
    case 'M': {
      const transactional = (r.u8() & 1) === 1;
      const lsn = r.u64();
      const prefix = r.cstring();
      const length = r.u32();
      return { tag: 'message', transactional, lsn, prefix, content: r.bytes(length) };
    }
    default:
      // Origin ('O') and Type ('Y') messages carry nothing etl needs.
      return { tag: 'other', code };
  }
}

class Reader {
  private at = 0;
  constructor(private readonly b: Buffer) {}

  u8(): number {
    const v = this.b.readUInt8(this.at);
    this.at += 1;
    return v;
  }
  u16(): number {
    const v = this.b.readUInt16BE(this.at);
    this.at += 2;
    return v;
  }
  u32(): number {
    const v = this.b.readUInt32BE(this.at);
    this.at += 4;
    return v;
  }
  i32(): number {
    const v = this.b.readInt32BE(this.at);
    this.at += 4;
    return v;
  }
  u64(): bigint {
    const v = this.b.readBigUInt64BE(this.at);
    this.at += 8;
    return v;
  }
  i64(): bigint {
    const v = this.b.readBigInt64BE(this.at);
    this.at += 8;
    return v;
  }
  bytes(n: number): Buffer {
    if (this.at + n > this.b.length) throw new Error('pgoutput message cut short');
    const v = this.b.subarray(this.at, this.at + n);
    this.at += n;
    return v;
  }
  cstring(): string {
    const end = this.b.indexOf(0, this.at);
    if (end < 0) throw new Error('pgoutput string without its terminator');
    const v = this.b.toString('utf8', this.at, end);
    this.at = end + 1;
    return v;
  }
  expect(kind: string): void {
    const got = String.fromCharCode(this.u8());
    if (got !== kind) throw new Error(`pgoutput: expected ${kind}, got ${got}`);
  }
  tuple(): TupleValue[] {
    const n = this.u16();
    const values: TupleValue[] = [];
    for (let i = 0; i < n; i++) {
      const kind = String.fromCharCode(this.u8());
      if (kind === 'n') values.push(null);
      else if (kind === 'u') values.push(UNCHANGED);
      else if (kind === 't') values.push(this.bytes(this.u32()).toString('utf8'));
      else throw new Error(`pgoutput tuple: column kind ${kind} is not text`);
    }
    return values;
  }
}
