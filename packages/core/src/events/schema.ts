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
  /** The record's JSON exactly as received (parsed), extra fields included. */
  readonly payload: Record<string, unknown>;
  /** The same JSON as text, as received. */
  readonly json: string;
}

export type Validation = { readonly ok: true; readonly event: AcceptedEvent } | { readonly ok: false; readonly reason: string };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ISO_WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;
const MAX_INT = 2_147_483_647;

export function isIPv4(text: string): boolean {
  const parts = text.split('.');
  return parts.length === 4 && parts.every((p) => /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/.test(p));
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

const isPositiveInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v > 0 && v <= MAX_INT;

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
    return { ok: false, reason: error instanceof SyntaxError ? `not JSON: ${error.message}` : 'not UTF-8 text' };
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    return { ok: false, reason: `not a JSON object (got ${parsed === null ? 'null' : Array.isArray(parsed) ? 'an array' : typeof parsed})` };
  }
  const e = parsed as Record<string, unknown>;
  // JSON can only carry a NUL or a lone surrogate as a \u escape (strict UTF-8 rules out the rest).
  if (json.includes('\\u') && hasUnstorableText(e)) return { ok: false, reason: 'contains a NUL character or a lone surrogate, which PostgreSQL cannot store' };
  const missing = ['event_id', 'event_type', 'user_id', 'timestamp', 'page_url', 'ip_address'].filter((k) => e[k] === undefined || e[k] === null);
  if (missing.length > 0) return { ok: false, reason: `missing field${missing.length > 1 ? 's' : ''} ${missing.join(', ')}` };
  if (typeof e['event_id'] !== 'string' || !UUID.test(e['event_id'])) return { ok: false, reason: 'event_id is not a UUID' };
  if (typeof e['event_type'] !== 'string') return { ok: false, reason: 'event_type is not a string' };
  if (!(EVENT_TYPES as readonly string[]).includes(e['event_type'])) {
    return { ok: false, reason: `unknown event_type "${e['event_type'].slice(0, 40)}"` };
  }
  const eventType = e['event_type'] as EventType;
  if (!isPositiveInt(e['user_id'])) return { ok: false, reason: 'user_id is not a positive integer' };
  const ts = e['timestamp'];
  if (typeof ts !== 'string' || !ISO_WITH_ZONE.test(ts) || Number.isNaN(Date.parse(ts))) {
    return { ok: false, reason: 'timestamp is not ISO-8601 with a time zone' };
  }
  if (typeof e['page_url'] !== 'string' || e['page_url'].length === 0) return { ok: false, reason: 'page_url is not a non-empty string' };
  const ip = e['ip_address'];
  if (typeof ip !== 'string' || !(isIPv4(ip) || isIPv6(ip))) return { ok: false, reason: 'ip_address is not an IPv4 or IPv6 address' };
  const product = e['product_id'];
  if (PRODUCT_EVENTS.includes(eventType)) {
    if (!isPositiveInt(product)) return { ok: false, reason: `product_id is required for ${eventType} and must be a positive integer` };
  } else if (product !== undefined && product !== null && !isPositiveInt(product)) {
    return { ok: false, reason: 'product_id is not a positive integer' };
  }
  return {
    ok: true,
    event: {
      eventId: e['event_id'].toLowerCase(),
      eventType,
      userId: e['user_id'],
      occurredAt: new Date(ts).toISOString(),
      pageUrl: e['page_url'],
      ipAddress: ip,
      productId: isPositiveInt(product) ? product : null,
      payload: e,
      json,
    },
  };
}

// NUL is refused by text and jsonb alike; so are surrogates without their partner.
// eslint-disable-next-line no-control-regex
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** True when some key or string holds what PostgreSQL's text and jsonb refuse. */
export function hasUnstorableText(value: unknown): boolean {
  if (typeof value === 'string') return UNSTORABLE.test(value);
  if (Array.isArray(value)) return value.some(hasUnstorableText);
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).some(([k, v]) => UNSTORABLE.test(k) || hasUnstorableText(v));
  }
  return false;
}

/** A reason safe to store as text: no NUL, bounded length. */
export function storableReason(reason: string): string {
  return reason.replaceAll('\u0000', '\\0').slice(0, 500);
}
