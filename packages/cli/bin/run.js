#!/usr/bin/env node
import { execute } from '@oclif/core';

const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-v')) {
  // The version and the commit it was built from (oclif's own line has no commit).
  const { versionLine } = await import('../dist/version.js');
  process.stdout.write(`${versionLine()}\n`);
} else {
  await execute({ dir: import.meta.url });
}
