/**
 * The user-activity event: its schema, and the validation every Kafka record goes through
 * before it may enter kafka_events. A record that fails goes to the dead-letter table with
 * the reason; bad records never stop the stream.
 */

export const EVENT_TYPES = ['page_view', 'click', 'add_to_cart', 'purchase', 'login', 'logout'] as const;
export type EventType = (typeof EVENT_TYPES)[number];
/** Events that concern a product and must name it. */
export const PRODUCT_EVENTS: readonly EventType[] = ['add_to_cart', 'purchase'];

export interface UserEvent {
  readonly event_id: string;
  readonly event_type: EventType;
  readonly user_id: number;
  /** ISO-8601 with a time zone. */
  readonly timestamp: string;
  readonly page_url: string;
  readonly ip_address: string;
  readonly product_id?: number | null;
  /** Unknown extra fields are allowed and kept in the stored payload. */
  readonly [extra: string]: unknown;
}

export interface AcceptedEvent {
  readonly eventId: string;
  readonly eventType: EventType;
  readonly userId: number;
  /** The instant, normalised to UTC ISO text. */
  readonly occurredAt: string;
  readonly pageUrl: string;
  readonly ipAddress: string;
  readonly productId: number | null;
  /**
   * The record's value, exactly as received (valid UTF-8 JSON), extra fields included. Kept as
   * bytes, not text: it goes on to PostgreSQL as it came, and bytes live outside the JS heap.
   */
  readonly value: Uint8Array;
}

export type Validation =
  { readonly ok: true; readonly event: AcceptedEvent } | { readonly ok: false; readonly reason: string };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ISO_WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;
const MAX_INT = 2_147_483_647;

const IPV4 = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

export function isIPv4(text: string): boolean {
  return IPV4.test(text);
}

export function isIPv6(text: string): boolean {
  if (text.length > 45 || text.length < 2) return false;
  let body = text;
  let groupsNeeded = 8;
  const lastColon = body.lastIndexOf(':');
  const tail = body.slice(lastColon + 1);
  if (tail.includes('.')) {
    if (!isIPv4(tail)) return false;
    body = `${body.slice(0, lastColon + 1)}0`;
    groupsNeeded = 7;
  }
  const halves = body.split('::');
  if (halves.length > 2) return false;
  const groups = (s: string): string[] | null => {
    if (s === '') return [];
    const g = s.split(':');
    return g.every((x) => /^[0-9a-fA-F]{1,4}$/.test(x)) ? g : null;
  };
  const head = groups(halves[0] ?? '');
  if (head === null) return false;
  if (halves.length === 1) return head.length === groupsNeeded;
  const rest = groups(halves[1] ?? '');
  return rest !== null && head.length + rest.length < groupsNeeded;
}

const isPositiveInt = (v: unknown): v is number =>
  typeof v === 'number' && Number.isInteger(v) && v > 0 && v <= MAX_INT;

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** Checks one record value. Never throws: a bad record is a reason, not an error. */
export function validateEvent(value: Uint8Array | null): Validation {
  if (value === null || value.length === 0) return { ok: false, reason: 'empty value' };
  let parsed: unknown;
  let json: string;
  try {
    json = UTF8.decode(value);
    parsed = JSON.parse(json);
  } catch (error) {
    if (error instanceof RangeError) return { ok: false, reason: 'JSON nested too deeply to parse' };
    return { ok: false, reason: error instanceof SyntaxError ? `not JSON: ${error.message}` : 'not UTF-8 text' };
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    return {
      ok: false,
      reason: `not a JSON object (got ${
        parsed === null ? 'null' : Array.isArray(parsed) ? 'an array' : typeof parsed
      })`,
    };
  }
  const e = parsed as Record<string, unknown>;
  // JSON can only carry a NUL or a lone surrogate as a \u escape (strict UTF-8 rules out the rest).
  if (json.includes('\\u') && hasUnstorableText(e))
    return { ok: false, reason: 'contains a NUL character or a lone surrogate, which PostgreSQL cannot store' };
  // Every record of the stream passes here: each field is read once, nothing is built twice.
  const id = e['event_id'];
  const type = e['event_type'];
  const user = e['user_id'];
  const ts = e['timestamp'];
  const url = e['page_url'];
  const ip = e['ip_address'];
  if (id == null || type == null || user == null || ts == null || url == null || ip == null) {
    const missing = REQUIRED.filter((k) => e[k] === undefined || e[k] === null);
    return { ok: false, reason: `missing field${missing.length > 1 ? 's' : ''} ${missing.join(', ')}` };
  }
  if (typeof id !== 'string' || !UUID.test(id)) return { ok: false, reason: 'event_id is not a UUID' };
  if (typeof type !== 'string') return { ok: false, reason: 'event_type is not a string' };
  if (!(EVENT_TYPES as readonly string[]).includes(type))
    return { ok: false, reason: `unknown event_type "${type.slice(0, 40)}"` };
  const eventType = type as EventType;
  if (!isPositiveInt(user)) return { ok: false, reason: 'user_id is not a positive integer' };
  const at = typeof ts === 'string' ? instant(ts) : undefined;
  if (at === undefined) return { ok: false, reason: 'timestamp is not ISO-8601 with a time zone' };
  if (typeof url !== 'string' || url.length === 0) return { ok: false, reason: 'page_url is not a non-empty string' };
  if (typeof ip !== 'string' || !(isIPv4(ip) || isIPv6(ip)))
    return { ok: false, reason: 'ip_address is not an IPv4 or IPv6 address' };
  const product = e['product_id'];
  if (PRODUCT_EVENTS.includes(eventType)) {
    if (!isPositiveInt(product))
      return { ok: false, reason: `product_id is required for ${eventType} and must be a positive integer` };
  } else if (product !== undefined && product !== null && !isPositiveInt(product)) {
    return { ok: false, reason: 'product_id is not a positive integer' };
  }
  return {
    ok: true,
    event: {
      eventId: id.toLowerCase(),
      eventType,
      userId: user,
      occurredAt: at,
      pageUrl: url,
      ipAddress: ip,
      productId: isPositiveInt(product) ? product : null,
      value,
    },
  };
}

