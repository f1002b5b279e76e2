/**
 * PostgreSQL's logical decoding for `etl cdc`, over the raw streaming replication protocol:
 * a `pg` connection in replication mode, and the CopyBoth stream of START_REPLICATION read
 * frame by frame through pg-copy-streams (the frames are decoded in core). Chosen over
 * pg-logical-replication, which can acknowledge positions it has only received, parses
 * timestamps through pg's type parsers (losing microseconds) and swallows handler errors:
 * here the job alone decides what to acknowledge, and values stay the text PostgreSQL sent.
 */
import {
  BusyError,
  displayName,
  formatLsn,
  parseLsn,
  pgString,
  pgTable,
  UsageError,
  type ChangeLog,
  type DatabaseEndpoint,
  type ExportedSnapshot,
  type Lsn,
  type ReplicationStream,
  type QualifiedName,
  type SlotInfo,
} from '@etl/core';
import type pg from 'pg';
import { both } from 'pg-copy-streams';
import { connectPostgres, quoteIdent, withPostgres, type PgConnectOptions } from './client.js';
import { pgError, sqlState } from './errors.js';
import { exportSettingsSql } from './replica-source.js';

/** A connection in replication mode; pgoutput prints timestamptz in its TimeZone (UTC). */
const connectReplication = (db: DatabaseEndpoint): Promise<pg.Client> => connectPostgres(db, { replication: true });

const SLOT_NAME = /^[a-z0-9_]{1,63}$/;

function checkSlotName(name: string): string {
  if (!SLOT_NAME.test(name)) throw new UsageError(`"${name}" is not a replication slot name (a-z, 0-9, _)`);
  return name;
}

export class PostgresChangeLog implements ChangeLog {
  readonly endpoint: string;

  /** `options.session`: how each connection is opened (read-only with a timeout for the page). */
  constructor(
    private readonly db: DatabaseEndpoint,
    private readonly options: { readonly session?: PgConnectOptions } = {},
  ) {
    this.endpoint = db.display;
  }

  private session<T>(work: (c: pg.Client) => Promise<T>): Promise<T> {
    return withPostgres(this.db, work, this.options.session);
  }

  async preflight(tables: readonly QualifiedName[]): Promise<void> {
    await this.session(async (c) => {
      const level = (await c.query<{ wal_level: string }>('SHOW wal_level')).rows[0]?.wal_level;
      if (level !== 'logical') {
        throw new UsageError(`PostgreSQL runs with wal_level = ${level ?? '?'}; etl cdc needs logical`, {
          hint:
            'make up sets it (infra/local/up restarts the cluster once); elsewhere run ALTER SYSTEM SET ' +
            'wal_level = logical as a superuser and restart PostgreSQL.',
        });
      }
      const role = (
        await c.query<{ rolname: string; rolreplication: boolean; rolsuper: boolean }>(
          'SELECT rolname, rolreplication, rolsuper FROM pg_roles WHERE rolname = current_user',
        )
      ).rows[0];
      if (role !== undefined && !role.rolreplication && !role.rolsuper) {
        throw new UsageError(`PostgreSQL role ${role.rolname} may not read the WAL`, {
          hint: `Ask an administrator to run: ALTER ROLE ${quoteIdent(role.rolname)} WITH REPLICATION;`,
        });
      }
      // The tables were read from the catalog a moment ago; one dropped since is caught here.
      const rows = (
        await c.query<{ schema: string; name: string; owned: boolean }>(
          `SELECT n.nspname AS schema, c.relname AS name, pg_has_role(current_user, c.relowner, 'USAGE') AS owned
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             JOIN unnest($1::text[], $2::text[]) AS t(schema, name) ON t.schema = n.nspname AND t.name = c.relname
            WHERE c.relkind IN ('r', 'p')`,
          [tables.map((t) => t.schema), tables.map((t) => t.name)],
        )
      ).rows;
      const found = (t: QualifiedName) => rows.find((r) => r.schema === t.schema && r.name === t.name);
      const missing = tables.filter((t) => found(t) === undefined).map(displayName);
      if (missing.length > 0) {
        throw new UsageError(`PostgreSQL has no table ${missing.join(', ')} to capture`, {
          hint: 'It was dropped or renamed; run etl cdc reset --yes and capture again, or restore it.',
        });
      }
      const foreign = rows.filter((r) => !r.owned).map((r) => displayName(r));
      if (foreign.length > 0) {
        throw new UsageError(`a publication of ${foreign.join(', ')} needs their owner`, {
          hint:
            `Ask an administrator to run ALTER TABLE … OWNER TO ${quoteIdent(this.db.user)} for each, ` +
            'or capture as their owner.',
        });
      }
    });
  }

