import { describe, expect, it } from 'vitest';
import { replicaSpec } from '../replicate/spec.js';
import { DataCheckError } from '../errors.js';
import { shopColumnType, shopSourceTable } from '../schema/shop-catalog.js';
import { capturedTable } from './captured.js';
import { compareRelation } from './decoder.js';
import { TABLES, type TableName } from '../schema/tables.js';
import { comparePositions, decodeChange, encodeChange, RelationMapper, replicaText, type Change } from './change.js';
import {
  decodeFrame,
  decodePgOutput,
  formatLsn,
  parseLsn,
  pgTimestampToIso,
  standbyStatus,
  UNCHANGED,
  type RelationColumn,
} from './pgoutput.js';

/** Builds pgoutput bytes the way the server writes them. */
class Bytes {
  private parts: Buffer[] = [];
  u8(n: number) {
    this.parts.push(Buffer.from([n]));
    return this;
  }
  char(c: string) {
    return this.u8(c.charCodeAt(0));
  }
  u16(n: number) {
    const b = Buffer.alloc(2);
    b.writeUInt16BE(n);
    this.parts.push(b);
    return this;
  }
  u32(n: number) {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n);
    this.parts.push(b);
    return this;
  }
  i32(n: number) {
    const b = Buffer.alloc(4);
    b.writeInt32BE(n);
    this.parts.push(b);
    return this;
  }
  u64(n: bigint) {
    const b = Buffer.alloc(8);
    b.writeBigUInt64BE(n);
    this.parts.push(b);
    return this;
  }
  str(s: string) {
    this.parts.push(Buffer.from(s, 'utf8'), Buffer.from([0]));
    return this;
  }
  tuple(values: (string | null | typeof UNCHANGED)[]) {
    this.u16(values.length);
    for (const v of values) {
      if (v === null) this.char('n');
      else if (v === UNCHANGED) this.char('u');
      else {
        const b = Buffer.from(v, 'utf8');
        this.char('t').u32(b.length);
        this.parts.push(b);
      }
    }
    return this;
  }
  done() {
    return Buffer.concat(this.parts);
  }
}

const orderColumns: RelationColumn[] = TABLES.orders.columns.map((c) => ({
  name: c.name,
  typeOid: shopColumnType(c.type).oid,
  typeMod: shopColumnType(c.type).type.typmod,
  isKey: c.name === 'order_id',
}));

