/**
 * `make install` as a user runs it: scripts/install-etl into a scratch prefix, then the
 * installed `etl` run from another directory with only Node.js on the PATH (no pnpm, no
 * checkout): it answers --version with the commit it was built from, and --help.
 */
import { spawnSync } from 'node:child_process';
import { lstatSync, mkdirSync, mkdtempSync, realpathSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ETL_BIN } from './testing/run-etl.js';
import { gitCommit } from './version.js';

const repo = join(dirname(ETL_BIN), '..', '..', '..');

describe('make install', () => {
  it('puts an etl on the PATH that runs from any directory with Node.js alone', () => {
    const prefix = mkdtempSync(join(tmpdir(), 'etl-prefix-'));
    const installed = spawnSync(join(repo, 'scripts', 'install-etl'), [prefix], { cwd: repo, encoding: 'utf8' });
    expect(installed.status, installed.stderr).toBe(0);
    expect(installed.stdout).toContain(`as ${join(prefix, 'bin', 'etl')}`);
    expect(lstatSync(join(prefix, 'bin', 'etl')).isSymbolicLink()).toBe(true);
    // Nothing of the checkout is reached: no link from the installed copy into the repository.
    for (const pkg of ['core', 'connectors', 'web']) {
      const copy = realpathSync(join(prefix, 'lib', 'etl', 'node_modules', '@etl', pkg, 'dist', 'index.js'));
      expect(copy.startsWith(realpathSync(prefix)), copy).toBe(true);
    }

    const nodeOnly = join(prefix, 'node-only');
    mkdirSync(nodeOnly);
    symlinkSync(process.execPath, join(nodeOnly, 'node'));
    const elsewhere = mkdtempSync(join(tmpdir(), 'etl-elsewhere-'));
    const env = { PATH: `${join(prefix, 'bin')}:${nodeOnly}`, HOME: elsewhere };
    const run = (args: string[]) => spawnSync('etl', args, { cwd: elsewhere, env, encoding: 'utf8' });
    expect(spawnSync('pnpm', ['--version'], { env }).error).toBeDefined();

    const version = run(['--version']);
    expect(version.status, version.stderr).toBe(0);
    const commit = gitCommit(repo)?.commit ?? 'unknown';
    expect(version.stdout).toMatch(new RegExp(`^etl \\d+\\.\\d+\\.\\d+ \\(commit ${commit}(, modified)?\\) `));
    const help = run(['doctor', '--help']);
    expect(help.status, help.stderr).toBe(0);
    expect(help.stdout).toContain('USAGE');
    expect(help.stdout).toContain('$ etl doctor');
  });
});
