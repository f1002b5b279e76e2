import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';

const cli = join(import.meta.dirname, '..');
const committed = join(cli, '..', '..', 'docs', 'commands.md');
const oclif = join(dirname(createRequire(import.meta.url).resolve('oclif/package.json')), 'bin', 'run.js');

describe('the README', () => {
  it('stays a page a user reads: at most 150 lines, every linked document present', () => {
    const root = join(cli, '..', '..');
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    expect(readme.trimEnd().split('\n').length).toBeLessThanOrEqual(150);
    const links = [...readme.matchAll(/\]\(((?:docs\/)?[\w./-]+\.md)\)/g)].map((m) => m[1] ?? '');
    expect(links.length).toBeGreaterThan(0);
    for (const link of links) expect(existsSync(join(root, link)), link).toBe(true);
  });
});

describe('docs/commands.md', () => {
  it('is what `pnpm --filter @etl/cli readme` generates from the commands today', () => {
    const copy = join(mkdtempSync(join(tmpdir(), 'etl-doc-')), 'commands.md');
    copyFileSync(committed, copy);
    const run = spawnSync(
      process.execPath,
      [oclif, 'readme', '--readme-path', copy, '--no-aliases', '--no-source-links'],
      { cwd: cli, env: { ...process.env, COLUMNS: '120', OCLIF_SKIP_NEW_VERSION_CHECK: 'true' }, encoding: 'utf8' },
    );
    expect(run.status, run.stderr).toBe(0);
    expect(readFileSync(copy, 'utf8'), 'docs/commands.md is stale: run `pnpm --filter @etl/cli readme`').toBe(
      readFileSync(committed, 'utf8'),
    );
  });
});
