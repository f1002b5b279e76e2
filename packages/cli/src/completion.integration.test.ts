/**
 * Shell completion (oclif's autocomplete plugin): the cache `etl autocomplete --refresh-cache`
 * builds, then bash's own completion machinery asked for commands, subcommands and flags.
 * zsh is not installed here: its function is checked for the same names.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runEtl, scratchDir } from './testing/run-etl.js';

const home = scratchDir();
const cache = join(home, '.cache', 'etl', 'autocomplete');

/** What bash offers after typing `line` (the words of the line, the last one being completed). */
function bashCompletes(line: string): string[] {
  const words = line.split(' ');
  const script = [
    `source ${join(cache, 'functions', 'bash', 'etl.bash')}`,
    `COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')})`,
    `COMP_CWORD=${words.length - 1}`,
    `COMP_LINE='${line}'`,
    `COMP_POINT=${line.length}`,
    `$(complete -p etl | sed -E 's/.*-F ([^ ]+).*/\\1/')`,
    `printf '%s\\n' "\${COMPREPLY[@]}"`,
  ].join('\n');
  const run = spawnSync('bash', ['-c', script], { encoding: 'utf8' });
  expect(run.status, run.stderr).toBe(0);
  return run.stdout.split('\n').filter((w) => w !== '');
}

beforeAll(async () => {
  const run = await runEtl(['autocomplete', '--refresh-cache'], { env: { HOME: home } });
  expect(run.code, run.stderr).toBe(0);
});

describe('shell completion', () => {
  it('completes commands, subcommands and flags in bash', () => {
    expect(bashCompletes('etl repl')).toEqual(['replicate']);
    expect(bashCompletes('etl cdc ca')).toEqual(['capture']);
    expect(bashCompletes('etl replicate --chu')).toEqual(['--chunk-rows']);
  });

  it('prints the line to add to a shell profile, and writes a zsh function of the same commands', async () => {
    const bash = await runEtl(['autocomplete', 'script', 'bash'], { env: { HOME: home } });
    expect(bash.stdout).toContain(join(cache, 'bash_setup'));
    const zsh = readFileSync(join(cache, 'functions', 'zsh', '_etl'), 'utf8');
    for (const word of ['replicate', 'capture', '--chunk-rows']) expect(zsh).toContain(word);
  });
});
