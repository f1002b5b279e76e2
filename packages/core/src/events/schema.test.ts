import { describe, expect, it } from 'vitest';
import { SessionGenerator, streamUuid } from './generator.js';
import { instant, isIPv4, isIPv6, validateEvent } from './schema.js';

const enc = (v: unknown) => new TextEncoder().encode(typeof v === 'string' ? v : JSON.stringify(v));
const good = {
  event_id: '3f1c2a9e-5b7d-4c1e-9a2b-0d4e6f8a1b2c',
  event_type: 'add_to_cart',
  user_id: 42,
  timestamp: '2025-03-01T12:34:56.789+02:00',
  page_url: 'https://shop.example/products/7',
  ip_address: '203.0.113.9',
  product_id: 7,
};

describe('validateEvent', () => {
  it('accepts a valid event, normalising the time to UTC and keeping extra fields', () => {
    const v = validateEvent(enc({ ...good, campaign: 'spring' }));
    expect(v.ok).toBe(true);
    if (!v.ok) return;
    expect(v.event).toMatchObject({
      eventType: 'add_to_cart',
      userId: 42,
      productId: 7,
      occurredAt: '2025-03-01T10:34:56.789Z',
    });
    expect(JSON.parse(Buffer.from(v.event.value).toString('utf8'))).toEqual({ ...good, campaign: 'spring' });
  });
  it('accepts events without a product when none is needed, and IPv6 addresses', () => {
    const v = validateEvent(enc({ ...good, event_type: 'login', product_id: undefined, ip_address: '2001:db8::1' }));
    expect(v.ok).toBe(true);
  });
  const cases: [string, Uint8Array | null, RegExp][] = [
    ['empty value', null, /empty value/],
    ['empty bytes', new Uint8Array(), /empty value/],
    ['not JSON', enc('{"event_id": '), /not JSON/],
    ['not UTF-8', new Uint8Array([0xff, 0xfe, 0x7b]), /not UTF-8/],
    ['an array', enc([1, 2]), /not a JSON object \(got an array\)/],
    ['a number', enc('17'), /not a JSON object \(got number\)/],
    [
      'missing fields',
      enc({ event_type: 'login' }),
      /missing fields event_id, user_id, timestamp, page_url, ip_address/,
    ],
    ['bad uuid', enc({ ...good, event_id: 'not-a-uuid' }), /event_id is not a UUID/],
    ['unknown type', enc({ ...good, event_type: 'teleport' }), /unknown event_type "teleport"/],
    ['wrong type', enc({ ...good, user_id: '42' }), /user_id is not a positive integer/],
    ['negative user', enc({ ...good, user_id: -1 }), /user_id/],
    ['no time zone', enc({ ...good, timestamp: '2025-03-01T12:34:56' }), /timestamp/],
    ['not a date', enc({ ...good, timestamp: 'yesterday' }), /timestamp/],
    ['a day the month lacks', enc({ ...good, timestamp: '2025-02-29T10:00:00Z' }), /timestamp/],
    ['a month the year lacks', enc({ ...good, timestamp: '2025-13-01T10:00:00Z' }), /timestamp/],
    ['bad ip', enc({ ...good, ip_address: '300.1.2.3' }), /ip_address/],
    ['cart without product', enc({ ...good, product_id: undefined }), /product_id is required for add_to_cart/],
    ['bad product', enc({ ...good, event_type: 'click', product_id: 1.5 }), /product_id is not a positive integer/],
    ['a NUL PostgreSQL cannot store', enc({ ...good, page_url: 'a\u0000b' }), /NUL character/],
    ['a lone surrogate', enc('{"x": "\\ud800"}'), /lone surrogate/],
  ];
  for (const [name, value, reason] of cases) {
    it(`rejects ${name}`, () => {
      const v = validateEvent(value);
      expect(v.ok).toBe(false);
      if (!v.ok) expect(v.reason).toMatch(reason);
    });
  }
});

describe('validateEvent on hostile records', () => {
  const withExtra = (extra: string): Buffer => Buffer.from(`${JSON.stringify(good).slice(0, -1)},"extra":${extra}}`);
  const nested = (depth: number, inner: string) => `${'['.repeat(depth)}${inner}${']'.repeat(depth)}`;

  it('checks a value nested 10,000 levels deep without overflowing the stack', () => {
    expect(validateEvent(withExtra(nested(10_000, '"\\u0041"'))).ok).toBe(true);
    expect(validateEvent(withExtra(nested(10_000, '"a\\u0000b"')))).toEqual({
      ok: false,
      reason: 'contains a NUL character or a lone surrogate, which PostgreSQL cannot store',
    });
  });

  it('gives a reason, never an exception, for a value too deep for the parser', () => {
    const v = validateEvent(withExtra(nested(2_000_000, '1')));
    if (!v.ok) expect(v.reason).toBe('JSON nested too deeply to parse');
  });

  it('rejects empty and invalid UTF-8 values, and accepts a 1 MB one', () => {
    expect(validateEvent(Buffer.alloc(0))).toEqual({ ok: false, reason: 'empty value' });
    expect(validateEvent(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]))).toEqual({ ok: false, reason: 'not UTF-8 text' });
    expect(validateEvent(withExtra(JSON.stringify('x'.repeat(1 << 20)))).ok).toBe(true);
  });
});

