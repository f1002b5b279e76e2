import { describe, expect, it } from 'vitest';
import {
  PEER_TABLES,
  chunkSql,
  classifyDifference,
  compareRows,
  comparisonIsEqual,
  cpuSecondsOfStat,
  describeComparison,
  newComparison,
  peakRssKbOfStatus,
  peerResult,
  selectText,
  sinkDdlToRunByHand,
  tableOfDdl,
  type SideRun,
} from './cdc-peer-result.js';

describe('reading /proc', () => {
  it('adds user and system ticks, whatever the command name holds', () => {
    const stat =
      '4242 (java (Connect) x) S 1 4242 4242 0 -1 4194560 1000 0 0 0 1234 566 0 0 20 0 57 0 99 4000000000 200000';
    expect(cpuSecondsOfStat(stat, 100)).toBeCloseTo(18.0);
  });
  it('refuses a line that is not a stat line', () => {
    expect(() => cpuSecondsOfStat('nonsense')).toThrow(/stat/);
  });
  it('reads the peak resident memory', () => {
    expect(peakRssKbOfStatus('Name:\tjava\nVmPeak:\t 9999 kB\nVmHWM:\t  812345 kB\nVmRSS:\t 700000 kB\n')).toBe(812345);
  });
});

describe("Debezium's JDBC sink log", () => {
  const failed =
    'org.hibernate.exception.SQLGrammarException: JDBC exception executing SQL ' +
    "[(conn=4992) Invalid default value for 'updated_at'] " +
    '[CREATE TABLE orderdetails (order_detail_id bigint NOT NULL, total_price decimal(12,2) NOT NULL, ' +
    "updated_at timestamp(6) DEFAULT '1970-01-01T00:00:00' NOT NULL, PRIMARY KEY(order_detail_id))]";
  it('gives each failed CREATE TABLE once, without the default MariaDB refused', () => {
    const log = ['[2026-12-04] WARN Table creation failed', failed, failed, 'at io.debezium...'].join('\n');
    expect(sinkDdlToRunByHand(log)).toEqual([
      'CREATE TABLE orderdetails (order_detail_id bigint NOT NULL, total_price decimal(12,2) NOT NULL, ' +
        'updated_at timestamp(6) NOT NULL, PRIMARY KEY(order_detail_id))',
    ]);
  });
  it('ignores other failures and names the table', () => {
    expect(sinkDdlToRunByHand('[CREATE TABLE x (a int)] Table exists')).toEqual([]);
    expect(tableOfDdl('CREATE TABLE `db`.`orders` (a int)')).toBe('orders');
    expect(tableOfDdl('CREATE TABLE orders (a int)')).toBe('orders');
  });
});

