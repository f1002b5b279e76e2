/**
 * Decoding for `etl cdc capture`: pgoutput messages of the captured tables → row changes in the
 * replica's form, checked against the description recorded for each table.
 */
import { DataCheckError } from '../errors.js';
import { displayName } from '../catalog/selection.js';
import type { ReplicaSpec } from '../replicate/spec.js';
import { capturedSpec, type CapturedTable } from './captured.js';
import { RelationMapper, sameKey, type Change } from './change.js';
import { parseLsn, pgTimestampToIso, type Lsn, type PgOutputMessage, type RelationColumn } from './pgoutput.js';

const sourceKey = (schema: string, name: string): string => `${schema}\u0000${name}`;

/** The command that loads one table again from a fresh snapshot while the others keep streaming. */
export const resnapshotCommand = (table: CapturedTable): string =>
  `etl cdc resnapshot --tables '${displayName(table.source).replace(/'/g, "'\\''")}'`;

/**
 * A captured table's relation gained columns: the capture adds them to the replica and to the
 * recorded description (evolve.ts), then decodes the same message again.
 */
export class ColumnsAdded extends Error {
  constructor(
    readonly table: CapturedTable,
    readonly columns: readonly RelationColumn[],
    /** The commit position of the first transaction that carries them. */
    readonly at: Lsn,
  ) {
    super(`${table.table}: ${columns.map((c) => c.name).join(', ')} added`);
  }
}

/**
 * How a relation as the server describes it differs from the recorded table: columns added
 * since, and problems (a column dropped or retyped). A column the capture added itself is
 * absent, rightly, from relations of transactions that committed before it appeared.
 */
export function compareRelation(
  table: CapturedTable,
  spec: ReplicaSpec,
  columns: readonly RelationColumn[],
  at: Lsn,
): { readonly added: RelationColumn[]; readonly problems: string[] } {
  const problems: string[] = [];
  const have = new Map(columns.map((c) => [c.name, c]));
  const known = new Set(spec.columns.map((c) => c.name));
  const addedAt = new Map(table.columns.map((c) => [c.source, c.addedAt]));
  for (const col of spec.columns) {
    const c = have.get(col.name);
    if (c === undefined) {
      const since = addedAt.get(col.name);
      if (since === undefined || at >= parseLsn(since)) problems.push(`column ${col.name} was dropped`);
    } else if (c.typeOid !== col.source.typeOid || c.typeMod !== col.source.typeMod) {
      problems.push(`column ${col.name} changed its type`);
    }
  }
  return { added: columns.filter((c) => !known.has(c.name)), problems };
}

/** A relation the server described, and once checked at its first change, its mapper. */
interface Relation {
  captured: CapturedTable;
  spec: ReplicaSpec;
  readonly columns: readonly RelationColumn[];
  mapper?: RelationMapper;
}

/** Turns decoded pgoutput messages into changes of the captured tables. */
export class Decoder {
  private readonly relations = new Map<number, Relation | null>();
  private txn: { lsn: Lsn; committedAt: string; seq: number } | undefined;
  /** The captured tables, by PostgreSQL schema and name. */
  private readonly tables = new Map<string, { captured: CapturedTable; spec: ReplicaSpec }>();

  constructor(
    private readonly epoch: string,
    tables: readonly CapturedTable[],
    private readonly snapshotLsn: ReadonlyMap<string, Lsn>,
  ) {
    for (const t of tables) this.replace(t);
  }

  get inTransaction(): boolean {
    return this.txn !== undefined;
  }

  /** A captured table's new description (columns added): relations of it are checked again. */
  replace(table: CapturedTable): void {
    const entry = { captured: table, spec: capturedSpec(table) };
    this.tables.set(sourceKey(table.source.schema, table.source.name), entry);
    for (const r of this.relations.values()) {
      if (r !== null && r.captured.table === table.table) {
        r.captured = table;
        r.spec = entry.spec;
        delete r.mapper;
      }
    }
  }

  /**
   * The changes a message makes; throws DataCheckError on a dropped or retyped column or a
   * truncate, ColumnsAdded when a captured table gained columns.
   */
  changes(m: PgOutputMessage): Change[] {
    switch (m.tag) {
      case 'begin':
        this.txn = { lsn: m.finalLsn, committedAt: pgTimestampToIso(m.commitTime), seq: 0 };
        return [];
      case 'commit':
        this.txn = undefined;
        return [];
      case 'relation': {
        // Checked at the relation's first change that is not in a later snapshot already.
        const entry = this.tables.get(sourceKey(m.namespace, m.name));
        this.relations.set(m.relationId, entry === undefined ? null : { ...entry, columns: m.columns });
        return [];
      }
      case 'truncate':
        throw new DataCheckError(
          `a TRUNCATE in PostgreSQL cannot be replayed change by change; the slot stays before it`,
          { hint: 'Run etl cdc reset, then etl cdc capture to load the tables again from a fresh snapshot.' },
        );
      case 'insert':
      case 'update':
      case 'delete':
        return this.rowChanges(m);
      default:
        return [];
    }
  }

  private mapperOf(relation: Relation, at: Lsn): RelationMapper {
    if (relation.mapper !== undefined) return relation.mapper;
    const { captured, spec } = relation;
    const { added, problems } = compareRelation(captured, spec, relation.columns, at);
    if (problems.length > 0) {
      throw new DataCheckError(
        `${captured.table} changed in PostgreSQL while it was captured (${problems.join('; ')}); nothing after ` +
          `the last complete transaction before the change was acknowledged`,
        {
          hint:
            `Load just that table again from a fresh snapshot while the others keep their place: ` +
            `${resnapshotCommand(captured)}, then etl cdc capture; or undo the change in PostgreSQL.`,
        },
      );
    }
    if (added.length > 0) throw new ColumnsAdded(captured, added, at);
    relation.mapper = new RelationMapper(spec, relation.columns);
    return relation.mapper;
  }

  private rowChanges(m: Extract<PgOutputMessage, { tag: 'insert' | 'update' | 'delete' }>): Change[] {
    const relation = this.relations.get(m.relationId);
    const txn = this.txn;
    if (relation === undefined) {
      throw new Error(`pgoutput: a change of relation ${m.relationId} before its description`);
    }
    if (relation === null || txn === undefined) return [];
    const table = relation.captured.table;
    // Loaded again from a later snapshot: what committed before it is in the table.
    if (txn.lsn < (this.snapshotLsn.get(table) ?? 0n)) return [];
    const mapper = this.mapperOf(relation, txn.lsn);
    const { epoch } = this;
    const { lsn, committedAt } = txn;
    const next = (op: Change['op'], key: Change['key'], after?: Change['after']): Change =>
      after === undefined
        ? { epoch, op, table, lsn, seq: txn.seq++, committedAt, key }
        : { epoch, op, table, lsn, seq: txn.seq++, committedAt, key, after };
    if (m.tag === 'delete') return [next('delete', mapper.key(m.before))];
    const after = mapper.row(m.after);
    const key = mapper.keyOf(after);
    if (m.tag === 'insert') return [next('insert', key, after)];
    if (m.before !== null) {
      const oldKey = mapper.key(m.before);
      // A new primary key: the row under the old key is gone, one under the new key appears.
      if (!sameKey(oldKey, key)) return [next('delete', oldKey), next('insert', key, after)];
    }
    return [next('update', key, after)];
  }
}