  async currentLsn(): Promise<Lsn> {
    return this.session(async (c) =>
      parseLsn((await c.query<{ l: string }>('SELECT pg_current_wal_lsn()::text AS l')).rows[0]?.l ?? '0/0'),
    );
  }

  async valuedColumns(table: QualifiedName, columns: readonly string[]): Promise<string[]> {
    return this.session(async (c) => {
      const { rows } = await c.query<{ name: string }>(
        `SELECT attname AS name FROM pg_attribute
          WHERE attrelid = to_regclass($1) AND attname = ANY($2::text[]) AND NOT attisdropped
            AND (atthasdef OR atthasmissing OR attgenerated <> '' OR attidentity <> '')
          ORDER BY attnum`,
        [pgTable(table), columns],
      );
      return rows.map((r) => r.name);
    });
  }

  async slot(name: string): Promise<SlotInfo | undefined> {
    return this.session(async (c) => {
      const row = (
        await c.query<{
          active: boolean;
          confirmed: string | null;
          wal_status: string | null;
          retained: string | null;
        }>(
          `SELECT active, confirmed_flush_lsn::text AS confirmed, wal_status,
                  pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::bigint::text AS retained
             FROM pg_replication_slots WHERE slot_name = $1`,
          [name],
        )
      ).rows[0];
      if (row === undefined) return undefined;
      return {
        name,
        active: row.active,
        confirmedLsn: row.confirmed === null ? null : parseLsn(row.confirmed),
        walStatus: row.wal_status,
        retainedBytes: Number(row.retained ?? 0),
      };
    });
  }

  async ensurePublication(name: string, tables: readonly QualifiedName[]): Promise<void> {
    const list = tables.map(pgTable).join(', ');
    await this.session(async (c) => {
      const exists = (await c.query('SELECT 1 FROM pg_publication WHERE pubname = $1', [name])).rowCount === 1;
      // A partitioned table's changes are published as its own (the replica is one table), not its partitions'.
      if (exists) {
        await c.query(`ALTER PUBLICATION ${quoteIdent(name)} SET TABLE ${list}`);
        await c.query(`ALTER PUBLICATION ${quoteIdent(name)} SET (publish_via_partition_root = true)`);
      } else {
        await c.query(
          `CREATE PUBLICATION ${quoteIdent(name)} FOR TABLE ${list} WITH (publish_via_partition_root = true)`,
        );
      }
    });
  }

  createSlot(name: string): Promise<ExportedSnapshot> {
    return this.exportSnapshot(`CREATE_REPLICATION_SLOT ${checkSlotName(name)} LOGICAL pgoutput EXPORT_SNAPSHOT`);
  }

  temporarySnapshot(): Promise<ExportedSnapshot> {
    const name = `etl_cdc_tmp_${process.pid}_${Date.now().toString(36)}`;
    return this.exportSnapshot(`CREATE_REPLICATION_SLOT ${name} TEMPORARY LOGICAL pgoutput EXPORT_SNAPSHOT`);
  }

  /** The snapshot lives while its connection runs no other command: kept open until released. */
  private async exportSnapshot(command: string): Promise<ExportedSnapshot> {
    const client = await connectReplication(this.db);
    try {
      const row = (await client.query<{ consistent_point: string; snapshot_name: string }>(command)).rows[0];
      if (row === undefined) throw new Error('CREATE_REPLICATION_SLOT returned nothing');
      return {
        lsn: parseLsn(row.consistent_point),
        name: row.snapshot_name,
        release: () => client.end().catch(() => {}),
      };
    } catch (error) {
      await client.end().catch(() => {});
      if (sqlState(error) === '42710') {
        throw new BusyError('the replication slot was created by another capture just now', {
          hint: 'Only one etl cdc capture runs per database.',
        });
      }
      throw pgError(error, this.db);
    }
  }