describe('pgoutput', () => {
  it('reads and prints WAL positions', () => {
    expect(parseLsn('16/B374D848')).toBe(0x16b374d848n);
    expect(formatLsn(0x16b374d848n)).toBe('16/B374D848');
    expect(() => parseLsn('nope')).toThrow(/not a WAL position/);
  });

  it('keeps microseconds of protocol timestamps', () => {
    // 2026-01-02T03:04:05.123456Z in µs since 2000-01-01.
    const micros = BigInt(Date.UTC(2026, 0, 2, 3, 4, 5, 123)) * 1000n + 456n - 946_684_800_000_000n;
    expect(pgTimestampToIso(micros)).toBe('2026-01-02T03:04:05.123456Z');
  });

  it('decodes XLogData and keepalive frames, and writes the standby status', () => {
    const x = new Bytes().char('w').u64(10n).u64(20n).u64(0n).char('B').done();
    expect(decodeFrame(x)).toMatchObject({ type: 'xlog', start: 10n, walEnd: 20n });
    const k = new Bytes().char('k').u64(99n).u64(0n).u8(1).done();
    expect(decodeFrame(k)).toEqual({ type: 'keepalive', walEnd: 99n, replyRequested: true });
    const s = standbyStatus(0x1234n, Date.UTC(2026, 0, 1), true);
    expect(s.length).toBe(34);
    expect(String.fromCharCode(s[0] ?? 0)).toBe('r');
    expect(s.readBigUInt64BE(9)).toBe(0x1234n);
    expect(s[33]).toBe(1);
  });

  it('decodes begin, relation, insert, update with the old key, delete, commit, message, truncate', () => {
    expect(decodePgOutput(new Bytes().char('B').u64(500n).u64(0n).u32(7).done())).toEqual({
      tag: 'begin',
      finalLsn: 500n,
      commitTime: 0n,
      xid: 7,
    });
    const rel = new Bytes().char('R').u32(42).str('public').str('orders').char('d').u16(orderColumns.length);
    for (const c of orderColumns)
      rel
        .u8(c.isKey ? 1 : 0)
        .str(c.name)
        .u32(c.typeOid)
        .i32(c.typeMod);
    expect(decodePgOutput(rel.done())).toMatchObject({ tag: 'relation', relationId: 42, name: 'orders' });
    const row = ['1', '2', '2026-01-02 03:04:05.5+00', '10.50', 'Shipped', null, '2026-01-02 03:04:05+00'];
    expect(decodePgOutput(new Bytes().char('I').u32(42).char('N').tuple(row).done())).toEqual({
      tag: 'insert',
      relationId: 42,
      after: row,
    });
    const upd = new Bytes().char('U').u32(42).char('K').tuple(['9', null, null, null, null, null, null]);
    expect(decodePgOutput(upd.char('N').tuple(row).done())).toMatchObject({
      tag: 'update',
      before: ['9', null, null, null, null, null, null],
    });
    expect(decodePgOutput(new Bytes().char('D').u32(42).char('K').tuple(['1']).done())).toMatchObject({
      tag: 'delete',
      before: ['1'],
    });
    expect(decodePgOutput(new Bytes().char('C').u8(0).u64(500n).u64(560n).u64(0n).done())).toMatchObject({
      tag: 'commit',
      commitLsn: 500n,
      endLsn: 560n,
    });
    const msg = new Bytes().char('M').u8(0).u64(600n).str('etl_cdc_drain').u32(3).done();
    expect(decodePgOutput(Buffer.concat([msg, Buffer.from('abc')]))).toMatchObject({
      tag: 'message',
      transactional: false,
      prefix: 'etl_cdc_drain',
    });
    expect(decodePgOutput(new Bytes().char('T').u32(1).u8(0).u32(42).done())).toEqual({
      tag: 'truncate',
      relationIds: [42],
    });
  });
});

