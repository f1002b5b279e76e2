import { describe, expect, it } from 'vitest';
import { parseDatabaseUrl, type DatabaseEndpoint } from '../config.js';
import { grantStatements, mysqlPrivilege, pgReadAllStats } from './grants.js';

const endpoint = (key: 'pgUrl' | 'mysqlUrl', url: string): DatabaseEndpoint => {
  const parsed = parseDatabaseUrl(key, url);
  if (typeof parsed === 'string') throw new Error(parsed);
  return parsed;
};
const pg = endpoint('pgUrl', 'postgres://app%22x:s3cret-Pw@db:5432/shop_data');
const mysql = endpoint('mysqlUrl', "mysql://o'neil:s3cret-Pw@db:3306/shop_data");

describe('grantStatements', () => {
  const { postgres, mysql: my } = grantStatements(pg, mysql);
  it('names the users and databases of the URLs, quoted, and never their password', () => {
    expect(postgres).toContain(`CREATE ROLE "app""x" LOGIN PASSWORD '<password>';`);
    expect(postgres).toContain(`CREATE DATABASE "shop_data" OWNER "app""x";`);
    expect(postgres).toContain(`GRANT pg_read_all_stats TO "app""x";`);
    expect(postgres).toContain(`ALTER ROLE "app""x" REPLICATION;`);
    expect(my).toContain(`CREATE USER IF NOT EXISTS 'o''neil'@'%' IDENTIFIED BY '<password>';`);
    expect([...postgres, ...my].join('\n')).not.toContain('s3cret-Pw');
  });
  it('grants on the one MySQL database only: _ and % escaped, nothing on *.*', () => {
    const grant = my.find((s) => s.startsWith('GRANT '));
    expect(grant).toBe(
      'GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, DROP, ALTER, INDEX, REFERENCES, CREATE TEMPORARY TABLES, ' +
        'CREATE VIEW, SHOW VIEW ' +
        "ON `shop\\_data`.* TO 'o''neil'@'%';",
    );
    expect(my.join('\n')).not.toMatch(/ON \*\.\*/);
  });
  it('gives doctor one statement per missing privilege', () => {
    expect(pgReadAllStats(pg).grant).toBe(`GRANT pg_read_all_stats TO "app""x";`);
    expect(mysqlPrivilege(mysql, 'DELETE').grant).toBe("GRANT DELETE ON `shop\\_data`.* TO 'o''neil'@'%';");
  });
});