  async emitMarker(prefix: string, content: string): Promise<Lsn> {
    return this.session(async (c) =>
      parseLsn(
        (await c.query<{ l: string }>('SELECT pg_logical_emit_message(false, $1, $2)::text AS l', [prefix, content]))
          .rows[0]?.l ?? '0/0',
      ),
    );
  }

  async *peek(slot: string, publication: string, upTo: Lsn): AsyncIterable<Buffer> {
    const client = await connectPostgres(this.db);
    try {
      await client.query('BEGIN');
      // Values printed as the export prints them: the keys read here are read back in its settings.
      await client.query(exportSettingsSql('LOCAL'));
      // A cursor, so a long window of changes never sits in this process's memory at once.
      await client.query(
        `DECLARE etl_peek NO SCROLL CURSOR FOR SELECT data FROM pg_logical_slot_peek_binary_changes(` +
          `${pgString(checkSlotName(slot))}, ${pgString(formatLsn(upTo))}::pg_lsn, NULL, 'proto_version', '1', ` +
          `'publication_names', ${pgString(publication)})`,
      );
      for (;;) {
        const batch = await client.query<{ data: Buffer }>('FETCH 2000 FROM etl_peek');
        for (const row of batch.rows) yield row.data;
        if (batch.rows.length < 2000) break;
      }
      await client.query('COMMIT');
    } catch (error) {
      if (sqlState(error) === '55006') {
        throw new BusyError(`replication slot ${slot} is in use by another capture`, {
          hint: 'Only one etl cdc capture runs per database; wait for it or stop it.',
        });
      }
      throw pgError(error, this.db);
    } finally {
      await client.end().catch(() => {});
    }
  }

  async stream(slot: string, publication: string): Promise<ReplicationStream> {
    const client = await connectReplication(this.db);
    const db = this.db;
    const copy = both(
      `START_REPLICATION SLOT ${checkSlotName(slot)} LOGICAL 0/0 ` +
        `(proto_version '1', publication_names '${publication.replace(/'/g, "''")}', messages 'true')`,
      // One CopyData message per chunk: object mode keeps the stream from joining frames.
      { alignOnCopyDataFrame: true, readableObjectMode: true },
    );
    let closing = false;
    // The server going away ends the connection, not the CopyBoth stream: end it with the reason.
    const broken = (error?: unknown): void => {
      if (closing) return;
      copy.destroy(pgError(error ?? Object.assign(new Error('Connection terminated'), { code: '08006' }), db));
    };
    client.on('error', broken);
    client.on('end', () => broken());
    copy.on('error', () => {});
    client.query(copy);
    return {
      [Symbol.asyncIterator]: async function* () {
        try {
          for await (const frame of copy as AsyncIterable<Buffer>) yield frame;
        } catch (error) {
          if (sqlState(error) === '55006') {
            throw new BusyError(`replication slot ${slot} is in use by another capture`, {
              hint: 'Only one etl cdc capture runs per database; wait for it or stop it.',
            });
          }
          throw pgError(error, db);
        }
        if (!closing) throw pgError(Object.assign(new Error('replication stream ended'), { code: '08006' }), db);
      },
      send: (frame: Buffer) => {
        if (!closing && !copy.destroyed) copy.write(frame);
      },
      close: async () => {
        closing = true;
        // The last standby status is already on the socket; Terminate follows it. What the
        // closing connection reports afterwards is no one's concern any more.
        copy.on('error', () => {});
        copy.destroy();
        await client.end().catch(() => {});
      },
    };
  }

  async dropSlot(name: string): Promise<boolean> {
    return this.session(async (c) => {
      try {
        const r = await c.query(
          'SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1',
          [name],
        );
        return (r.rowCount ?? 0) > 0;
      } catch (error) {
        if (sqlState(error) === '55006') {
          throw new BusyError(`replication slot ${name} is in use by a running capture`, {
            hint: 'Stop etl cdc capture first (Ctrl-C, or SIGTERM), then run this again.',
          });
        }
        throw error;
      }
    });
  }

  async dropPublication(name: string): Promise<void> {
    await this.session((c) => c.query(`DROP PUBLICATION IF EXISTS ${quoteIdent(name)}`));
  }
}
