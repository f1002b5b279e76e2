import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { versionLine } from './version.js';

const installed = (info?: object) => {
  const dir = mkdtempSync(join(tmpdir(), 'etl-version-'));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ version: '1.2.3' }));
  if (info !== undefined) writeFileSync(join(dir, 'build-info.json'), JSON.stringify(info));
  return dir;
};

describe('etl --version', () => {
  it('names the version and the commit an installed copy was built from', () => {
    expect(versionLine(installed({ commit: '1a2b3c4d5e6f', dirty: false }))).toMatch(
      /^etl 1\.2\.3 \(commit 1a2b3c4d5e6f\) \S+-\S+ node-v\d+/,
    );
    expect(versionLine(installed({ commit: '1a2b3c4d5e6f', dirty: true }))).toContain(
      '(commit 1a2b3c4d5e6f, modified)',
    );
  });

  it('says so when the commit cannot be known (outside a checkout, no record)', () => {
    expect(versionLine(installed())).toContain('(commit unknown)');
  });
});
