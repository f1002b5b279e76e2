/**
 * `etl --version`: the version and the commit it was built from, so a report from an installed
 * copy says exactly which code ran. The commit comes from build-info.json, written beside
 * package.json by `make install`; in a checkout of the repository, from git itself.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** What `make install` records of the checkout it installed from. */
export interface BuildInfo {
  readonly commit: string;
  /** The checkout had changes not committed. */
  readonly dirty: boolean;
}

/** The commit of a git checkout, or undefined when `dir` is not in one (or git is not there). */
export function gitCommit(dir: string): BuildInfo | undefined {
  const head = spawnSync('git', ['rev-parse', '--short=12', 'HEAD'], { cwd: dir, encoding: 'utf8' });
  if (head.status !== 0 || head.stdout.trim() === '') return undefined;
  const status = spawnSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: dir, encoding: 'utf8' });
  return { commit: head.stdout.trim(), dirty: status.status === 0 && status.stdout.trim() !== '' };
}

export function buildInfo(dir = root): BuildInfo | undefined {
  const file = join(dir, 'build-info.json');
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as BuildInfo;
  return gitCommit(dir);
}

/** `etl 0.1.0 (commit 1a2b3c4d5e6f) linux-x64 node-v20.19.0` */
export function versionLine(dir = root): string {
  const { version } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string };
  const info = buildInfo(dir);
  const commit = info === undefined ? 'commit unknown' : `commit ${info.commit}${info.dirty ? ', modified' : ''}`;
  return `etl ${version} (${commit}) ${process.platform}-${process.arch} node-${process.version}`;
}
