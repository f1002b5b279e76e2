import { describe, expect, it } from 'vitest';
import { maskUrl, passwordOf, redact } from './redact.js';

describe('maskUrl', () => {
  it('masks the password of a well-formed URL', () => {
    expect(maskUrl('postgres://etl:s3cret@127.0.0.1:5432/etl')).toBe('postgres://etl:****@127.0.0.1:5432/etl');
  });
  it('leaves URLs without a password alone', () => {
    expect(maskUrl('mysql://root@127.0.0.1:3306/etl')).toBe('mysql://root@127.0.0.1:3306/etl');
    expect(maskUrl('127.0.0.1:9092')).toBe('127.0.0.1:9092');
  });
  it('masks passwords in malformed URLs and in running text', () => {
    expect(maskUrl('postgres://etl:pa ss@host:notaport/db')).not.toContain('pa');
    expect(maskUrl('connect to mysql://u:hunter2@h:1/x failed')).toBe('connect to mysql://u:****@h:1/x failed');
  });
});

describe('redact', () => {
  it('removes explicit secrets wherever they appear', () => {
    expect(redact('password authentication failed: hunter2', ['hunter2'])).toBe('password authentication failed: ****');
  });
  it('ignores empty and very short secrets, which are ordinary words', () => {
    expect(redact('abc', [''])).toBe('abc');
    expect(redact('etl could not reach etl', ['etl'])).toBe('etl could not reach etl');
    expect(redact('postgres://etl:etl@h/etl', ['etl'])).toBe('postgres://etl:****@h/etl');
  });
});

describe('passwordOf', () => {
  it('decodes the password of a URL', () => {
    expect(passwordOf('postgres://etl:p%40ss@h/db')).toBe('p@ss');
    expect(passwordOf('postgres://etl@h/db')).toBeUndefined();
  });
  it('finds the password even when the URL does not parse', () => {
    expect(passwordOf('postgres://etl:secret@h:port/db')).toBe('secret');
  });
});
