import { describe, expect, it } from 'vitest';
import { SETTINGS, parseBrokers, parseDatabaseUrl, resolveConfig } from './config.js';

describe('resolveConfig', () => {
  it('uses the compose endpoints when nothing is configured', () => {
    const { config, problems, sources } = resolveConfig({ flags: {}, env: {} });
    expect(problems).toEqual([]);
    expect(config?.pg.url).toBe(SETTINGS.pgUrl.default);
    expect(config?.mysql.database).toBe('etl');
    expect(config?.kafka.brokers).toEqual(['127.0.0.1:9092']);
    expect(config?.topic).toBe('my_topic');
    expect(sources.pgUrl).toBe('default');
  });

  it('applies flag > environment > .env > default', () => {
    const dotenv = {
      ETL_PG_URL: 'postgres://a@h/dotenv',
      ETL_MYSQL_URL: 'mysql://a@h/dotenv',
      ETL_KAFKA_TOPIC: 'from_dotenv',
    };
    const env = { ETL_PG_URL: 'postgres://a@h/env', ETL_MYSQL_URL: 'mysql://a@h/env' };
    const flags = { pgUrl: 'postgres://a@h/flag' };
    const { config, sources } = resolveConfig({ flags, env, dotenv });
    expect(config?.pg.database).toBe('flag');
    expect(config?.mysql.database).toBe('env');
    expect(config?.topic).toBe('from_dotenv');
    expect(config?.kafka.display).toBe('127.0.0.1:9092');
    expect(sources).toEqual({ pgUrl: 'flag', mysqlUrl: 'env', kafkaBrokers: 'default', topic: '.env' });
  });

  it('treats an empty variable as unset', () => {
    const { config } = resolveConfig({ flags: {}, env: { ETL_KAFKA_TOPIC: '' } });
    expect(config?.topic).toBe('my_topic');
  });

  it('reports every problem at once, naming flag and variable, without the password', () => {
    const { config, problems } = resolveConfig({
      flags: { topic: 'bad topic!' },
      env: { ETL_PG_URL: 'postgres://etl:topsecret@', ETL_MYSQL_URL: 'http://x@h/db', ETL_KAFKA_BROKERS: 'nohostport' },
    });
    expect(config).toBeUndefined();
    expect(problems.map((p) => [p.flag, p.env])).toEqual([
      ['--pg-url', 'ETL_PG_URL'],
      ['--mysql-url', 'ETL_MYSQL_URL'],
      ['--kafka-brokers', 'ETL_KAFKA_BROKERS'],
      ['--topic', 'ETL_KAFKA_TOPIC'],
    ]);
    expect(JSON.stringify(problems)).not.toContain('topsecret');
    expect(problems[0]?.message).toContain('from the environment');
    expect(problems[3]?.message).toContain('from the flag');
  });
});

describe('parseDatabaseUrl', () => {
  it('splits a URL into its parts and masks it for display', () => {
    const ep = parseDatabaseUrl('pgUrl', 'postgresql://u%40x:p%3Aw@db.example:6543/shop');
    expect(ep).toMatchObject({ host: 'db.example', port: 6543, user: 'u@x', password: 'p:w', database: 'shop' });
    expect(typeof ep === 'string' ? ep : ep.display).toBe('postgresql://u%40x:****@db.example:6543/shop');
  });
  it('defaults the port per system', () => {
    expect(parseDatabaseUrl('mysqlUrl', 'mysql://root@localhost/x')).toMatchObject({ port: 3306, password: undefined });
  });
  it('rejects URLs without a database, a user, or with the wrong scheme', () => {
    expect(parseDatabaseUrl('pgUrl', 'postgres://u@h:5432/')).toMatch(/exactly one database/);
    expect(parseDatabaseUrl('pgUrl', 'postgres://h:5432/db')).toMatch(/no user/);
    expect(parseDatabaseUrl('pgUrl', 'mysql://u@h/db')).toMatch(/must start with postgres:\/\//);
    expect(parseDatabaseUrl('mysqlUrl', 'not a url')).toMatch(/not a valid URL/);
    expect(parseDatabaseUrl('pgUrl', 'postgres://u@h/a;drop')).toMatch(/may only contain/);
  });
});

describe('parseBrokers', () => {
  it('accepts host:port lists', () => {
    expect(parseBrokers('a:1, b.example:9092,[::1]:9093')).toEqual(['a:1', 'b.example:9092', '[::1]:9093']);
  });
  it('rejects missing or bad ports', () => {
    expect(parseBrokers('')).toMatch(/no broker/);
    expect(parseBrokers('a:99999')).toMatch(/not host:port/);
    expect(parseBrokers('a')).toMatch(/not host:port/);
  });
});
