/**
 * The data model of DESIGN.md as data: every source table, its columns in load order, its
 * primary key. Jobs use these definitions for column lists (COPY, LOAD DATA, checksums);
 * the migrations in connectors create the same tables, and an integration test checks that
 * both databases agree with what is written here.
 */

export type ColumnType =
  | { kind: 'integer' }
  | { kind: 'bigint' }
  | { kind: 'varchar'; length: number }
  | { kind: 'text' }
  | { kind: 'numeric'; precision: number; scale: number }
  | { kind: 'timestamptz' }
  | { kind: 'uuid' }
  | { kind: 'inet' }
  | { kind: 'jsonb' }
  | { kind: 'bytea' };

export interface ColumnDef {
  readonly name: string;
  readonly type: ColumnType;
  readonly nullable: boolean;
}

export interface TableDef {
  readonly name: string;
  readonly columns: readonly ColumnDef[];
  readonly primaryKey: readonly string[];
  /** Replicated to MySQL by `etl replicate`. */
  readonly replicated: boolean;
}

const integer = { kind: 'integer' } as const;
const bigint = { kind: 'bigint' } as const;
const text = { kind: 'text' } as const;
const timestamptz = { kind: 'timestamptz' } as const;
const varchar = (length: number): ColumnType => ({ kind: 'varchar', length });
const numeric = (precision: number, scale: number): ColumnType => ({ kind: 'numeric', precision, scale });

const col = (name: string, type: ColumnType, nullable = false): ColumnDef => ({ name, type, nullable });
const updatedAt = col('updated_at', timestamptz);

export const LOYALTY_STATUSES = ['Gold', 'Silver', 'Bronze', 'None'] as const;
export const ORDER_STATUSES = ['Pending', 'Shipped', 'Completed', 'Cancelled'] as const;

export const TABLES = {
  productcategories: {
    name: 'productcategories',
    columns: [
      col('category_id', integer),
      col('name', varchar(100)),
      col('parent_category_id', integer, true),
      updatedAt,
    ],
    primaryKey: ['category_id'],
    replicated: true,
  },
  users: {
    name: 'users',
    columns: [
      col('user_id', integer),
      col('first_name', varchar(100)),
      col('last_name', varchar(100)),
      col('email', varchar(255)),
      col('phone', varchar(40), true),
      col('registration_date', timestamptz),
      col('loyalty_status', varchar(10)),
      updatedAt,
    ],
    primaryKey: ['user_id'],
    replicated: true,
  },
  products: {
    name: 'products',
    columns: [
      col('product_id', integer),
      col('name', varchar(255)),
      col('description', text, true),
      col('category_id', integer),
      col('price', numeric(10, 2)),
      col('stock_quantity', integer),
      col('creation_date', timestamptz),
      updatedAt,
    ],
    primaryKey: ['product_id'],
    replicated: true,
  },
  orders: {
    name: 'orders',
    columns: [
      col('order_id', integer),
      col('user_id', integer),
      col('order_date', timestamptz),
      col('total_amount', numeric(12, 2)),
      col('status', varchar(10)),
      col('delivery_date', timestamptz, true),
      updatedAt,
    ],
    primaryKey: ['order_id'],
    replicated: true,
  },
  orderdetails: {
    name: 'orderdetails',
    columns: [
      col('order_detail_id', bigint),
      col('order_id', integer),
      col('product_id', integer),
      col('quantity', integer),
      col('price_per_unit', numeric(10, 2)),
      col('total_price', numeric(12, 2)),
      updatedAt,
    ],
    primaryKey: ['order_detail_id'],
    replicated: true,
  },
  kafka_events: {
    name: 'kafka_events',
    columns: [
      col('topic', varchar(249)),
      col('partition', integer),
      col('offset', bigint),
      col('event_id', { kind: 'uuid' }),
      col('event_type', varchar(20)),
      col('user_id', integer),
      col('occurred_at', timestamptz),
      col('page_url', text),
      col('ip_address', { kind: 'inet' }),
      col('product_id', integer, true),
      col('payload', { kind: 'jsonb' }),
      col('ingested_at', timestamptz),
      updatedAt,
    ],
    primaryKey: ['topic', 'partition', 'offset'],
    replicated: true,
  },
  kafka_events_dlq: {
    name: 'kafka_events_dlq',
    columns: [
      col('topic', varchar(249)),
      col('partition', integer),
      col('offset', bigint),
      col('key', { kind: 'bytea' }, true),
      col('value', { kind: 'bytea' }, true),
      col('reason', text),
      col('failed_at', timestamptz),
      updatedAt,
    ],
    primaryKey: ['topic', 'partition', 'offset'],
    replicated: false,
  },
} as const satisfies Record<string, TableDef>;

export type TableName = keyof typeof TABLES;

/** Source tables in foreign-key order: parents before children. */
export const SOURCE_TABLES: readonly TableName[] = [
  'productcategories',
  'users',
  'products',
  'orders',
  'orderdetails',
  'kafka_events',
  'kafka_events_dlq',
];

/** Tables that `etl replicate` copies to MySQL, in foreign-key order. */
export const REPLICATED_TABLES: readonly TableName[] = SOURCE_TABLES.filter((t) => TABLES[t].replicated);

export function isTableName(name: string): name is TableName {
  return Object.hasOwn(TABLES, name);
}