describe('change envelope', () => {
  const spec = replicaSpec('orders');
  const mapper = new RelationMapper(spec, orderColumns);

  it('turns a decoded tuple into the replica form, leaving unchanged TOAST out', () => {
    const row = mapper.row(['1', '2', '2026-01-02 03:04:05.5+00', '10.50', 'Shipped', null, UNCHANGED]);
    expect(row).toEqual({
      order_id: '1',
      user_id: '2',
      order_date: '2026-01-02 03:04:05.500000',
      total_amount: '10.50',
      status: 'Shipped',
      delivery_date: null,
    });
    expect(mapper.key(['1'])).toEqual({ order_id: '1' });
  });

  it('applies masks and transforms in capture', () => {
    const users = replicaSpec('users', ['users.phone']);
    const columns: RelationColumn[] = TABLES.users.columns.map((c) => ({
      name: c.name,
      ...{ typeOid: shopColumnType(c.type).oid, typeMod: shopColumnType(c.type).type.typmod },
      isKey: c.name === 'user_id',
    }));
    const row = new RelationMapper(users, columns).row([
      '1',
      'A',
      'B',
      ' Me@X.Example ',
      '+1 555',
      '2026-01-01 00:00:00+00',
      'Gold',
      '2026-01-01 00:00:00+00',
    ]);
    expect(row['email']).toBe('me@x.example');
    expect(row['phone']).toMatch(/^masked_[0-9a-f]{24}$/);
  });

  it('prints values as etl replicate does, through the same codecs', () => {
    const column = (table: TableName, name: string) =>
      replicaSpec(table).columns.find((c) => c.name === name) ?? expect.fail(name);
    const ip = column('kafka_events', 'ip_address');
    expect(replicaText(ip, '10.0.0.0/8')).toBe('10.0.0.0/8');
    expect(replicaText(ip, '2001:db8::1')).toBe('2001:db8::1');
    const at = column('orders', 'order_date');
    expect(replicaText(at, '2026-01-02 03:04:05.123456+00')).toBe('2026-01-02 03:04:05.123456');
    expect(replicaText(at, '2026-01-02 03:04:05.5-02')).toBe('2026-01-02 05:04:05.500000');
    expect(replicaText(at, '2026-01-02 03:04:05+00')).toBe('2026-01-02 03:04:05.000000');
    expect(() => replicaText(at, 'infinity')).toThrow(DataCheckError);
    expect(() => replicaText(at, '0999-12-31 23:59:59+00')).toThrow(DataCheckError);
    expect(replicaText(at, '0999-12-31 23:59:59-01')).toBe('1000-01-01 00:59:59.000000');
  });

  it('names what changed in a relation', () => {
    const captured = capturedTable(
      shopSourceTable('orders'),
      { target: 'orders', masks: [], shopTransforms: false },
      'p',
    );
    const at = 100n;
    expect(compareRelation(captured, spec, orderColumns, at)).toEqual({ added: [], problems: [] });
    const color = { name: 'color', typeOid: 25, typeMod: -1, isKey: false };
    expect(compareRelation(captured, spec, [...orderColumns, color], at)).toEqual({ added: [color], problems: [] });
    expect(compareRelation(captured, spec, orderColumns.slice(1), at).problems).toEqual([
      'column order_id was dropped',
    ]);
    const retyped = orderColumns.map((c) => (c.name === 'status' ? { ...c, typeMod: 54 } : c));
    expect(compareRelation(captured, spec, retyped, at).problems).toEqual(['column status changed its type']);
    // A column the capture added at 0/64 is rightly missing from relations of transactions before it.
    const grown = {
      ...captured,
      columns: captured.columns.map((c) => (c.source === 'status' ? { ...c, addedAt: formatLsn(at) } : c)),
    };
    const without = orderColumns.filter((c) => c.name !== 'status');
    expect(compareRelation(grown, spec, without, at - 1n).problems).toEqual([]);
    expect(compareRelation(grown, spec, without, at).problems).toEqual(['column status was dropped']);
  });

  it('round-trips through JSON, and refuses what is not an envelope', () => {
    const change: Change = {
      epoch: 'e1',
      op: 'update',
      table: 'orders',
      lsn: 0x16b374d848n,
      seq: 3,
      committedAt: '2026-01-02T03:04:05.123456Z',
      key: { order_id: '1' },
      after: { order_id: '1', status: 'Shipped', delivery_date: null },
    };
    const { key, value } = encodeChange(change);
    expect(key).toBe('{"order_id":"1"}');
    expect(JSON.parse(value)).toMatchObject({ lsn: '16/B374D848', seq: 3, op: 'update' });
    expect(decodeChange(Buffer.from(value))).toEqual(change);
    for (const bad of [
      '',
      'null',
      '{}',
      value.replace('"update"', '"merge"'),
      value.replace('"orders"', '""'),
      value.replace('"orders"', '7'),
    ]) {
      expect(decodeChange(Buffer.from(bad))).toBeUndefined();
    }
    expect(decodeChange(null)).toBeUndefined();
    // Any MySQL name travels: quotes, backslashes, non-ASCII.
    const odd = { ...change, table: 'sales__Order "Lines"\\ü🚀' };
    expect(decodeChange(Buffer.from(encodeChange(odd).value))).toEqual(odd);
    expect(decodeChange(Buffer.from(encodeChange(change).value))).toEqual(change);
  });

  it('orders positions by commit LSN, then by place in the transaction', () => {
    expect(comparePositions({ lsn: 1n, seq: 5 }, { lsn: 2n, seq: 0 })).toBeLessThan(0);
    expect(comparePositions({ lsn: 2n, seq: 1 }, { lsn: 2n, seq: 0 })).toBeGreaterThan(0);
    expect(comparePositions({ lsn: 2n, seq: 1 }, { lsn: 2n, seq: 1 })).toBe(0);
  });
});
