import { describe, expect, it } from 'vitest';
import { mergesInOrder } from './seed-store.js';

describe('mergesInOrder', () => {
  const ascending = new Map([
    ['orders', new Set(['order_id'])],
    ['orderdetails', new Set(['order_detail_id', 'order_id'])],
  ]);
  const fk = (table: string, column: string | null, refTable: string, refColumn: string | null) => ({
    table,
    column,
    refTable,
    refColumn,
  });

  it('merges a key whose two columns both arrived in ascending order', () => {
    expect(mergesInOrder(fk('orderdetails', 'order_id', 'orders', 'order_id'), ascending)).toBe(true);
  });

  it('hashes when either side is in no known order, or is not one column', () => {
    // product_id comes in random order; products were loaded by another transaction.
    expect(mergesInOrder(fk('orderdetails', 'product_id', 'products', 'product_id'), ascending)).toBe(false);
    // users were not loaded in this transaction: nothing is known of their order.
    expect(mergesInOrder(fk('orders', 'user_id', 'users', 'user_id'), ascending)).toBe(false);
    expect(mergesInOrder(fk('orderdetails', 'order_id', 'users', 'user_id'), ascending)).toBe(false);
    expect(mergesInOrder(fk('orderdetails', null, 'orders', null), ascending)).toBe(false);
    expect(mergesInOrder(fk('orderdetails', 'order_id', 'orders', 'order_id'), new Map())).toBe(false);
  });
});
