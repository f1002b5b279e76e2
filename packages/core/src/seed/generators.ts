/**
 * The shop's rows as pure functions: row i of each table is computed from (seed, table, i)
 * and, for references, the sizes of the tables it points into. Nothing is read back from the
 * database: an order's date is placed after its user's registration by recomputing that
 * user's registration date, a line's price is the product's price recomputed the same way.
 *
 * All amounts are whole cents and all instants whole milliseconds, so the rows are the same
 * bytes in any database.
 */
import type { Faker, Randomizer } from '@faker-js/faker';
import type * as FakerEnglish from '@faker-js/faker/locale/en';
import { lazyModule } from '../lazy.js';
import { type LOYALTY_STATUSES, type ORDER_STATUSES } from '../schema/tables.js';
import { CATEGORIES, LEAF_CATEGORY_IDS } from './categories.js';
import { RowRandom, permute } from './random.js';

/** Per-table stream ids, part of every row's seed. Never renumber them. */
const STREAM = { users: 1, products: 2, orders: 3, userFaker: 11, productFaker: 12 } as const;

/** The dataset is "as of" this instant; every date lies before it (deliveries may follow). */
export const AS_OF = Date.UTC(2025, 11, 31, 23, 59, 59);
const REGISTRATION_START = Date.UTC(2020, 0, 1);
const REGISTRATION_END = Date.UTC(2025, 5, 30);
const CATALOG_START = Date.UTC(2019, 0, 1);
const CATALOG_END = Date.UTC(2019, 11, 31);
const DAY = 86_400_000;

/** Order lines per order: 1 to 5, so line ids (order_id - 1) * 5 + 1 … + 5 never collide. */
export const MAX_LINES_PER_ORDER = 5;

export interface SeedSizes {
  readonly users: number;
  readonly products: number;
}

export interface UserRow {
  readonly userId: number;
  readonly firstName: string;
  readonly lastName: string;
  readonly email: string;
  readonly phone: string;
  readonly registrationDate: Date;
  readonly loyaltyStatus: (typeof LOYALTY_STATUSES)[number];
}

export interface ProductRow {
  readonly productId: number;
  readonly name: string;
  readonly description: string;
  readonly categoryId: number;
  readonly priceCents: number;
  readonly stockQuantity: number;
  readonly creationDate: Date;
}

export interface OrderLine {
  readonly orderDetailId: number;
  readonly orderId: number;
  readonly productId: number;
  readonly quantity: number;
  readonly pricePerUnitCents: number;
  readonly totalPriceCents: number;
}

export interface OrderRow {
  readonly orderId: number;
  readonly userId: number;
  readonly orderDate: Date;
  readonly totalAmountCents: number;
  readonly status: (typeof ORDER_STATUSES)[number];
  readonly deliveryDate: Date | null;
  readonly lines: readonly OrderLine[];
}

/** Loaded by the first generator: only seed and produce draw names and texts. */
const fakerEnglish = lazyModule<typeof FakerEnglish>('@faker-js/faker/locale/en', import.meta.url);

/** faker with the English locale only, drawing from a row-seeded stream. */
function seededFaker(): { faker: Faker; random: RowRandom } {
  const englishFaker = fakerEnglish().faker;
  const random = new RowRandom();
  const randomizer: Randomizer = { next: random.next, seed: () => {} };
  const FakerClass = englishFaker.constructor as typeof Faker;
  return { faker: new FakerClass({ locale: englishFaker.rawDefinitions, randomizer }), random };
}

/** How many product prices a generator remembers: a direct-mapped cache of 2^20 slots, 8 MB. */
const PRICE_SLOTS = 1 << 20;

const EMAIL_DOMAINS = ['example.com', 'example.net', 'example.org', 'mail.example', 'shop.example'];
const LOYALTY_MIX = [
  ['Gold', 8],
  ['Silver', 17],
  ['Bronze', 30],
  ['None', 45],
] as const satisfies readonly (readonly [UserRow['loyaltyStatus'], number])[];
const STATUS_MIX = [
  ['Completed', 60],
  ['Shipped', 12],
  ['Pending', 18],
  ['Cancelled', 10],
] as const satisfies readonly (readonly [OrderRow['status'], number])[];
const QUANTITY_MIX = [
  [1, 50],
  [2, 25],
  [3, 12],
  [4, 8],
  [5, 5],
] as const satisfies readonly (readonly [number, number])[];

