/**
 * Reads a marts project from its folder: the one named by --project (or ETL_MARTS_PROJECT),
 * else ./marts/ when the working directory has one, else the built-in demo project. Core parses
 * and checks the files.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import {
  DEMO_PROJECT_DIR,
  DEMO_PROJECT_NAME,
  parseProject,
  UsageError,
  type MartsProject,
  type ProjectFile,
} from '@etl/core';

export const DEFAULT_PROJECT_DIR = 'marts';
/** Larger files are refused: a model is a SELECT, not a data file. */
const MAX_FILE_BYTES = 4 * 1024 * 1024;

function filesOf(root: string): ProjectFile[] {
  const out: ProjectFile[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (!entry.name.startsWith('.') && entry.name !== 'node_modules') walk(path);
        continue;
      }
      if (!/\.(sql|ya?ml)$/i.test(entry.name)) continue;
      const rel = relative(root, path).split(sep).join('/');
      if (statSync(path).size > MAX_FILE_BYTES)
        throw new UsageError(`the marts project file ${rel} is larger than 4 MiB`, {
          hint: 'A model is one SELECT; keep data out of the project folder.',
        });
      out.push({ path: rel, text: readFileSync(path, 'utf8') });
    }
  };
  walk(root);
  return out;
}

/** Reads and parses the project; every problem in it at once (exit 2). */
export function loadMartsProject(flag: string | undefined, cwd: string): MartsProject {
  const named = flag ?? (existsSync(join(cwd, DEFAULT_PROJECT_DIR)) ? DEFAULT_PROJECT_DIR : undefined);
  if (named === undefined) return parseProject(DEMO_PROJECT_NAME, filesOf(DEMO_PROJECT_DIR));
  const dir = resolve(cwd, named);
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    throw new UsageError(`--project: ${named} ${existsSync(dir) ? 'is not a folder' : 'does not exist'}`, {
      hint: 'Name the folder of the marts project (its models are *.sql files), or leave out --project.',
    });
  const files = filesOf(dir);
  if (!files.some((f) => /\.sql$/i.test(f.path) && !/(^|\/)tests\//.test(f.path)))
    throw new UsageError(`--project: ${named} holds no models (no .sql file outside tests/)`, {
      hint: 'A model is a file name.sql holding one SELECT; see docs/marts.md.',
    });
  return parseProject(named, files);
}
