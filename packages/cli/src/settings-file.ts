/**
 * Reads the settings file of replicate and verify: the one named by --config (it must exist),
 * else ./etl.yaml when the working directory has one; core parses and validates the text.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { NO_SETTINGS, parseSettings, UsageError, type ReplicationSettings } from '@etl/core';

export const DEFAULT_SETTINGS_FILE = 'etl.yaml';

export function loadSettings(flag: string | undefined, cwd: string): ReplicationSettings {
  const file = flag ?? (existsSync(join(cwd, DEFAULT_SETTINGS_FILE)) ? DEFAULT_SETTINGS_FILE : undefined);
  if (file === undefined) return NO_SETTINGS;
  let text: string;
  try {
    text = readFileSync(resolve(cwd, file), 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : 'cannot be read';
    throw new UsageError(`--config: ${file} ${reason}`, { hint: 'Name a YAML settings file, or leave out --config.' });
  }
  return parseSettings(text, file);
}
