import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { binaryChunks } from './job.js';
import { CATEGORIES, LEAF_CATEGORY_IDS } from './categories.js';
import { AS_OF, MAX_LINES_PER_ORDER, ShopGenerator, centsToDecimal } from './generators.js';
import { RowRandom, hashInts, permute } from './random.js';
import { orderBinary, orderLineBinary, productCopy, userCopy } from './rows.js';

const sizes = { users: 500, products: 120 };

describe('row generation is a pure function of (seed, table, id)', () => {
  it('gives the same row whatever was generated before it, and on another generator', () => {
    const a = new ShopGenerator(7);
    const b = new ShopGenerator(7);
    for (let i = 1; i <= 50; i++) {
      b.user(i);
      b.product(i);
      b.order(i, sizes);
    }
    expect(userCopy(a.user(42))).toBe(userCopy(b.user(42)));
    expect(productCopy(a.product(17))).toBe(productCopy(b.product(17)));
    // The whole order, its instants and every line.
    expect(a.order(99, sizes)).toEqual(b.order(99, sizes));
  });
  it('gives the rows earlier versions gave: a database seeded by an older etl grows with the same rows', () => {
    // sha256 of 20,000 orders and their lines (binary COPY), 2,000 users and 500 products
    // (COPY text), as etl has written them since the binary orders; any change of a byte fails.
    const digest = (seed: number, shop: { users: number; products: number }): string => {
      const g = new ShopGenerator(seed);
      const hash = createHash('sha256');
      const ids = Array.from({ length: 20_000 }, (_, i) => i + 1);
      for (const c of binaryChunks(ids, (w, id) => orderBinary(w, g.order(id, shop)))) hash.update(c);
      for (const c of binaryChunks(ids, (w, id) => g.orderLines(id, shop).forEach((l) => orderLineBinary(w, l))))
        hash.update(c);
      for (let i = 1; i <= 2000; i++) hash.update(userCopy(g.user(i)));
      for (let i = 1; i <= 500; i++) hash.update(productCopy(g.product(i)));
      return hash.digest('hex');
    };
    expect(digest(42, { users: 100_000, products: 10_000 })).toBe(
      '6dfca5129ad4af505170b4eaf89404dab24c3944b8eb3fe089bad31f17793ad4',
    );
    expect(digest(7, { users: 1000, products: 3 })).toBe(
      '338c780522fc59629e083e52660e3627a71f41239fe71239b3229532776bab2e',
    );
    expect(digest(2 ** 40 + 3, { users: 7, products: 1 })).toBe(
      '8ba12080fd5acb4067a0514a6c71d0059bdd0ef4005aa68b285adb7fa4f46a42',
    );
  });
  it('prices a product the same whether its price was remembered or pushed out by another', () => {
    // Products 5 and 5 + 2^20 share a slot of the price cache.
    const g = new ShopGenerator(3);
    const first = g.priceCents(5);
    const other = g.priceCents(5 + 2 ** 20);
    expect(g.priceCents(5)).toBe(first);
    expect(new ShopGenerator(3).priceCents(5 + 2 ** 20)).toBe(other);
    expect(g.product(5).priceCents).toBe(first);
  });
  it('changes with the seed', () => {
    expect(userCopy(new ShopGenerator(1).user(5))).not.toBe(userCopy(new ShopGenerator(2).user(5)));
  });
  it('handles seeds beyond 32 bits', () => {
    expect(hashInts([2 ** 40])).not.toBe(hashInts([0]));
    expect(userCopy(new ShopGenerator(2 ** 40).user(1))).not.toBe(userCopy(new ShopGenerator(0).user(1)));
  });
});

describe('users', () => {
  const gen = new ShopGenerator(42);
  const users = Array.from({ length: 2000 }, (_, i) => gen.user(i + 1));
  it('have unique, plausible emails by construction', () => {
    expect(new Set(users.map((u) => u.email)).size).toBe(users.length);
    for (const u of users) expect(u.email).toMatch(/^[a-z0-9]+\.[a-z0-9]+\.\d+@[a-z.]+$/);
  });
  it('registered over past years, before the as-of date', () => {
    const years = new Set(users.map((u) => u.registrationDate.getUTCFullYear()));
    expect(years.size).toBeGreaterThanOrEqual(5);
    for (const u of users) expect(u.registrationDate.getTime()).toBeLessThan(AS_OF);
  });
  it('have a believable loyalty mix, most with none and few Gold', () => {
    const share = (s: string) => users.filter((u) => u.loyaltyStatus === s).length / users.length;
    expect(share('None')).toBeGreaterThan(0.35);
    expect(share('Gold')).toBeLessThan(0.15);
    expect(share('Gold')).toBeGreaterThan(0.03);
    expect(share('Silver') + share('Bronze')).toBeGreaterThan(0.35);
  });
  it('have phone numbers and names', () => {
    for (const u of users.slice(0, 100)) {
      expect(u.phone).toMatch(/\d{3}/);
      expect(u.firstName.length).toBeGreaterThan(1);
    }
  });
});