const emailPart = (s: string): string =>
  s
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '');

/**
 * Generates rows for one seed. Holds a reusable faker and stream; not shared between
 * threads (make one per worker).
 */
export class ShopGenerator {
  private readonly random = new RowRandom();
  private readonly textFaker = seededFaker();
  /** Product prices by slot (productId mod PRICE_SLOTS), and the product each slot holds (0: none). */
  private priceOf: Int32Array | undefined;
  private priceFor: Int32Array | undefined;
  /** An order's draws for its lines, and the catalogue indexes it has used: reused, order after order. */
  private readonly picks = new Float64Array(3 * MAX_LINES_PER_ORDER);
  private readonly seen = new Float64Array(MAX_LINES_PER_ORDER);

  constructor(readonly seed: number) {}

  category(categoryId: number): (typeof CATEGORIES)[number] {
    const row = CATEGORIES[categoryId - 1];
    if (row === undefined) throw new RangeError(`no category ${categoryId}`);
    return row;
  }

  /** A user's registration date, alone: orders need it without the rest of the user. */
  registrationDate(userId: number): Date {
    const r = this.random.reseed([this.seed, STREAM.users, userId]);
    return new Date(REGISTRATION_START + Math.floor(r.next() * (REGISTRATION_END - REGISTRATION_START)));
  }

  user(userId: number): UserRow {
    const registrationDate = this.registrationDate(userId);
    const loyaltyStatus = this.random.weighted(LOYALTY_MIX);
    const { faker, random } = this.textFaker;
    random.reseed([this.seed, STREAM.userFaker, userId]);
    const sex = random.next() < 0.5 ? 'female' : 'male';
    const firstName = faker.person.firstName(sex);
    const lastName = faker.person.lastName();
    const domain = random.pick(EMAIL_DOMAINS);
    return {
      userId,
      firstName,
      lastName,
      // Unique by construction: the user id is part of the address.
      email: `${emailPart(firstName)}.${emailPart(lastName)}.${userId}@${domain}`,
      phone: faker.phone.number({ style: random.next() < 0.7 ? 'national' : 'international' }),
      registrationDate,
      loyaltyStatus,
    };
  }

  /** A product's price in cents, alone: order lines need it without the rest of the product. */
  priceCents(productId: number): number {
    // Every order line asks for its product's price: remembered, for up to PRICE_SLOTS products.
    if (this.priceOf === undefined || this.priceFor === undefined) {
      this.priceOf = new Int32Array(PRICE_SLOTS);
      this.priceFor = new Int32Array(PRICE_SLOTS);
    }
    const slot = productId & (PRICE_SLOTS - 1);
    if (this.priceFor[slot] === productId) return this.priceOf[slot]!;
    const cents = this.drawPrice(productId);
    this.priceFor[slot] = productId;
    this.priceOf[slot] = cents;
    return cents;
  }

  /** The price's draw: reseeds the stream, which product() goes on drawing from. */
  private drawPrice(productId: number): number {
    const r = this.random.reseed([this.seed, STREAM.products, productId]);
    // Log-uniform between $2 and $1000, ending in .99: many cheap things, few expensive ones.
    const dollars = Math.floor(Math.exp(Math.log(2) + r.next() * (Math.log(1000) - Math.log(2))));
    return dollars * 100 - 1;
  }

  product(productId: number): ProductRow {
    const priceCents = this.drawPrice(productId);
    const r = this.random;
    const categoryId = r.pick(LEAF_CATEGORY_IDS);
    const stockQuantity = r.next() < 0.05 ? 0 : r.int(1, 1000);
    const creationDate = new Date(CATALOG_START + Math.floor(r.next() * (CATALOG_END - CATALOG_START)));
    const { faker, random } = this.textFaker;
    random.reseed([this.seed, STREAM.productFaker, productId]);
    return {
      productId,
      name: faker.commerce.productName(),
      description: faker.commerce.productDescription(),
      categoryId,
      priceCents,
      stockQuantity,
      creationDate,
    };
  }

