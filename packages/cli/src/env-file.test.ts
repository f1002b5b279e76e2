import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { brokenLine, readDotenv } from './env-file.js';

describe('.env', () => {
  it('accepts assignments, comments, blank lines, export and quoted values over several lines', () => {
    const text = [
      '# settings',
      '',
      'ETL_PG_URL=postgres://etl:etl@127.0.0.1:5432/etl',
      'export ETL_KAFKA_BROKERS = 127.0.0.1:9092',
      'NOTE="first line',
      'second line"',
      "SINGLE='it''s'",
      'EMPTY=',
    ].join('\n');
    expect(brokenLine(text)).toBeUndefined();
  });

  it('names the first broken line, without showing it', () => {
    expect(brokenLine('A=1\nthis line is broken\nB=2')).toBe(2);
    expect(brokenLine('=novalue')).toBe(1);
    expect(brokenLine('A=1\nETL_TOPIC')).toBe(2);
    expect(brokenLine('A=1\nB="never closed\nC=3')).toBe(2);
    const dir = mkdtempSync(join(tmpdir(), 'etl-env-'));
    writeFileSync(join(dir, '.env'), 'ETL_PG_URL=postgres://etl:etl@x/etl\nETL_MYSQL_URL mysql://etl:s3cret@x/etl\n');
    expect(() => readDotenv(dir)).toThrow(/\.env line 2 is not KEY=value$/);
    try {
      readDotenv(dir);
    } catch (error) {
      expect(String(error)).not.toContain('s3cret');
    }
  });
});