describe('products', () => {
  const gen = new ShopGenerator(42);
  const products = Array.from({ length: 1000 }, (_, i) => gen.product(i + 1));
  it('cost between $1.99 and $999.99 in whole cents, mostly cheap', () => {
    for (const p of products) {
      expect(Number.isInteger(p.priceCents)).toBe(true);
      expect(p.priceCents).toBeGreaterThanOrEqual(199);
      expect(p.priceCents).toBeLessThanOrEqual(99_999);
    }
    const cheap = products.filter((p) => p.priceCents < 5000).length;
    expect(cheap).toBeGreaterThan(products.length / 3);
  });
  it('belong to subcategories and have stock', () => {
    for (const p of products) {
      expect(LEAF_CATEGORY_IDS).toContain(p.categoryId);
      expect(p.stockQuantity).toBeGreaterThanOrEqual(0);
      expect(p.description.length).toBeGreaterThan(10);
    }
  });
});

describe('orders', () => {
  const gen = new ShopGenerator(42);
  const orders = Array.from({ length: 5000 }, (_, i) => gen.order(i + 1, sizes));
  it(
    'are placed after the user registered, and delivered only when shipped or completed, never before the ' + 'order',
    () => {
      for (const o of orders) {
        expect(o.userId).toBeGreaterThanOrEqual(1);
        expect(o.userId).toBeLessThanOrEqual(sizes.users);
        expect(o.orderDate.getTime()).toBeGreaterThanOrEqual(gen.registrationDate(o.userId).getTime());
        expect(o.orderDate.getTime()).toBeLessThanOrEqual(AS_OF);
        if (o.status === 'Shipped' || o.status === 'Completed') {
          expect(o.deliveryDate?.getTime()).toBeGreaterThan(o.orderDate.getTime());
        } else {
          expect(o.deliveryDate).toBeNull();
        }
      }
    },
  );
  it('total the sum of their lines, each quantity × the product price', () => {
    for (const o of orders) {
      expect(o.lines.length).toBeGreaterThanOrEqual(1);
      expect(o.lines.length).toBeLessThanOrEqual(MAX_LINES_PER_ORDER);
      expect(o.totalAmountCents).toBe(o.lines.reduce((s, l) => s + l.totalPriceCents, 0));
      for (const l of o.lines) {
        expect(l.quantity).toBeGreaterThanOrEqual(1);
        expect(l.quantity).toBeLessThanOrEqual(5);
        expect(l.pricePerUnitCents).toBe(gen.priceCents(l.productId));
        expect(l.totalPriceCents).toBe(l.quantity * l.pricePerUnitCents);
      }
      expect(new Set(o.lines.map((l) => l.productId)).size).toBe(o.lines.length);
    }
  });
  it('have line ids unique across orders', () => {
    const ids = orders.flatMap((o) => o.lines.map((l) => l.orderDetailId));
    expect(new Set(ids).size).toBe(ids.length);
  });
  it('average about three lines, with every status present', () => {
    const lines = orders.reduce((s, o) => s + o.lines.length, 0);
    expect(lines / orders.length).toBeGreaterThan(2.7);
    expect(lines / orders.length).toBeLessThan(3.3);
    expect(new Set(orders.map((o) => o.status))).toEqual(new Set(['Pending', 'Shipped', 'Completed', 'Cancelled']));
  });
  it('sell most units through a small share of the products', () => {
    const units = new Map<number, number>();
    for (const l of orders.flatMap((o) => o.lines)) units.set(l.productId, (units.get(l.productId) ?? 0) + l.quantity);
    const sorted = [...units.values()].sort((a, b) => b - a);
    const total = sorted.reduce((s, n) => s + n, 0);
    const top = sorted.slice(0, Math.ceil(sizes.products * 0.2)).reduce((s, n) => s + n, 0);
    expect(top / total).toBeGreaterThan(0.5);
    // …yet no single product is in a large share of the orders.
    const best = Math.max(
      ...[...new Set(orders.flatMap((o) => o.lines.map((l) => l.productId)))].map(
        (p) => orders.filter((o) => o.lines.some((l) => l.productId === p)).length,
      ),
    );
    expect(best / orders.length).toBeLessThan(0.2);
  });
  it('copes with a single product', () => {
    const o = new ShopGenerator(1).order(3, { users: 1, products: 1 });
    expect(o.lines.length).toBe(1);
    expect(o.lines[0]?.productId).toBe(1);
  });
});

describe('helpers', () => {
  it('permute is a bijection', () => {
    for (const n of [1, 2, 7, 100, 7919, 10_000]) {
      const seen = new Set(Array.from({ length: n }, (_, i) => permute(i, n)));
      expect(seen.size).toBe(n);
    }
  });
  it('RowRandom stays in range', () => {
    const r = new RowRandom().reseed([1, 2, 3]);
    for (let i = 0; i < 1000; i++) {
      const x = r.int(3, 5);
      expect(x).toBeGreaterThanOrEqual(3);
      expect(x).toBeLessThanOrEqual(5);
    }
  });
  it('centsToDecimal writes exact two-decimal text', () => {
    expect(centsToDecimal(0)).toBe('0.00');
    expect(centsToDecimal(5)).toBe('0.05');
    expect(centsToDecimal(123456)).toBe('1234.56');
    expect(centsToDecimal(-101)).toBe('-1.01');
  });
  it('has a category tree of departments and subcategories with unique names', () => {
    expect(new Set(CATEGORIES.map((c) => c.name)).size).toBe(CATEGORIES.length);
    for (const c of CATEGORIES) if (c.parentCategoryId !== null) expect(c.parentCategoryId).toBeLessThan(c.categoryId);
  });
});