describe('comparing a replica with the source', () => {
  it('says how two values differ', () => {
    expect(classifyDifference('12.50', '12.50')).toBeUndefined();
    expect(classifyDifference(null, null)).toBeUndefined();
    expect(classifyDifference('12.50', '12.5')).toBe('numeric scale');
    expect(classifyDifference('12.50', '12.51')).toBe('value');
    expect(classifyDifference(null, '')).toBe('NULL vs empty');
    expect(classifyDifference('', null)).toBe('NULL vs empty');
    expect(classifyDifference(null, 'x')).toBe('value');
    expect(classifyDifference('2024-01-02 03:04:05.123456', '2024-01-02 03:04:05.123000')).toBe('timestamp precision');
    expect(classifyDifference('2024-01-02 03:04:05.123456', '2024-01-02 03:04:05.000000')).toBe('timestamp precision');
    expect(classifyDifference('2024-01-02 23:59:59.999999', '2024-01-03 00:00:00.000000')).toBe('timestamp precision');
    expect(classifyDifference('2024-01-02 03:04:05.123456', '2024-01-02 05:04:05.123456')).toBe(
      'timestamp shifted by whole minutes',
    );
    expect(classifyDifference('2024-01-02 03:04:05.123456', '2024-01-02 03:04:06.123456')).toBe('value');
    expect(classifyDifference('Shipped', 'Pending')).toBe('value');
  });

  it('matches rows by key across chunks, counting missing, extra and differing rows', () => {
    const columns = ['id', 'amount', 'at', 'note'];
    const cmp = newComparison('orders');
    compareRows(
      cmp,
      columns,
      [
        ['1', '1.00', '2024-01-01 00:00:00.000001', null],
        ['2', '2.50', '2024-01-01 00:00:00.000002', 'a'],
        ['10', '3.00', '2024-01-01 00:00:00.000003', null],
      ],
      [
        ['1', '1.00', '2024-01-01 00:00:00.000001', null],
        ['3', '9.00', '2024-01-01 00:00:00.000000', null],
        ['10', '3', '2024-01-01 00:00:00.000000', ''],
      ],
    );
    compareRows(cmp, columns, [['11', '1.00', null, null]], [['11', '1.00', null, null]]);
    expect(cmp).toMatchObject({ sourceRows: 4, replicaRows: 4, missing: 1, extra: 1 });
    expect(comparisonIsEqual(cmp)).toBe(false);
    expect(cmp.columns.get('amount')?.kinds.get('numeric scale')).toBe(1);
    expect(cmp.columns.get('at')?.kinds.get('timestamp precision')).toBe(1);
    expect(cmp.columns.get('note')?.kinds.get('NULL vs empty')).toBe(1);
    const line = describeComparison('Debezium', cmp);
    expect(line).toContain('Debezium orders vs source: 4 of 4 rows, DIFFERS: 1 rows missing; 1 rows extra');
    expect(line).toContain("amount differs in 1 rows (numeric scale 1; e.g. key 10: '3.00' → '3')");
    expect(line).toContain("note differs in 1 rows (NULL vs empty 1; e.g. key 10: NULL → '')");
  });

  it('orders keys as numbers, not text', () => {
    const cmp = compareRows(newComparison('t'), ['id'], [['9'], ['10']], [['9'], ['10']]);
    expect(comparisonIsEqual(cmp)).toBe(true);
    expect(describeComparison('etl', cmp)).toBe('etl t vs source: 2 of 2 rows, every value equal');
  });

  it('reads every column as the same text on both sides', () => {
    const orders = PEER_TABLES[0];
    if (orders === undefined) throw new Error('no tables');
    expect(selectText('postgres', orders)).toContain(
      `to_char("order_date" AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') AS "order_date"`,
    );
    expect(selectText('postgres', orders)).toContain('"total_amount"::text AS "total_amount"');
    expect(selectText('mysql', orders)).toContain("DATE_FORMAT(`order_date`, '%Y-%m-%d %H:%i:%s.%f') AS `order_date`");
    expect(selectText('mysql', orders)).toMatch(/^SELECT CAST\(`order_id` AS CHAR\) AS `order_id`.* FROM `orders`$/);
  });

  it('reads key ranges ordered by the key column, not by its text', () => {
    const details = PEER_TABLES[1];
    if (details === undefined) throw new Error('no tables');
    const pgKey = '"orderdetails"."order_detail_id"';
    expect(chunkSql('postgres', details, false, 50_000)).toMatch(
      new RegExp(
        ` FROM "orderdetails" WHERE ${pgKey} > [$]1::bigint ORDER BY ${pgKey} LIMIT 50000$`.replace(/\./g, '[.]'),
      ),
    );
    const myKey = '`orderdetails`.`order_detail_id`';
    expect(chunkSql('mysql', details, true).endsWith(` WHERE ${myKey} > ? AND ${myKey} <= ? ORDER BY ${myKey}`)).toBe(
      true,
    );
  });
});

describe('the result', () => {
  const run = (name: string, seconds: number, cpuSeconds: number, peakMb: number): SideRun => ({
    name,
    label: `${name} label`,
    seconds,
    cpuSeconds,
    peakRssKb: peakMb * 1024,
    equalled: true,
  });
  it('compares etl with the fastest peer run, and says whether the goals are met', () => {
    const result = peerResult({
      changes: 20_000,
      ours: run('etl', 2, 3, 200),
      peers: [run('Debezium default', 20, 30, 1200), run('Debezium tuned', 10, 25, 1100)],
      notes: ['a note'],
    });
    expect(result.unit).toBe('changes');
    expect(result.goal).toBe(5);
    expect(result.ours).toEqual({ label: 'etl label', count: 20_000, seconds: 2 });
    expect(result.limit.seconds).toBe(10);
    expect(result.limit.label).toContain('Debezium tuned');
    const notes = result.notes ?? [];
    expect(notes[0]).toBe(
      'etl: 20,000 changes in 2.00 s until its replica equalled the source = 10,000 changes/s; CPU 3.0 s; ' +
        'peak RSS 200 MB',
    );
    expect(notes[3]).toBe(
      "etl vs Debezium tuned: 5.00× the changes/s (goal ≥ 5×: met); the peer used 8.33× etl's CPU seconds; " +
        "etl's peak RSS is 0.18 of the peer's (goal ≤ 0.2: met)",
    );
    expect(notes.at(-1)).toBe('a note');
  });
  it('says when a side never equalled the source', () => {
    const result = peerResult({
      changes: 100,
      ours: run('etl', 1, 1, 100),
      peers: [{ ...run('Debezium', 4, 8, 1000), equalled: false, startupSeconds: 3 }],
      notes: [],
    });
    expect(result.notes?.[1]).toContain('until its replica settled, NOT equal to the source');
    expect(result.notes?.[1]).toContain('start-up 3.0 s, then 100 changes/s');
    expect(result.notes?.[2]).toContain('goal ≥ 5×: NOT met');
  });
});
