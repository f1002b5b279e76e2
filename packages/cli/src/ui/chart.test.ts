import { describe, expect, it } from 'vitest';
import { barChart } from './chart.js';

describe('barChart', () => {
  const bars = [
    { label: 'Gadget', value: 100, text: '100.00' },
    { label: 'A very long product name that goes on and on', value: 50, text: '50.00' },
    { label: 'Nothing', value: 0, text: '0.00' },
  ];
  it('scales bars to the largest value, with plain characters outside a terminal', () => {
    const lines = barChart(bars, { width: 10, interactive: false }).split('\n');
    expect(lines[0]).toMatch(/^Gadget\s+#{10}\s+100\.00$/);
    expect(lines[1]).toMatch(/^A very long product name that g…\s+#{5}\s+50\.00$/);
    expect(lines[2]).toMatch(/^Nothing\s+0\.00$/);
    expect(lines.join('')).not.toMatch(/[█▏▎▍▌▋▊▉]/);
  });
  it('uses block characters on a terminal', () => {
    expect(barChart(bars, { width: 10, interactive: true })).toContain('██████████');
  });
  it('draws nothing for no rows', () => {
    expect(barChart([], { interactive: false })).toBe('');
  });
});
