/**
 * The only place that writes to the terminal. Results go to stdout; progress, notices and
 * errors go to stderr. Tables drop colour and box drawing when stdout is not a terminal.
 */
import Table from 'cli-table3';
import { jsonLogs, logLine } from './log.js';

export interface Streams {
  readonly stdout: NodeJS.WriteStream;
  readonly stderr: NodeJS.WriteStream;
}

export const processStreams: Streams = { stdout: process.stdout, stderr: process.stderr };

export function isInteractive(stream: NodeJS.WriteStream): boolean {
  return stream.isTTY === true && process.env['TERM'] !== 'dumb' && process.env['NO_COLOR'] === undefined;
}

export type Cell = string | number | null | undefined;

/** A table for stdout: boxed on a terminal, plain aligned columns in a pipe or file. */
export function renderTable(head: readonly string[], rows: readonly (readonly Cell[])[], interactive: boolean): string {
  const text = (cell: Cell): string => (cell === null || cell === undefined ? '-' : String(cell));
  if (interactive) {
    const table = new Table({ head: [...head], style: { head: ['cyan'], border: ['grey'] } });
    for (const row of rows) table.push(row.map(text));
    return table.toString();
  }
  const table = new Table({
    head: [...head],
    chars: {
      top: '',
      'top-mid': '',
      'top-left': '',
      'top-right': '',
      bottom: '',
      'bottom-mid': '',
      'bottom-left': '',
      'bottom-right': '',
      left: '',
      'left-mid': '',
      mid: '',
      'mid-mid': '',
      right: '',
      'right-mid': '',
      middle: '  ',
    },
    style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0 },
  });
  for (const row of rows) table.push(row.map(text));
  return table
    .toString()
    .split('\n')
    .map((line) => line.trimEnd())
    .join('\n');
}

export function writeJson(streams: Streams, value: unknown): void {
  streams.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function writeLine(stream: NodeJS.WriteStream, line = ''): void {
  // --log-format json: whatever etl tells people on stderr becomes one JSON log line.
  if (stream === process.stderr && jsonLogs()) return logLine(line);
  stream.write(`${line}\n`);
}
