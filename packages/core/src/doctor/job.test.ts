import { describe, expect, it } from 'vitest';
import { ServiceUnreachableError, UsageError } from '../errors.js';
import type { ServiceProbe } from '../ports/index.js';
import { runDoctor } from './job.js';

let clock = 0;
const now = () => clock;

const up: ServiceProbe = {
  service: 'postgres',
  endpoint: 'postgres://etl:****@h/db',
  describe: async () => {
    clock += 7;
    return { version: '15.19', schemaVersion: 1, tables: { users: 3 } };
  },
};
const down: ServiceProbe = {
  service: 'mysql',
  endpoint: 'mysql://etl:****@h/db',
  describe: async () => {
    throw new ServiceUnreachableError('mysql', 'connection refused by user etl password s3cret', {
      hint: 'Run `make up`.',
    });
  },
};

describe('runDoctor', () => {
  it('reports each service, up or down, with its latency', async () => {
    const report = await runDoctor([up, down], { now, secrets: ['s3cret'] });
    expect(report.ok).toBe(false);
    expect(report.services[0]).toMatchObject({
      status: 'up',
      version: '15.19',
      schemaVersion: 1,
      tables: { users: 3 },
      error: null,
    });
    expect(report.services[0]?.latencyMs).toBe(7);
    expect(report.services[1]).toMatchObject({ status: 'down', version: null, hint: 'Run `make up`.' });
    expect(report.services[1]?.error).toBe('connection refused by user etl password ****');
  });
  it('is ok when every service is up', async () => {
    expect((await runDoctor([up], { now })).ok).toBe(true);
  });
  it('lets errors other than unreachability through', async () => {
    const broken: ServiceProbe = { ...up, describe: async () => Promise.reject(new UsageError('bad')) };
    await expect(runDoctor([broken], { now })).rejects.toThrow('bad');
  });
});
