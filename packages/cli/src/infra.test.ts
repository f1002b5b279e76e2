import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { SETTINGS, parseDatabaseUrl } from '@etl/core';

const root = join(import.meta.dirname, '..', '..', '..');
const compose = readFileSync(join(root, 'docker-compose.yml'), 'utf8');
const pom = readFileSync(join(root, 'infra', 'kafka', 'pom.xml'), 'utf8');
const localCommon = readFileSync(join(root, 'infra', 'local', 'common.sh'), 'utf8');

/** Both infrastructure paths must end at the CLI's defaults. */
describe('docker-compose.yml, infra/local and the CLI defaults agree', () => {
  it('runs the same Kafka release in Compose and on the native path', () => {
    const image = /image:\s*apache\/kafka:(\S+)/.exec(compose)?.[1];
    const maven = /<kafka\.version>([^<]+)<\/kafka\.version>/.exec(pom)?.[1];
    expect(image).toBeDefined();
    expect(image).toBe(maven);
  });

  it('publishes the default endpoints with the default users, passwords and databases', () => {
    const pg = parseDatabaseUrl('pgUrl', SETTINGS.pgUrl.default);
    const mysql = parseDatabaseUrl('mysqlUrl', SETTINGS.mysqlUrl.default);
    if (typeof pg === 'string' || typeof mysql === 'string') throw new Error('defaults must parse');
    expect(compose).toContain(`"${pg.port}:5432"`);
    expect(compose).toContain(`POSTGRES_USER: ${pg.user}`);
    expect(compose).toContain(`POSTGRES_PASSWORD: ${pg.password}`);
    expect(compose).toContain(`POSTGRES_DB: ${pg.database}`);
    expect(compose).toContain(`"${mysql.port}:3306"`);
    expect(compose).toContain(`MYSQL_USER: ${mysql.user}`);
    expect(compose).toContain(`MYSQL_PASSWORD: ${mysql.password}`);
    expect(compose).toContain(`MYSQL_DATABASE: ${mysql.database}`);
    expect(compose).toContain(`PLAINTEXT://${SETTINGS.kafkaBrokers.default}`);
    for (const [name, value] of [
      ['ETL_DB_USER', pg.user],
      ['ETL_DB_PASSWORD', pg.password],
      ['ETL_DB_NAME', pg.database],
      ['PG_PORT', String(pg.port)],
      ['MYSQL_PORT', String(mysql.port)],
      ['KAFKA_PORT', SETTINGS.kafkaBrokers.default.split(':')[1]],
    ]) {
      expect(localCommon, name).toMatch(new RegExp(`^${name}=${value}$`, 'm'));
    }
  });

  it('names the containers and volumes the project documents, with no ZooKeeper', () => {
    for (const name of [
      'container_name: postgres_db',
      'container_name: mysql_db',
      'container_name: kafka',
      'postgres_data:',
      'mysql_data:',
    ]) {
      expect(compose).toContain(name);
    }
    expect(compose).toContain('image: mysql:8.4');
    expect(compose).toContain('--local-infile=1');
    expect(compose).toContain('KAFKA_PROCESS_ROLES: broker,controller');
    expect(compose.toLowerCase()).not.toContain('zookeeper:');
    // Each of the three services checks its health (the commented etl services below, theirs).
    expect((compose.match(/^ {4}healthcheck:/gm) ?? []).length).toBe(3);
  });
});

describe('the Makefile', () => {
  it('runs Turborepo with its telemetry off, so make demo and make test print no notice about it', () => {
    // The environment every recipe of the Makefile runs in (an extra target, evaluated after it).
    const run = spawnSync('make', ['-s', '--no-print-directory', '--eval', 'etl-show-env: ; @env', 'etl-show-env'], {
      cwd: root,
      encoding: 'utf8',
      env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '' },
    });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout.split('\n')).toContain('TURBO_TELEMETRY_DISABLED=1');
  });
});

describe('the commented long-running services of docker-compose.yml', () => {
  // Uncommented, they must be valid Compose services, each probing the metrics port it serves.
  const lines = compose.split('\n');
  const first = lines.findIndex((l) => /^ {2}# etl-stream:$/.test(l));
  const block = lines.slice(first).filter((l) => /^ {2}#( |$)/.test(l));
  const services = (parseYaml(block.map((l) => l.replace(/^ {2}# ?/, '')).join('\n')) ?? {}) as Record<
    string,
    { command: string[]; healthcheck: { test: string[] }; network_mode: string }
  >;
  it('holds the four long-running modes', () => {
    expect(Object.keys(services)).toEqual(['etl-stream', 'etl-cdc-capture', 'etl-cdc-apply', 'etl-pipeline']);
  });
  it('probes each one’s health on the port it serves metrics on', () => {
    for (const [name, service] of Object.entries(services)) {
      const port = service.command[service.command.indexOf('--metrics-port') + 1];
      expect(port, name).toMatch(/^94\d\d$/);
      expect(service.healthcheck.test.join(' '), name).toMatch(new RegExp(`127\\.0\\.0\\.1:${port}/(readyz|healthz)`));
      expect(service.network_mode, name).toBe('host');
    }
  });
});
