/**
 * Reads the optional `.env` file of the working directory (KEY=value lines).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseEnv } from 'node:util';
import { UsageError } from '@etl/core';

export function readDotenv(cwd: string): Record<string, string> {
  const path = join(cwd, '.env');
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new UsageError(`cannot read ${path}: ${(error as Error).message}`);
  }
  const broken = brokenLine(text);
  if (broken !== undefined) {
    // The line itself is not shown: it may hold a password.
    throw new UsageError(`${path} line ${broken} is not KEY=value`, {
      hint: 'Each line is KEY=value, a # comment or blank; quote a value that spans lines.',
    });
  }
  return parseEnv(text) as Record<string, string>;
}

const ASSIGNMENT = /^\s*(?:export\s+)?[A-Za-z_][A-Za-z0-9_]*\s*=(.*)$/;

/** The number of the first line that is neither KEY=value, a comment nor blank, if any. */
export function brokenLine(text: string): number | undefined {
  const lines = text.split(/\r?\n/);
  let open: { quote: string; line: number } | undefined;
  for (const [i, line] of lines.entries()) {
    if (open !== undefined) {
      if (line.includes(open.quote)) open = undefined;
      continue;
    }
    if (/^\s*(#.*)?$/.test(line)) continue;
    const value = ASSIGNMENT.exec(line)?.[1]?.trim();
    if (value === undefined) return i + 1;
    const quote = value[0];
    if ((quote === '"' || quote === "'" || quote === '`') && !value.slice(1).includes(quote)) {
      open = { quote, line: i + 1 };
    }
  }
  return open?.line;
}
