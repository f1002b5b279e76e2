/**
 * Asking a person to confirm a destructive choice. Only on a terminal: a script has no one to
 * answer, so it must say --yes up front.
 */
import { createInterface } from 'node:readline/promises';
import { isInteractive, type Streams } from './output.js';

export type Answer = 'yes' | 'no' | 'no-terminal';

/** Asks on stderr; only a typed "yes" confirms. */
export async function askYes(streams: Streams, question: string): Promise<Answer> {
  if (process.stdin.isTTY !== true || !isInteractive(streams.stderr)) return 'no-terminal';
  const rl = createInterface({ input: process.stdin, output: streams.stderr });
  try {
    const answer = await rl.question(`${question} Type "yes" to go on: `);
    return answer.trim().toLowerCase() === 'yes' ? 'yes' : 'no';
  } finally {
    rl.close();
  }
}
