/**
 * Believable user sessions for `etl produce`: log in, look around, click, sometimes put a
 * product in the cart and buy it, usually log out. Who, what and how many are a pure function
 * of (seed, session number); when is the caller's clock; event ids are fresh for every run
 * (a second run is new activity, not a replay) unless the caller supplies its own.
 */
import { RowRandom } from '../seed/random.js';
import type { EventType, UserEvent } from './schema.js';

const STREAM_SESSIONS = 21;
const PAGES = [
  '/',
  '/search?q=deals',
  '/deals',
  '/new',
  '/account',
  '/help',
  '/category/electronics',
  '/category/home-kitchen',
  '/category/clothing',
  '/category/books-media',
];

const hex = (n: number, width: number): string => n.toString(16).padStart(width, '0');

/** A version-4 shaped UUID drawn from a stream: deterministic ids, for tests and replays. */
export function streamUuid(r: RowRandom): string {
  const word = () => Math.floor(r.next() * 0x1_0000_0000);
  const a = word();
  const b = word();
  const c = word();
  const d = word();
  const version = hex(0x4000 | (b & 0x0fff), 4);
  const variant = hex(0x8000 | ((c >>> 16) & 0x3fff), 4);
  return `${hex(a, 8)}-${hex(b >>> 16, 4)}-${version}-${variant}-${hex(c & 0xffff, 4)}${hex(d, 8)}`;
}

function ip(r: RowRandom): string {
  if (r.next() < 0.85) return `${r.int(11, 223)}.${r.int(0, 255)}.${r.int(0, 255)}.${r.int(1, 254)}`;
  return `2001:db8:${hex(r.int(0, 0xffff), 1)}:${hex(r.int(0, 0xffff), 1)}::${hex(r.int(1, 0xffff), 1)}`;
}

export class SessionGenerator {
  private readonly random = new RowRandom();

  constructor(
    private readonly seed: number,
    private readonly userIds: readonly number[],
    private readonly productIds: readonly number[],
    /** Makes each event's id; by default a random UUID. */
    private readonly newId: (r: RowRandom) => string = () => globalThis.crypto.randomUUID(),
  ) {
    if (userIds.length === 0) throw new RangeError('sessions need at least one user');
  }

  /** The events of session `index`, the first at `startMs`, a few seconds apart. */
  session(index: number, startMs: number): UserEvent[] {
    const r = this.random.reseed([this.seed, STREAM_SESSIONS, index]);
    const userId = r.pick(this.userIds);
    const address = ip(r);
    let t = startMs;
    const events: UserEvent[] = [];
    const emit = (type: EventType, page: string, productId?: number): void => {
      events.push({
        event_id: this.newId(r),
        event_type: type,
        user_id: userId,
        timestamp: new Date(t).toISOString(),
        page_url: `https://shop.example${page}`,
        ip_address: address,
        ...(productId === undefined ? {} : { product_id: productId }),
      });
      t += r.int(1_000, 45_000);
    };
    emit('login', '/login');
    const views = r.int(1, 6);
    let viewed: number | undefined;
    for (let v = 0; v < views; v++) {
      if (this.productIds.length > 0 && r.next() < 0.6) {
        viewed = r.pick(this.productIds);
        emit('page_view', `/products/${viewed}`);
        if (r.next() < 0.5) emit('click', `/products/${viewed}#reviews`);
      } else {
        emit('page_view', r.pick(PAGES));
        if (r.next() < 0.3) emit('click', r.pick(PAGES));
      }
    }
    if (viewed !== undefined && r.next() < 0.35) {
      emit('add_to_cart', `/products/${viewed}`, viewed);
      if (r.next() < 0.5) emit('purchase', '/checkout', viewed);
    }
    if (r.next() < 0.8) emit('logout', '/logout');
    return events;
  }
}
