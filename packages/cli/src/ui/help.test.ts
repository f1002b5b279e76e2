import { describe, expect, it } from 'vitest';
import { reflow } from './help.js';

describe('reflow', () => {
  it('joins the lines of each paragraph and keeps paragraphs apart', () => {
    expect(reflow('One two\nthree four.\n\n--follow keeps\ngoing.')).toBe(
      'One two three four.\n\n--follow keeps going.',
    );
  });
  it('keeps list items and indented lines on lines of their own', () => {
    expect(reflow('Prints:\n- one\n- two\n  detail')).toBe('Prints:\n- one\n- two\n  detail');
  });
});
