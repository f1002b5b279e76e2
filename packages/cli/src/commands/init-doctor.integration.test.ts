import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MYSQL_MIGRATIONS, POSTGRES_PARTS } from '@etl/connectors';
import { throwawayDatabases } from '@etl/connectors/testing';
import type { DoctorReport, InitReport } from '@etl/core';
import { etlEnv, runEtl, scratchDir } from '../testing/run-etl.js';

const dbs = throwawayDatabases();
afterAll(() => dbs.drop());

const env = etlEnv(dbs);

describe('etl init', () => {
  it("creates both databases and applies the migrations: in PostgreSQL only etl's own state", async () => {
    const run = await runEtl(['init', '--json'], { env });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as InitReport;
    expect(report.changed).toBe(true);
    expect(report.targets.map((t) => [t.service, t.databaseCreated, t.version])).toEqual([
      ['postgres', true, POSTGRES_PARTS.state.length],
      ['mysql', true, MYSQL_MIGRATIONS.length],
    ]);
  });

  it('changes nothing the second time and says so', async () => {
    const run = await runEtl(['init'], { env });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('nothing changed');
    expect(run.stdout).toMatch(/PostgreSQL\s+postgres:\/\/etl:\*\*\*\*@/);
    const json = JSON.parse((await runEtl(['init', '--json'], { env })).stdout) as InitReport;
    expect(json.changed).toBe(false);
    expect(json.targets.every((t) => t.applied.length === 0 && !t.databaseCreated)).toBe(true);
  });
});

describe('etl doctor', () => {
  it('shows all three services up, with schema version and row counts', async () => {
    const run = await runEtl(['doctor', '--json'], { env });
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as DoctorReport;
    expect(report.ok).toBe(true);
    expect(report.services.map((s) => [s.service, s.status])).toEqual([
      ['postgres', 'up'],
      ['mysql', 'up'],
      ['kafka', 'up'],
    ]);
    const [pg, mysql, kafka] = report.services;
    expect(pg?.schemaVersion).toBe(POSTGRES_PARTS.state.length);
    // The shop's tables come with etl seed, the event tables with etl stream: not with init.
    expect(pg?.tables).toEqual({
      'etl_state.run_tasks': 0,
      'etl_state.runs': 0,
      'etl_state.schema_migrations': POSTGRES_PARTS.state.length,
      'etl_state.stream_offsets': 0,
    });
    expect(mysql?.schemaVersion).toBe(MYSQL_MIGRATIONS.length);
    // Nor the shop's replicas: etl replicate makes those from their sources.
    expect(Object.keys(mysql?.tables ?? {}).filter((t) => !t.startsWith('etl_'))).toEqual([]);
    expect(mysql?.version).toMatch(/^\d+\.\d+/);
    expect(kafka?.detail).toContain(dbs.topic);
  });

  it('prints a table for people', async () => {
    const run = await runEtl(['doctor'], { env });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^service\s+endpoint\s+status/m);
    expect(run.stdout).toMatch(/^MySQL\s+mysql:\/\/etl:\*\*\*\*@\S+\s+up/m);
    expect(run.stdout).toMatch(/^etl_replication_state\s+-\s+0$/m);
    expect(run.stdout).not.toMatch(/^users\s/m);
    expect(run.stdout).toMatch(/^etl_state\.runs\s+0\s+-$/m);
  });

  it('exits 3 within seconds when MySQL is down, says how to start it, and never prints the password', async () => {
    const secret = 'Sup3r-Secret-Pw';
    const down = { ...env, ETL_MYSQL_URL: `mysql://etl:${secret}@127.0.0.1:1/${dbs.mysql.database}` };
    for (const args of [['doctor'], ['doctor', '--json'], ['doctor', '--debug']]) {
      const run = await runEtl(args, { env: down });
      expect(run.code, args.join(' ')).toBe(3);
      expect(run.ms).toBeLessThan(10_000);
      expect(run.stderr).toContain('MySQL at mysql://etl:****@127.0.0.1:1/');
      expect(run.stderr).toContain('make up');
      expect(run.stdout + run.stderr).not.toContain(secret);
    }
    const json = JSON.parse((await runEtl(['doctor', '--json'], { env: down })).stdout) as DoctorReport;
    expect(json.services.find((s) => s.service === 'mysql')?.status).toBe('down');
    expect(json.services.find((s) => s.service === 'postgres')?.status).toBe('up');
  });

  it('exits 3 when PostgreSQL or Kafka is down', async () => {
    const pgDown = await runEtl(['doctor'], {
      env: { ...env, ETL_PG_URL: 'postgres://etl:whatever-pw@127.0.0.1:1/x' },
    });
    expect(pgDown.code).toBe(3);
    expect(pgDown.stderr).toContain('PostgreSQL at postgres://etl:****@127.0.0.1:1/x could not be reached');
    const kafkaDown = await runEtl(['doctor'], { env: { ...env, ETL_KAFKA_BROKERS: '127.0.0.1:1' } });
    expect(kafkaDown.code).toBe(3);
    expect(kafkaDown.stderr).toContain('Kafka at 127.0.0.1:1 could not be reached');
    expect(kafkaDown.ms).toBeLessThan(15_000);
  });
});

