import { describe, expect, it } from 'vitest';
import { UsageError } from '../errors.js';
import { shopSourceTable } from '../schema/shop-catalog.js';
import type { SourceTable } from '../catalog/source-table.js';
import { planReplicas } from './plan.js';
import { parseSettings, settingsFor } from './settings.js';

const FILE = `tables:
  public.audit_*:
    mode: full
  customers:
    key: [region, id]
    mask: email
    as_text: [history]
    target: customers_copy
    columns:
      ID: id_upper
  "public.audit_2024":
    mode: incremental
`;

describe('the settings file', () => {
  it('reads every setting of an entry, and merges the entries a table matches in file order', () => {
    const settings = parseSettings(FILE, 'etl.yaml');
    expect(settings.entries.map((e) => [e.pattern.text, e.line])).toEqual([
      ['public.audit_*', 2],
      ['customers', 4],
      ['public.audit_2024', 11],
    ]);
    expect(settingsFor(settings, { schema: 'public', name: 'customers' })).toEqual({
      key: ['region', 'id'],
      mask: ['email'],
      asText: ['history'],
      target: 'customers_copy',
      columns: { ID: 'id_upper' },
      lines: [4],
    });
    expect(settingsFor(settings, { schema: 'public', name: 'audit_2024' })).toEqual({
      mode: 'incremental',
      lines: [2, 11],
    });
    expect(settingsFor(settings, { schema: 'public', name: 'other' })).toEqual({ lines: [] });
  });

  it('reports every problem at once, each with its line', () => {
    const bad = `tables:
  users:
    mode: sometimes
    kee: [id]
  "unclosed:
    mode: full
  orders: 5
toplevel: 1
`;
    const error = (() => {
      try {
        parseSettings(bad, 'etl.yaml');
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(UsageError);
    const message = (error as Error).message;
    expect(message).toMatch(/etl\.yaml:\d+: /);
    expect(() => parseSettings('tables: [1, 2]', 'x.yaml')).toThrow(/x\.yaml:1: "tables" must map tables to settings/);
    const valid = `tables:
  users:
    mode: sometimes
    kee: [id]
  orders: 5
toplevel: 1
`;
    expect(() => parseSettings(valid, 'etl.yaml')).toThrow(
      [
        'etl.yaml:3: mode must be full or incremental, not "sometimes"',
        'etl.yaml:4: unknown setting "kee" (did you mean key?); ' +
          'settings are mode, key, cursor, mask, as_text, target, columns',
        'etl.yaml:5: the settings of "orders" must be a mapping (mode, key, cursor, mask, as_text, target, columns)',
        'etl.yaml:6: unknown key "toplevel"',
      ].join('\n'),
    );
  });

  it('is checked against the catalog when planned: columns that are not there, a key the table has', () => {
    const keyless: SourceTable = { ...shopSourceTable('users'), key: [], keySource: 'none' };
    const settings = parseSettings(
      `tables:
  users:
    key: [user_idd]
    cursor: email
    mask: [user_id]
    columns:
      ID: x
`,
      'etl.yaml',
    );
    expect(() => planReplicas([keyless], undefined, settings)).toThrow(
      [
        'users (etl.yaml:2): key: no column "user_idd" (did you mean user_id?)',
        'users (etl.yaml:2): columns: no column "ID"',
        'users (etl.yaml:2): cursor: email is character varying(255); a cursor must be timestamp with time zone',
        'users (etl.yaml:2): mask: user_id cannot be masked: only non-key text columns can',
      ].join('\n'),
    );
  });

  it('renames tables and columns, and a rename resolves a clash', () => {
    const clashing: SourceTable = {
      ...shopSourceTable('users'),
      columns: [
        ...shopSourceTable('users').columns,
        { ...shopSourceTable('users').columns[0]!, name: 'USER_ID', attnum: 99 },
      ],
    };
    expect(() => planReplicas([clashing], undefined)).toThrow(
      /columns "user_id" and "USER_ID" would both be MySQL column "USER_ID"/,
    );
    const settings = parseSettings(
      'tables:\n  users:\n    target: people\n    columns: {USER_ID: user_id_2}\n',
      'etl.yaml',
    );
    const plan = planReplicas([clashing], undefined, settings);
    expect(plan.names).toEqual(['people']);
    const spec = plan.spec(clashing, []);
    expect(spec.table).toBe('people');
    expect(spec.columns.at(-1)).toMatchObject({ name: 'USER_ID', target: 'user_id_2' });
  });
});
