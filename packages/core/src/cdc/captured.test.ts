import { describe, expect, it } from 'vitest';
import type { PgTypeShape, SourceColumn, SourceTable } from '../catalog/source-table.js';
import { UsageError } from '../errors.js';
import { buildReplicaSpec, specFromRecipe, type SpecRecipe } from '../replicate/spec.js';
import { capturedSpec, capturedTable, captureProblem, refuseUncapturable, topicName } from './captured.js';
import { RelationMapper } from './change.js';
import type { RelationColumn } from './pgoutput.js';

const base = (name: string): PgTypeShape => ({ kind: 'base', name });
const column = (name: string, type: string, attnum: number, nullable = true): SourceColumn => ({
  name,
  attnum,
  typeOid: attnum,
  typeMod: -1,
  type: { shape: base(type), typmod: -1, formatted: type },
  nullable,
  generated: false,
});

/** A table of someone's own database: a text and uuid key, bytes, a column renamed for MySQL. */
const ORDER_LINES: SourceTable = {
  name: { schema: 'sales', name: 'Order Lines' },
  oid: 1,
  partitioned: false,
  columns: [
    column('Code', 'text', 1, false),
    column('id', 'uuid', 2, false),
    column('blob', 'bytea', 3),
    column('ID', 'int4', 4),
  ],
  key: ['Code', 'id'],
  keySource: 'primary key',
  replicaIdentity: 'd',
  identity: ['Code', 'id'],
  estimatedRows: 10,
};
const RECIPE: SpecRecipe = {
  target: 'sales__Order Lines',
  masks: [],
  shopTransforms: false,
  columnTargets: { ID: 'id_upper' },
};

describe('topicName', () => {
  it('keeps a name made of topic characters, and makes any other one safe and distinct', () => {
    expect(topicName('etl.cdc', 'orders')).toBe('etl.cdc.orders');
    expect(topicName('etl.cdc', 'sales__orders')).toBe('etl.cdc.sales__orders');
    const odd = topicName('etl.cdc', 'sales__Order Lines');
    expect(odd).toMatch(/^etl\.cdc\.sales__Order_Lines-[0-9a-f]{8}$/);
    // Two names that differ only where Kafka cannot follow never share a topic.
    expect(topicName('etl.cdc', 'a b')).not.toBe(topicName('etl.cdc', 'a;b'));
    for (const name of ['ü🚀', 'x'.repeat(64), 'a"b`c;d', '🚀'.repeat(64)]) {
      const topic = topicName('p'.repeat(200), name);
      expect(topic.length).toBeLessThanOrEqual(249);
      expect(topic).toMatch(/^[A-Za-z0-9._-]+$/);
    }
  });
});

describe('capturedTable', () => {
  it('records what apply needs by MySQL names, and rebuilds the same spec from the record', () => {
    const captured = capturedTable(ORDER_LINES, RECIPE, 'etl.cdc');
    expect(captured).toMatchObject({
      source: { schema: 'sales', name: 'Order Lines' },
      table: 'sales__Order Lines',
      key: ['Code', 'id'],
      columns: [
        { source: 'Code', name: 'Code', hex: false },
        { source: 'id', name: 'id', hex: false },
        { source: 'blob', name: 'blob', hex: true },
        { source: 'ID', name: 'id_upper', hex: false },
      ],
    });
    // Stored as JSON in MySQL and read back by another process.
    const again = capturedSpec(JSON.parse(JSON.stringify(captured)) as typeof captured);
    const spec = specFromRecipe(ORDER_LINES, RECIPE);
    expect(again.columns.map((c) => [c.target, c.codec.mysqlType])).toEqual(
      spec.columns.map((c) => [c.target, c.codec.mysqlType]),
    );
  });

  it('maps a decoded row to the replica: renamed columns, bytes as hex, the key by MySQL name', () => {
    const spec = buildReplicaSpec(ORDER_LINES, RECIPE);
    const relation: RelationColumn[] = ORDER_LINES.columns.map((c) => ({
      name: c.name,
      typeOid: c.typeOid,
      typeMod: c.typeMod,
      isKey: ORDER_LINES.key.includes(c.name),
    }));
    const mapper = new RelationMapper(spec, relation);
    const row = mapper.row(['a ', '0b9d6b0e-5c1f-4f4e-9b53-0f0e2c1c9f00', '\\x00ff0a5c', '7']);
    expect(row).toEqual({
      Code: 'a ',
      id: '0b9d6b0e-5c1f-4f4e-9b53-0f0e2c1c9f00',
      blob: '00ff0a5c',
      id_upper: '7',
    });
    expect(mapper.keyOf(row)).toEqual({ Code: 'a ', id: '0b9d6b0e-5c1f-4f4e-9b53-0f0e2c1c9f00' });
    // A DELETE's old key tuple: the identity's columns, the others null.
    expect(mapper.key(['A', '0b9d6b0e-5c1f-4f4e-9b53-0f0e2c1c9f00', null, null])).toEqual({
      Code: 'A',
      id: '0b9d6b0e-5c1f-4f4e-9b53-0f0e2c1c9f00',
    });
  });
});

describe('captureProblem', () => {
  const keyless: SourceTable = { ...ORDER_LINES, key: [], keySource: 'none', identity: [] };
  const spec = (t: SourceTable, key?: string[]) =>
    buildReplicaSpec(t, { target: 'x', ...(key === undefined ? {} : { key }) });

  it('takes a table whose identity sends its key', () => {
    expect(captureProblem(ORDER_LINES, spec(ORDER_LINES))).toBeUndefined();
    const full: SourceTable = { ...keyless, replicaIdentity: 'f', identity: ORDER_LINES.columns.map((c) => c.name) };
    expect(captureProblem(full, spec(full, ['Code']))).toBeUndefined();
  });

  it('refuses a table without a key, or whose identity would not say which row changed', () => {
    expect(captureProblem(keyless, spec(keyless))).toMatch(
      /no primary key.*REPLICA IDENTITY FULL.*!sales\."Order Lines"/,
    );
    // A key from the settings file, but PostgreSQL would refuse UPDATE on the published table.
    expect(captureProblem(keyless, spec(keyless, ['Code']))).toMatch(/no replica identity.*refuse UPDATE/);
    const unique: SourceTable = { ...ORDER_LINES, keySource: 'unique index', identity: [] };
    expect(captureProblem(unique, spec(unique))).toMatch(/REPLICA IDENTITY USING INDEX/);
    const other: SourceTable = { ...ORDER_LINES, replicaIdentity: 'i', identity: ['Code'] };
    expect(captureProblem(other, spec(other))).toMatch(/does not send its key column id/);
    const nothing: SourceTable = { ...ORDER_LINES, replicaIdentity: 'n', identity: [] };
    expect(captureProblem(nothing, spec(nothing))).toMatch(/REPLICA IDENTITY NOTHING/);
  });

  it('names every refused table at once', () => {
    const other = { ...keyless, name: { schema: 'public', name: 'audit' } };
    const run = () =>
      refuseUncapturable([
        { table: keyless, spec: spec(keyless) },
        { table: ORDER_LINES, spec: spec(ORDER_LINES) },
        { table: other, spec: spec(other) },
      ]);
    expect(run).toThrow(UsageError);
    expect(run).toThrow(/sales\."Order Lines" has no primary key[\s\S]*audit has no primary key/);
  });
});
