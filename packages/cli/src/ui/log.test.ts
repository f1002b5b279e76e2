import { afterEach, describe, expect, it, vi } from 'vitest';
import { configureLogs, logLine, throttledProgress } from './log.js';

function captured(): { lines: () => Record<string, unknown>[]; restore: () => void } {
  const written: string[] = [];
  const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  });
  return {
    lines: () =>
      written
        .join('')
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as Record<string, unknown>),
    restore: () => spy.mockRestore(),
  };
}

describe('json logs', () => {
  afterEach(() => configureLogs('human'));

  it('log progress at most once a minute, the last one held back logged at the end', () => {
    configureLogs('json');
    const out = captured();
    let now = 0;
    const p = throttledProgress('stream', () => now);
    p.update('1 batch', { records: 1 });
    now = 30_000;
    p.update('2 batches', { records: 2 });
    now = 59_000;
    p.update('3 batches', { records: 3 });
    now = 61_000;
    p.update('4 batches', { records: 4 });
    now = 70_000;
    p.update('5 batches', { records: 5 });
    p.end('done', 'streamed');
    out.restore();
    expect(out.lines().map((l) => [l['event'], l['records'], l['message']])).toEqual([
      ['progress', 1, '1 batch'],
      ['progress', 4, '4 batches'],
      ['progress', 5, '5 batches'],
      ['done', undefined, 'streamed'],
    ]);
    expect(out.lines()[3]).toMatchObject({ level: 'info', step: 'stream', seconds: 70 });
  });

  it('turn people’s lines into levels, and scrub secrets', () => {
    configureLogs('json', ['hunter2']);
    const out = captured();
    logLine('Error: MySQL refused hunter2');
    logLine('Warning: stale');
    logLine('Hint: run etl init');
    logLine('plain');
    out.restore();
    expect(out.lines().map((l) => [l['level'], l['message']])).toEqual([
      ['error', 'MySQL refused ****'],
      ['warn', 'stale'],
      ['info', 'run etl init'],
      ['info', 'plain'],
    ]);
  });
});
