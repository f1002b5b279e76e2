/**
 * An unknown command: one line saying so, the closest command if one is near, exit 2.
 * (Replaces @oclif/plugin-not-found, which prompts on a terminal and exits 127 elsewhere.)
 */
import type { Hook } from '@oclif/core';
import { closest } from '@etl/core';

const hook: Hook.CommandNotFound = async function (options) {
  const ids = options.config.commands.filter((c) => !c.hidden).flatMap((c) => [c.id, ...c.aliases]);
  const words = options.id.split(':');
  // `etl doctor extra` arrives here as "doctor:extra": a known command with a stray argument.
  for (let n = words.length - 1; n > 0; n--) {
    const prefix = words.slice(0, n).join(':');
    if (ids.includes(prefix)) {
      const command = prefix.replaceAll(':', ' ');
      process.stderr.write(`Error: unexpected argument "${words.slice(n).join(' ')}" for \`etl ${command}\`.\n`);
      process.stderr.write(`Hint: See \`etl ${command} --help\`.\n`);
      return this.exit(2);
    }
  }
  const suggestion = closest(options.id, ids);
  const didYouMean = suggestion === undefined ? '' : ` Did you mean "${suggestion.replaceAll(':', ' ')}"?`;
  process.stderr.write(`Error: "${words.join(' ')}" is not an etl command.${didYouMean}\n`);
  process.stderr.write('Hint: Run `etl help` for the list of commands.\n');
  return this.exit(2);
};

export default hook;