  order(orderId: number, sizes: SeedSizes): OrderRow {
    const { userId, status, placedAfter, deliveryDays, lines, totalAmountCents } = this.drawOrder(orderId, sizes);
    const registered = this.registrationDate(userId).getTime();
    const orderDate = new Date(registered + Math.floor(placedAfter * (AS_OF - registered)));
    const deliveryDate =
      status === 'Shipped' || status === 'Completed'
        ? new Date(orderDate.getTime() + DAY + Math.floor(deliveryDays * 9 * DAY))
        : null;
    return { orderId, userId, orderDate, totalAmountCents, status, deliveryDate, lines };
  }

  /** An order's lines alone, the same as order(orderId).lines without working out its dates. */
  orderLines(orderId: number, sizes: SeedSizes): readonly OrderLine[] {
    return this.drawOrder(orderId, sizes).lines;
  }

  /** Every draw of an order's stream, then its lines (pricing reseeds the stream, so draws come first). */
  private drawOrder(orderId: number, sizes: SeedSizes) {
    const r = this.random.reseed([this.seed, STREAM.orders, orderId]);
    // Some customers buy far more often than others.
    const userId = 1 + permute(Math.floor(sizes.users * r.next() ** 1.5), sizes.users);
    const status = r.weighted(STATUS_MIX);
    const lineCount = r.int(1, MAX_LINES_PER_ORDER);
    const placedAfter = r.next();
    const deliveryDays = r.next();
    const picks = this.picks;
    for (let k = 0; k < lineCount; k++) {
      picks[3 * k] = r.next();
      picks[3 * k + 1] = r.next();
      picks[3 * k + 2] = r.next();
    }

    const lines: OrderLine[] = [];
    const seen = this.seen;
    let seenCount = 0;
    let totalAmountCents = 0;
    // Popularity is skewed: 60% of picks go to the best-selling tenth of the catalogue, the
    // rest anywhere, so a small share sells most of the units without one product in every order.
    const bestSellers = Math.max(1, Math.ceil(sizes.products / 10));
    for (let k = 0; k < lineCount; k++) {
      let index = Math.floor(
        picks[3 * k]! < 0.6 ? bestSellers * picks[3 * k + 2]! : sizes.products * picks[3 * k + 2]!,
      );
      // A product appears once per order: step to the next one not in it yet, if any is left.
      let taken = seenIn(seen, seenCount, index);
      while (taken && seenCount < sizes.products) {
        index = (index + 1) % sizes.products;
        taken = seenIn(seen, seenCount, index);
      }
      if (taken) break;
      seen[seenCount++] = index;
      const productId = 1 + permute(index, sizes.products);
      const quantity = QUANTITY_MIX[weightedIndex(picks[3 * k + 1]!)]![0];
      const pricePerUnitCents = this.priceCents(productId);
      const totalPriceCents = quantity * pricePerUnitCents;
      totalAmountCents += totalPriceCents;
      lines.push({
        orderDetailId: (orderId - 1) * MAX_LINES_PER_ORDER + k + 1,
        orderId,
        productId,
        quantity,
        pricePerUnitCents,
        totalPriceCents,
      });
    }
    return { userId, status, placedAfter, deliveryDays, lines, totalAmountCents };
  }
}

/** Whether the first `count` entries of `seen` hold `index`. */
function seenIn(seen: Float64Array, count: number, index: number): boolean {
  for (let i = 0; i < count; i++) if (seen[i] === index) return true;
  return false;
}

const QUANTITY_CUMULATIVE = (() => {
  const total = QUANTITY_MIX.reduce((s, [, w]) => s + w, 0);
  let acc = 0;
  return QUANTITY_MIX.map(([, w]) => (acc += w / total));
})();

/** The quantity's index for a uniform draw u in [0, 1). */
function weightedIndex(u: number): number {
  for (let i = 0; i < QUANTITY_CUMULATIVE.length; i++) if (u < QUANTITY_CUMULATIVE[i]!) return i;
  return QUANTITY_CUMULATIVE.length - 1;
}

/** Cents as the exact decimal text PostgreSQL and MySQL read as numeric(…,2). */
export function centsToDecimal(cents: number): string {
  const sign = cents < 0 ? '-' : '';
  const abs = Math.abs(cents);
  const units = Math.floor(abs / 100);
  const rest = abs % 100;
  return `${sign}${units}.${rest < 10 ? '0' : ''}${rest}`;
}
