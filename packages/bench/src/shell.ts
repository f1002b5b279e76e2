/**
 * The command-line tools benchmarks measure against (psql, mysql), run with passwords passed
 * through the environment, never on the command line.
 */
import { spawn } from 'node:child_process';
import type { DatabaseEndpoint } from '@etl/core';

/** Runs a bash pipeline; rejects with its stderr when it fails. */
export function sh(script: string, env: Record<string, string> = {}): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-o', 'pipefail', '-c', script], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, ...env },
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`command failed: ${stderr.trim()}`))));
  });
}

const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** psql against the endpoint, stopping at the first error (the password goes in PGPASSWORD). */
function psqlTo(db: DatabaseEndpoint): string {
  const where = `-h ${quote(db.host)} -p ${db.port} -U ${quote(db.user)} -d ${quote(db.database)}`;
  return `psql -X -q -v ON_ERROR_STOP=1 ${where}`;
}

/** The shell words of `psql -c command` against the endpoint. */
export function psqlCommand(db: DatabaseEndpoint, command: string): string {
  return `${psqlTo(db)} -c ${quote(command)}`;
}

/** `psql -c command` against the endpoint. */
export function psql(db: DatabaseEndpoint, command: string): Promise<void> {
  return sh(psqlCommand(db, command), { PGPASSWORD: db.password ?? '' });
}

/** `psql -f file` against the endpoint, stopping at the first error. */
export function psqlFile(db: DatabaseEndpoint, file: string): Promise<void> {
  return sh(`${psqlTo(db)} -f ${quote(file)}`, { PGPASSWORD: db.password ?? '' });
}