describe('configuration', () => {
  it('exits 2 on a malformed ETL_PG_URL, naming it, without the password', async () => {
    const run = await runEtl(['doctor'], { env: { ...env, ETL_PG_URL: 'postgres://etl:Hidden-Pw-1@:notaport/' } });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^Error: --pg-url \/ ETL_PG_URL: .*from the environment/m);
    expect(run.stdout + run.stderr).not.toContain('Hidden-Pw-1');
  });

  it('reports every problem at once', async () => {
    const run = await runEtl(['init', '--kafka-brokers', 'nope', '--topic', 'bad topic'], {
      env: { ...env, ETL_MYSQL_URL: 'http://x@h/db' },
    });
    expect(run.code).toBe(2);
    for (const name of ['ETL_MYSQL_URL', 'ETL_KAFKA_BROKERS', 'ETL_KAFKA_TOPIC']) expect(run.stderr).toContain(name);
  });

  it('takes flag over environment over .env over defaults', async () => {
    const cwd = scratchDir();
    writeFileSync(
      join(cwd, '.env'),
      `ETL_MYSQL_URL=mysql://etl:etl@127.0.0.1:1/${dbs.mysql.database}\nETL_PG_URL=${dbs.pg.url}\n`,
    );
    const fromDotenv = await runEtl(['doctor', '--json'], { cwd, env: { ETL_KAFKA_BROKERS: env.ETL_KAFKA_BROKERS } });
    expect(fromDotenv.code).toBe(3);
    expect((JSON.parse(fromDotenv.stdout) as DoctorReport).services[0]?.endpoint).toContain(dbs.pg.database);
    const envWins = await runEtl(['doctor', '--json'], {
      cwd,
      env: { ETL_MYSQL_URL: dbs.mysql.url, ETL_KAFKA_BROKERS: env.ETL_KAFKA_BROKERS },
    });
    expect(envWins.code).toBe(0);
    const flagWins = await runEtl(['doctor', '--json', '--mysql-url', `mysql://etl:etl@127.0.0.1:1/x`], {
      cwd,
      env: { ETL_MYSQL_URL: dbs.mysql.url, ETL_KAFKA_BROKERS: env.ETL_KAFKA_BROKERS },
    });
    expect(flagWins.code).toBe(3);
  });
});

describe('usage errors', () => {
  it('suggests the command that was meant, exit 2', async () => {
    const run = await runEtl(['doctr']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('Did you mean "doctor"?');
  });
  it('suggests the flag that was meant, exit 2, in one line', async () => {
    const run = await runEtl(['doctor', '--jsn']);
    expect(run.code).toBe(2);
    expect(run.stderr.split('\n')[0]).toBe('Error: unknown flag --jsn for `etl doctor`. Did you mean --json?');
  });
  it('names a missing required flag, exit 2, in one line', async () => {
    const run = await runEtl(['cdc', 'resnapshot']);
    expect(run.code).toBe(2);
    expect(run.stderr.split('\n')[0]).toBe('Error: missing required flag --tables');
  });
  it('prints help that teaches', async () => {
    const run = await runEtl(['doctor', '--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('ETL_MYSQL_URL');
    expect(run.stdout).toContain('EXAMPLES');
  });
  it('wraps every command description into whole paragraphs, without ragged half-lines', async () => {
    for (const command of [
      'init',
      'doctor',
      'seed',
      'replicate',
      'verify',
      'marts',
      'marts show',
      'produce',
      'stream',
      'pipeline',
    ]) {
      const help = (await runEtl([...command.split(' '), '--help'])).stdout;
      const description = help.slice(help.indexOf('DESCRIPTION\n') + 12, help.indexOf('EXAMPLES')).split('\n');
      // A short line is only allowed where a paragraph ends.
      const ragged = description.filter(
        (line, i) => line.trim() !== '' && line.length < 50 && (description[i + 1] ?? '').trim() !== '',
      );
      expect(ragged, command).toEqual([]);
    }
  });
});
