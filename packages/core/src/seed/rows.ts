/**
 * Generated rows as COPY text, in the column order of core's table definitions. updated_at is
 * left out: the database stamps it.
 */
import { encodeCopyRow } from '../copy-text.js';
import { TABLES, type TableName } from '../schema/tables.js';
import { centsToDecimal, type OrderLine, type OrderRow, type ProductRow, type UserRow } from './generators.js';
import type { CategoryRow } from './categories.js';

export type SeedTable = 'productcategories' | 'users' | 'products' | 'orders' | 'orderdetails';

/** The columns a seeder writes: all but updated_at. */
export function seedColumns(table: TableName): string[] {
  return TABLES[table].columns.map((c) => c.name).filter((name) => name !== 'updated_at');
}

export const categoryCopy = (c: CategoryRow): string => encodeCopyRow([c.categoryId, c.name, c.parentCategoryId]);

export const userCopy = (u: UserRow): string =>
  encodeCopyRow([u.userId, u.firstName, u.lastName, u.email, u.phone, u.registrationDate, u.loyaltyStatus]);

export const productCopy = (p: ProductRow): string =>
  encodeCopyRow([
    p.productId,
    p.name,
    p.description,
    p.categoryId,
    centsToDecimal(p.priceCents),
    p.stockQuantity,
    p.creationDate,
  ]);

export const orderCopy = (o: OrderRow): string =>
  encodeCopyRow([o.orderId, o.userId, o.orderDate, centsToDecimal(o.totalAmountCents), o.status, o.deliveryDate]);

export const orderLineCopy = (l: OrderLine): string =>
  encodeCopyRow([
    l.orderDetailId,
    l.orderId,
    l.productId,
    l.quantity,
    centsToDecimal(l.pricePerUnitCents),
    centsToDecimal(l.totalPriceCents),
  ]);
