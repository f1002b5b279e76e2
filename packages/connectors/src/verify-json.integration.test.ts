import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exactPatterns, runReplicate, runVerify } from '@etl/core';
import { throwawayDatabases } from './testing/index.js';
import { withMysql } from './mysql/client.js';
import { MysqlReplicaTarget } from './mysql/replica-target.js';
import { withPostgres } from './postgres/client.js';
import { PostgresReplicaSource } from './postgres/replica-source.js';
import { migratePostgres } from './postgres/schema-target.js';

const dbs = throwawayDatabases();
const now = () => performance.now();
const source = new PostgresReplicaSource(dbs.pg);
const target = new MysqlReplicaTarget(dbs.mysql);
const options = { tables: exactPatterns(['kafka_events']), mode: 'full' as const, concurrency: 1, deletes: true };

beforeAll(async () => {
  await migratePostgres(dbs.pg, ['events']);
  await withPostgres(dbs.pg, (c) =>
    c.query(
      `INSERT INTO kafka_events (topic, partition, "offset", event_id, event_type, user_id, occurred_at, page_url,
         ip_address, payload)
       SELECT 't', 0, o, gen_random_uuid(), 'login', 7, now(), '/', '10.0.0.1',
              ('{"z": [1, {"b": "x, y: z", "a": null}],   "user_id": 7, "note": "é\\u0001", "n": ' || o || '}')::jsonb
         FROM generate_series(0, 2) AS o`,
    ),
  );
  await runReplicate(source, target, options, { now });
});
afterAll(() => dbs.drop());

describe('etl verify compares JSON payloads', () => {
  it('finds a replica equal when its JSON holds the same values', async () => {
    expect((await runVerify(source, target, options.tables, { now })).equal).toBe(true);
  });

  it('finds the row whose JSON holds a different value', async () => {
    await withMysql(dbs.mysql, (c) =>
      c.query("UPDATE kafka_events SET payload = JSON_SET(payload, '$.user_id', 8) WHERE `offset` = 1"),
    );
    const report = await runVerify(source, target, options.tables, { now });
    expect(report.equal).toBe(false);
    expect(report.tables[0]?.differences).toEqual([{ key: 't\t0\t1', problem: 'values differ' }]);
    await runReplicate(source, target, options, { now });
    expect((await runVerify(source, target, options.tables, { now })).equal).toBe(true);
  });
});