const REQUIRED = ['event_id', 'event_type', 'user_id', 'timestamp', 'page_url', 'ip_address'];
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const digit = (text: string, i: number): number => text.charCodeAt(i) - 48;
const two = (text: string, i: number): number => digit(text, i) * 10 + digit(text, i + 1);

/** Whether the text's leading YYYY-MM-DD (digits already checked) is a day the calendar has. */
function isCalendarDay(ts: string): boolean {
  const year = two(ts, 0) * 100 + two(ts, 2);
  const month = two(ts, 5);
  const day = two(ts, 8);
  const leap = month === 2 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return month >= 1 && month <= 12 && day >= 1 && day <= (DAYS_IN_MONTH[month - 1] ?? 0) + (leap ? 1 : 0);
}

/**
 * The instant of an ISO-8601 timestamp with a zone, as UTC ISO text, or undefined. A date the
 * calendar lacks (2025-02-30) is refused: JavaScript would roll it over to March.
 */
export function instant(ts: string): string | undefined {
  // What producers usually send, UTC with milliseconds, is checked here without the regex and
  // Date.parse; anything else (or an edge such as 24:00) takes the general path below.
  if (isPlainUtcMillis(ts)) return ts;
  if (!ISO_WITH_ZONE.test(ts)) return undefined;
  if (!isCalendarDay(ts)) return undefined;
  const ms = Date.parse(ts);
  if (Number.isNaN(ms)) return undefined;
  // UTC with milliseconds that the fast path left (24:00): kept as sent, as PostgreSQL reads it.
  return ts.length === 24 && ts.endsWith('Z') ? ts : new Date(ms).toISOString();
}

const DIGIT_AT = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18, 20, 21, 22];

/** `YYYY-MM-DDTHH:MM:SS.mmmZ` naming a real day and a time from 00:00:00.000 to 23:59:59.999. */
function isPlainUtcMillis(ts: string): boolean {
  if (ts.length !== 24 || ts[4] !== '-' || ts[7] !== '-' || ts[10] !== 'T' || ts[13] !== ':' || ts[16] !== ':') {
    return false;
  }
  if (ts[19] !== '.' || ts[23] !== 'Z') return false;
  for (const i of DIGIT_AT) {
    const d = digit(ts, i);
    if (d < 0 || d > 9) return false;
  }
  return isCalendarDay(ts) && two(ts, 11) <= 23 && two(ts, 14) <= 59 && two(ts, 17) <= 59;
}

// NUL is refused by text and jsonb alike; so are surrogates without their partner.
// eslint-disable-next-line no-control-regex
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * True when some key or string holds what PostgreSQL's text and jsonb refuse. Walks the value
 * with its own stack, not recursion: a record nested 100,000 levels deep is data to reject or
 * store, never a crash that would stop the stream at the same record on every run.
 */
export function hasUnstorableText(value: unknown): boolean {
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const next = pending.pop();
    if (typeof next === 'string') {
      if (UNSTORABLE.test(next)) return true;
    } else if (Array.isArray(next)) {
      for (const item of next) pending.push(item);
    } else if (next !== null && typeof next === 'object') {
      for (const [k, v] of Object.entries(next)) {
        if (UNSTORABLE.test(k)) return true;
        pending.push(v);
      }
    }
  }
  return false;
}

/** A reason safe to store as text: no NUL, bounded length. */
/** A dead letter's reason as one of a few kinds: a label metrics can carry (the reason text cannot). */
export function deadLetterKind(reason: string): string {
  const kinds: readonly (readonly [RegExp, string])[] = [
    [/^empty value/, 'empty'],
    [/^not UTF-8/, 'not-utf8'],
    [/^not JSON/, 'not-json'],
    [/^JSON nested too deeply/, 'too-deep'],
    [/^not a JSON object/, 'not-object'],
    [/^contains a NUL/, 'unstorable'],
    [/^missing field/, 'missing-field'],
  ];
  return kinds.find(([pattern]) => pattern.test(reason))?.[1] ?? 'invalid-field';
}

export function storableReason(reason: string): string {
  return reason.replaceAll('\u0000', '\\0').slice(0, 500);
}
