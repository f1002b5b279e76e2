import { describe, expect, it } from 'vitest';
import { decodeCopyField, validateEvent, type EventRow } from '@etl/core';
import { eventCopyBytes } from './event-store.js';

const event = (fields: Record<string, unknown>, spacing = ''): Buffer =>
  Buffer.from(JSON.stringify(fields, null, spacing));

const base = {
  event_id: '0b7c3a4e-8f1d-4c2b-9a6e-2f5d8c1b7e90',
  event_type: 'page_view',
  user_id: 7,
  timestamp: '2026-11-28T03:00:13.946Z',
  page_url: 'https://shop.example/p/1',
  ip_address: '10.1.2.3',
};

function row(value: Buffer, offset: string): EventRow {
  const v = validateEvent(value);
  if (!v.ok) throw new Error(v.reason);
  return { topic: 'user_events', partition: 2, offset, event: v.event };
}

describe('eventCopyBytes', () => {
  it('writes each payload as received, escaping only what COPY text must', () => {
    const plain = event(base);
    const escaped = event({ ...base, note: 'a "quoted"\\path', page_url: 'https://shop.example/ü\tx' }, '\t');
    const lines = eventCopyBytes([row(plain, '10'), row(escaped, '11')])
      .toString('utf8')
      .split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[2]).toBe('');
    const first = lines[0]?.split('\t') ?? [];
    expect(first).toEqual([
      'user_events',
      '2',
      '10',
      base.event_id,
      'page_view',
      '7',
      base.timestamp,
      base.page_url,
      '10.1.2.3',
      '\\N',
      plain.toString('utf8'),
    ]);
    const second = lines[1]?.split('\t').map(decodeCopyField) ?? [];
    expect(second[7]).toBe('https://shop.example/ü\tx');
    expect(second[10]).toBe(escaped.toString('utf8'));
  });

  it('grows past its first buffer without losing a byte', () => {
    const rows = Array.from({ length: 2000 }, (_, i) =>
      row(event({ ...base, event_id: `0b7c3a4e-8f1d-4c2b-9a6e-${String(i).padStart(12, '0')}` }), String(i)),
    );
    const text = eventCopyBytes(rows).toString('utf8');
    expect(text.length).toBeGreaterThan(64 * 1024);
    expect(
      text
        .split('\n')
        .slice(0, -1)
        .map((l) => l.split('\t')[2]),
    ).toEqual(rows.map((r) => r.offset));
  });
});
