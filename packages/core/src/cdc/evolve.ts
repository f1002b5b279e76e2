/**
 * Schema evolution while capturing, as Debezium's JDBC sink does it with `schema.evolution=basic`:
 * a column added to a captured table in PostgreSQL is added to the replica and carried from the
 * first transaction that has it, without stopping. Only when that is exact: the rows already
 * there must hold NULL in it (added without a default, not generated, not an identity), since no
 * change will ever carry their value. Anything else stops the capture before acknowledging past
 * it, naming the command that loads just that table again.
 */
import { DataCheckError } from '../errors.js';
import type { SourceColumn } from '../catalog/source-table.js';
import { mysqlNameKey, mysqlNameProblem } from '../catalog/replica-names.js';
import type { CdcStore, ChangeLog, ReplicaTarget, SourceCatalog } from '../ports/index.js';
import { capturedSpec, capturedTable, type CapturedTable } from './captured.js';
import { resnapshotCommand, type ColumnsAdded } from './decoder.js';
import { formatLsn } from './pgoutput.js';

export interface EvolveDeps {
  readonly source: SourceCatalog;
  readonly target: Pick<ReplicaTarget, 'addColumns'>;
  readonly store: Pick<CdcStore, 'recordTable'>;
  readonly log: Pick<ChangeLog, 'valuedColumns'>;
}

/** Adds the columns to the replica and to the recorded description; returns the table's new record. */
export async function addCapturedColumns(
  deps: EvolveDeps,
  added: ColumnsAdded,
  topicPrefix: string,
): Promise<CapturedTable> {
  const { table, columns, at } = added;
  const names = columns.map((c) => c.name);
  const stop = (why: string): DataCheckError =>
    new DataCheckError(
      `${table.table} gained ${names.join(', ')} in PostgreSQL while it was captured, but ${why}; nothing after ` +
        'the last complete transaction before it was acknowledged',
      { hint: `Load just that table again from a fresh snapshot: ${resnapshotCommand(table)}, then etl cdc capture.` },
    );
  const now = (await deps.source.tables([table.source.schema])).find((t) => t.name.name === table.source.name);
  if (now === undefined) throw stop('the table is no longer in the catalog');
  const found: SourceColumn[] = [];
  for (const rc of columns) {
    const c = now.columns.find((x) => x.name === rc.name && x.typeOid === rc.typeOid && x.typeMod === rc.typeMod);
    if (c === undefined) throw stop(`the catalog describes ${rc.name} differently by now`);
    found.push(c);
  }
  const valued = await deps.log.valuedColumns(table.source, names);
  if (valued.length > 0) {
    throw stop(
      `${valued.join(', ')} ${valued.length === 1 ? 'has' : 'have'} a default (or is generated, or an identity), ` +
        'so the rows already there hold values no change carries',
    );
  }
  const taken = new Map(table.columns.map((c) => [mysqlNameKey(c.name), c.name]));
  for (const c of found) {
    const problem = mysqlNameProblem(c.name);
    if (problem !== undefined) throw stop(`MySQL cannot name a column "${c.name}": it ${problem}`);
    const other = taken.get(mysqlNameKey(c.name));
    if (other !== undefined) throw stop(`MySQL would take "${c.name}" for the column "${other}" it has`);
  }
  const next = capturedTable(
    { ...table.described, columns: [...table.described.columns, ...found] },
    table.recipe,
    topicPrefix,
  );
  const since = new Map(table.columns.map((c) => [c.source, c.addedAt]));
  const grown: CapturedTable = {
    ...next,
    topic: table.topic,
    columns: next.columns.map((c) => {
      const addedAt = since.has(c.source) ? since.get(c.source) : formatLsn(at);
      return addedAt === undefined ? c : { ...c, addedAt };
    }),
  };
  await deps.target.addColumns(capturedSpec(grown), names);
  await deps.store.recordTable(grown);
  return grown;
}
