/**
 * Generated rows as COPY text (orders and their lines as binary COPY tuples), in the column
 * order of core's table definitions. updated_at is left out: the database stamps it.
 */
import type { CopyBinaryWriter } from '../copy-binary.js';
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

/** An order as a binary COPY tuple, in the order of seedColumns('orders'). */
export function orderBinary(w: CopyBinaryWriter, o: OrderRow): void {
  w.row(6).int4(o.orderId).int4(o.userId).timestamptz(o.orderDate.getTime()).cents(o.totalAmountCents);
  w.text(o.status);
  if (o.deliveryDate === null) w.null();
  else w.timestamptz(o.deliveryDate.getTime());
}

/** An order line as a binary COPY tuple, in the order of seedColumns('orderdetails'). */
export function orderLineBinary(w: CopyBinaryWriter, l: OrderLine): void {
  w.row(6).int8(l.orderDetailId).int4(l.orderId).int4(l.productId).int4(l.quantity);
  w.cents(l.pricePerUnitCents).cents(l.totalPriceCents);
}
