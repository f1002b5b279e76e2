import { afterAll, describe, expect, it } from 'vitest';
import { runReplicate, runSeed, runVerify, SEED_DEFAULTS } from '@etl/core';
import { throwawayDatabases } from '../testing/index.js';
import { PostgresReplicaSource } from '../postgres/replica-source.js';
import { PostgresSeedStore } from '../postgres/seed-store.js';
import { MysqlReplicaTarget } from './replica-target.js';

const dbs = throwawayDatabases();
afterAll(() => dbs.drop());
const now = () => performance.now();

describe('replication without LOAD DATA LOCAL INFILE', () => {
  it('falls back to multi-row INSERTs, says so once, and the replica is equal', async () => {
    const store = new PostgresSeedStore(dbs.pg);
    await runSeed(store, { ...SEED_DEFAULTS, users: 200, products: 40, orders: 3000, reset: false }, { now });
    await store.close();
    const source = new PostgresReplicaSource(dbs.pg);
    const target = new MysqlReplicaTarget(dbs.mysql, { localInfile: false });
    const options = {
      tables: ['productcategories', 'users', 'products', 'orders', 'orderdetails'] as const,
      mode: undefined,
      concurrency: 2,
      deletes: true,
    };
    const report = await runReplicate(source, target, { ...options, tables: [...options.tables] }, { now });
    expect(report.notices).toEqual([expect.stringContaining('SET GLOBAL local_infile = 1')]);
    expect(report.tables.find((t) => t.table === 'orders')?.targetRows).toBe(3000);
    const verify = await runVerify(source, target, [...options.tables], { now });
    expect(verify.equal).toBe(true);
  });
});
