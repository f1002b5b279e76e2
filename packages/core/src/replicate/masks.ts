/**
 * Masks are sticky: once a replica holds a column masked, every later run keeps it masked
 * until someone explicitly asks otherwise (a new --mask set, or --unmask), and a run that would
 * bring a masked value back asks for confirmation first.
 */
import { UsageError } from '../errors.js';

export interface MaskRequest {
  /** A new set of masked columns for the tables replicated; absent keeps what each replica records. */
  readonly set?: readonly string[];
  /** Columns to stop masking. */
  readonly unmask?: readonly string[];
}

export interface MaskPlan {
  /** The masked columns (`table.column`) each table is copied with. */
  readonly byTable: ReadonlyMap<string, readonly string[]>;
  /** Columns masked in a replica today that this run would copy in clear. */
  readonly unmasked: readonly string[];
}

const ofTable = (table: string, columns: readonly string[]): string[] =>
  columns.filter((c) => c.startsWith(`${table}.`)).sort();

/** Pure: which columns each table masks this run, and which masks it would remove. */
export function planMasks(
  tables: readonly string[],
  recorded: ReadonlyMap<string, readonly string[]>,
  request: MaskRequest,
): MaskPlan {
  const byTable = new Map<string, readonly string[]>();
  const unmasked: string[] = [];
  for (const table of tables) {
    const before = ofTable(table, recorded.get(table) ?? []);
    const wanted = request.set === undefined ? before : ofTable(table, request.set);
    const after = wanted.filter((c) => !(request.unmask ?? []).includes(c));
    byTable.set(table, after);
    unmasked.push(...before.filter((c) => !after.includes(c)));
  }
  return { byTable, unmasked };
}

/** The refusal when a run would unmask columns and nobody confirmed it. */
export function unmaskRefusedError(columns: readonly string[]): UsageError {
  return new UsageError(
    `this run would copy ${columns.join(', ')} to MySQL in clear; the replica keeps ` +
      `${columns.length === 1 ? 'it' : 'them'} masked until you confirm`,
    {
      hint: 'Confirm on a terminal, or add --yes in a script; to keep the masks, leave out --mask and --unmask.',
    },
  );
}