describe('instant', () => {
  it('keeps UTC millisecond text as sent and normalises every other form to it', () => {
    expect(instant('2025-03-01T10:34:56.789Z')).toBe('2025-03-01T10:34:56.789Z');
    expect(instant('2025-03-01T12:34:56.789+02:00')).toBe('2025-03-01T10:34:56.789Z');
    expect(instant('2025-03-01T10:34Z')).toBe('2025-03-01T10:34:00.000Z');
    expect(instant('2025-03-01T05:34:56-0500')).toBe('2025-03-01T10:34:56.000Z');
  });
  it('knows leap years and refuses days the calendar lacks', () => {
    for (const ok of ['2024-02-29T00:00:00Z', '2000-02-29T00:00:00Z', '2025-12-31T23:59:59.999Z'])
      expect(instant(ok), ok).toBeDefined();
    for (const bad of [
      '1900-02-29T00:00:00Z',
      '2025-02-29T00:00:00Z',
      '2025-04-31T00:00:00Z',
      '2025-00-10T00:00:00Z',
      '2025-01-00T00:00:00Z',
      '2025-01-01T10:00:00',
    ])
      expect(instant(bad), bad).toBeUndefined();
  });
  it('answers for UTC millisecond text exactly as the ISO pattern, the calendar and Date.parse do', () => {
    // The reference: what instant did before it had a fast path for this form.
    const reference = (ts: string): string | undefined => {
      const m = /^(\d{4})-(\d{2})-(\d{2})T\d{2}:\d{2}:\d{2}\.\d{3}Z$/.exec(ts);
      if (m === null) return undefined;
      const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
      const days = new Date(Date.UTC(year, month, 0)).getUTCDate();
      if (month < 1 || month > 12 || day < 1 || day > days) return undefined;
      return Number.isNaN(Date.parse(ts)) ? undefined : ts;
    };
    const cases = ['0000-01-01T00:00:00.000Z', '2025-1a-01T00:00:00.000Z', '2025-01-01T00:00:00,000Z', '2025-01-01 '];
    for (const year of ['1900', '2000', '2024', '2025'])
      for (const month of ['00', '01', '02', '12', '13'])
        for (const day of ['00', '28', '29', '30', '31', '32'])
          for (const time of ['00:00:00.000', '23:59:59.999', '24:00:00.000', '12:60:00.000', '12:00:60.000'])
            cases.push(`${year}-${month}-${day}T${time}Z`);
    for (const ts of cases) expect(instant(ts), ts).toBe(reference(ts));
  });
});

describe('isIPv4', () => {
  it('knows valid and invalid forms', () => {
    for (const ok of ['0.0.0.0', '192.168.1.255', '255.255.255.255', '10.0.0.1']) expect(isIPv4(ok), ok).toBe(true);
    for (const bad of ['256.1.1.1', '1.2.3', '1.2.3.4.5', '01.2.3.4', '1.2.3.4 ', 'a.b.c.d', ''])
      expect(isIPv4(bad), bad).toBe(false);
  });
});

describe('isIPv6', () => {
  it('knows valid and invalid forms', () => {
    for (const ok of ['::1', '2001:db8::1', 'fe80::1:2:3:4', '1:2:3:4:5:6:7:8', '::ffff:192.0.2.1', '::'])
      expect(isIPv6(ok), ok).toBe(true);
    for (const bad of ['1:2:3:4:5:6:7:8:9', '2001:db8:::1', '12345::', 'g::1', '1:2:3:4:5:6:7', ':'])
      expect(isIPv6(bad), bad).toBe(false);
  });
});

describe('SessionGenerator', () => {
  const gen = new SessionGenerator(7, [1, 2, 3, 4, 5], [10, 11, 12]);
  it('makes valid, believable sessions of existing users and products', () => {
    for (let s = 0; s < 300; s++) {
      const events = gen.session(s, Date.UTC(2025, 0, 1));
      expect(events[0]?.event_type).toBe('login');
      for (const e of events) {
        const v = validateEvent(enc(e));
        expect(v.ok, JSON.stringify(e)).toBe(true);
        expect([1, 2, 3, 4, 5]).toContain(e.user_id);
        if (e.product_id !== undefined) expect([10, 11, 12]).toContain(e.product_id);
      }
      expect(new Set(events.map((e) => e.user_id)).size).toBe(1);
    }
  });
  it('is deterministic in who and what, with fresh event ids unless told otherwise', () => {
    const strip = (events: { event_id: string }[]) => events.map(({ event_id: _, ...rest }) => rest);
    const a = new SessionGenerator(7, [1, 2, 3], [10]).session(5, 0);
    const b = new SessionGenerator(7, [1, 2, 3], [10]).session(5, 0);
    expect(strip(a)).toEqual(strip(b));
    expect(a[0]?.event_id).not.toBe(b[0]?.event_id);
    const c = new SessionGenerator(7, [1, 2, 3], [10], streamUuid).session(5, 0);
    expect(c).toEqual(new SessionGenerator(7, [1, 2, 3], [10], streamUuid).session(5, 0));
    const ids = Array.from({ length: 500 }, (_, s) => gen.session(s, 0).map((e) => e.event_id)).flat();
    expect(new Set(ids).size).toBe(ids.length);
  });
  it('produces every kind of event across sessions', () => {
    const types = new Set(Array.from({ length: 500 }, (_, s) => gen.session(s, 0).map((e) => e.event_type)).flat());
    expect([...types].sort()).toEqual(['add_to_cart', 'click', 'login', 'logout', 'page_view', 'purchase']);
  });
});
