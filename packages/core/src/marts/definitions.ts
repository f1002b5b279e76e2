/**
 * The analytics marts, as data: grain, columns with descriptions, the SQL that fills a stage
 * table from the MySQL replicas (one INSERT … SELECT, all work in the database), the data tests
 * that must pass before the stage replaces the live mart, and the marts it depends on.
 * The SQL runs on MySQL 8.4 and MariaDB 10.11 alike. `{{stage}}` names the stage table.
 *
 * Orders count once per order (COUNT(DISTINCT order_id)); Cancelled orders count nowhere.
 */

export interface MartColumn {
  readonly name: string;
  /** MySQL column type. */
  readonly type: string;
  readonly description: string;
}

export type MartTest =
  | {
      readonly name: string;
      /** A query returning one number: how many things are wrong (0 passes). `{{stage}}` is the stage. */
      readonly sql: string;
    }
  | {
      readonly name: string;
      /** A query returning one value of the stage… */
      readonly sql: string;
      /** …that must equal this fact of the replicas (computed once per run, shared by all marts). */
      readonly equals: FactName;
    };

export interface MartDefinition {
  readonly name: string;
  readonly description: string;
  readonly grain: readonly string[];
  readonly columns: readonly MartColumn[];
  /** SELECT producing the columns in order, from the replicas. */
  readonly select: string;
  readonly tests: readonly MartTest[];
  readonly dependsOn: readonly string[];
  /** The measure `etl marts show` charts and sorts by, and the label of each bar. */
  readonly chart?: { readonly measure: string; readonly label: string };
  /** Replica tables the mart reads; each must exist and hold rows. */
  readonly reads: readonly string[];
}

const NOT_CANCELLED = `o.status <> 'Cancelled'`;
const DIGITS =
  `(SELECT 0 AS d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ` +
  `ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9)`;
/**
 * Facts of the replicas the marts must reconcile with. Each is computed once per `etl marts`
 * run, however many marts check against it.
 */
export const FACTS = {
  linesRevenue:
    `SELECT COALESCE(SUM(d.total_price), 0) FROM orderdetails d JOIN orders o ON o.order_id = ` +
    `d.order_id WHERE ${NOT_CANCELLED}`,
  ordersTotal: `SELECT COALESCE(SUM(o.total_amount), 0) FROM orders o WHERE ${NOT_CANCELLED}`,
  ordersCount: `SELECT COUNT(*) FROM orders o WHERE ${NOT_CANCELLED}`,
  ordersOfKnownUsers: `SELECT COUNT(*) FROM orders o JOIN users u ON u.user_id = o.user_id WHERE ${NOT_CANCELLED}`,
} as const;
export type FactName = keyof typeof FACTS;

/** Tests every mart gets: the grain is unique and never null. */
function grainTests(grain: readonly string[]): MartTest[] {
  const cols = grain.map((g) => `\`${g}\``).join(', ');
  return [
    { name: 'grain is unique', sql: `SELECT COUNT(*) - COUNT(DISTINCT ${cols}) FROM {{stage}}` },
    {
      name: 'keys are not null',
      sql: `SELECT COUNT(*) FROM {{stage}} WHERE ${grain.map((g) => `\`${g}\` IS NULL`).join(' OR ')}`,
    },
  ];
}

const money = (name: string, description: string): MartColumn => ({
  name,
  type: 'decimal(16,2) NOT NULL',
  description,
});
const count = (name: string, description: string): MartColumn => ({ name, type: 'bigint NOT NULL', description });

export const MARTS: readonly MartDefinition[] = [
  {
    name: 'user_sales_analytics',
    description:
      'One row per user, with what they bought (Cancelled orders excluded); zeros for users who bought nothing.',
    grain: ['user_id'],
    reads: ['users', 'orders'],
    columns: [
      { name: 'user_id', type: 'int NOT NULL', description: 'The user.' },
      { name: 'first_name', type: 'varchar(100) NOT NULL', description: 'First name.' },
      { name: 'last_name', type: 'varchar(100) NOT NULL', description: 'Last name.' },
      {
        name: 'email',
        type: 'varchar(255) NOT NULL',
        description: 'Email (as replicated: normalised, possibly masked).',
      },
      { name: 'loyalty_status', type: 'varchar(10) NOT NULL', description: 'Gold, Silver, Bronze or None.' },
      count('orders_count', 'Distinct non-cancelled orders.'),
      money('total_spent', 'Sum of orders.total_amount over those orders.'),
      money('avg_order_value', 'total_spent / orders_count, rounded to cents; 0 without orders.'),
      { name: 'first_order_date', type: 'datetime(6) NULL', description: 'First non-cancelled order (UTC).' },
      { name: 'last_order_date', type: 'datetime(6) NULL', description: 'Last non-cancelled order (UTC).' },
    ],
    select: `SELECT u.user_id, u.first_name, u.last_name, u.email, u.loyalty_status,
       COALESCE(s.orders_count, 0), COALESCE(s.total_spent, 0),
       COALESCE(ROUND(s.total_spent / s.orders_count, 2), 0),
       s.first_order_date, s.last_order_date
  FROM users u
  LEFT JOIN (SELECT o.user_id, COUNT(DISTINCT o.order_id) AS orders_count, SUM(o.total_amount) AS total_spent,
                    MIN(o.order_date) AS first_order_date, MAX(o.order_date) AS last_order_date
               FROM orders o WHERE ${NOT_CANCELLED} GROUP BY o.user_id) s ON s.user_id = u.user_id`,
    tests: [
      ...grainTests(['user_id']),
      { name: 'every user present', sql: `SELECT (SELECT COUNT(*) FROM users) - (SELECT COUNT(*) FROM {{stage}})` },
      {
        name: 'total_spent reconciles with non-cancelled orders',
        sql: `SELECT COALESCE(SUM(total_spent), 0) FROM {{stage}}`,
        equals: 'ordersTotal',
      },
      {
        name: 'orders counted once each',
        sql: `SELECT COALESCE(SUM(orders_count), 0) FROM {{stage}}`,
        equals: 'ordersOfKnownUsers',
      },
      { name: 'no negative amounts', sql: `SELECT COUNT(*) FROM {{stage}} WHERE total_spent < 0 OR orders_count < 0` },
    ],
    dependsOn: [],
    chart: { measure: 'total_spent', label: 'email' },
  },
  {
    name: 'product_sales_analytics',
    description:
      'One row per product: orders containing it, units sold and revenue (Cancelled orders excluded); zeros for ' +
      'products never sold.',
    grain: ['product_id'],
    reads: ['products', 'productcategories', 'orders', 'orderdetails'],
    columns: [
      { name: 'product_id', type: 'int NOT NULL', description: 'The product.' },
      { name: 'product_name', type: 'varchar(255) NOT NULL', description: 'Product name.' },
      { name: 'category_name', type: 'varchar(100) NULL', description: 'Its category.' },
      count('orders_count', 'Distinct non-cancelled orders containing it.'),
      count('units_sold', 'Sum of quantity.'),
      money('revenue', 'Sum of total_price.'),
    ],
    select: `SELECT p.product_id, p.name, c.name, COALESCE(s.orders_count, 0), COALESCE(s.units_sold, 0),
      COALESCE(s.revenue, 0)
  FROM products p
  LEFT JOIN productcategories c ON c.category_id = p.category_id
  LEFT JOIN (SELECT d.product_id, COUNT(DISTINCT d.order_id) AS orders_count, SUM(d.quantity) AS units_sold,
    SUM(d.total_price) AS revenue
               FROM orderdetails d JOIN orders o ON o.order_id = d.order_id
              WHERE ${NOT_CANCELLED} GROUP BY d.product_id) s ON s.product_id = p.product_id`,
    tests: [
      ...grainTests(['product_id']),
      {
        name: 'every product present',
        sql: `SELECT (SELECT COUNT(*) FROM products) - (SELECT COUNT(*) FROM {{stage}})`,
      },
      {
        name: 'revenue reconciles with order lines',
        sql: `SELECT COALESCE(SUM(revenue), 0) FROM {{stage}}`,
        equals: 'linesRevenue',
      },
      { name: 'no negative amounts', sql: `SELECT COUNT(*) FROM {{stage}} WHERE revenue < 0 OR units_sold < 0` },
    ],
    dependsOn: [],
    chart: { measure: 'revenue', label: 'product_name' },
  },
  {
    name: 'sales_daily',
    description:
      'One row per calendar day (UTC) from the first order to the last, with zeros on days without sales ' +
      '(Cancelled orders excluded).',
    grain: ['day'],
    reads: ['orders', 'orderdetails'],
    columns: [
      { name: 'day', type: 'date NOT NULL', description: 'Calendar day, UTC.' },
      count('orders_count', 'Distinct non-cancelled orders placed that day.'),
      count('units_sold', 'Units in them.'),
      money('revenue', 'Sum of their lines’ total_price.'),
      count('customers', 'Distinct users who ordered that day.'),
    ],
    // A calendar from 0…99,999 days built from digits: no recursive CTE limits on either server.
    select: `SELECT cal.day, COALESCE(o.orders_count, 0), COALESCE(l.units_sold, 0), COALESCE(l.revenue, 0),
      COALESCE(o.customers, 0)
  FROM (SELECT DATE_ADD(b.first_day, INTERVAL n.n DAY) AS day
          FROM (SELECT DATE(MIN(o.order_date)) AS first_day, DATEDIFF(MAX(o.order_date), MIN(o.order_date)) AS span
                  FROM orders o WHERE ${NOT_CANCELLED}) b
          JOIN (SELECT d0.d + 10 * d1.d + 100 * d2.d + 1000 * d3.d + 10000 * d4.d AS n
                  FROM ${DIGITS} d0, ${DIGITS} d1, ${DIGITS} d2, ${DIGITS} d3, ${DIGITS} d4) n
            ON n.n <= b.span) cal
  LEFT JOIN (SELECT DATE(o.order_date) AS day, COUNT(DISTINCT o.order_id) AS orders_count,
    COUNT(DISTINCT o.user_id) AS customers
               FROM orders o WHERE ${NOT_CANCELLED} GROUP BY DATE(o.order_date)) o ON o.day = cal.day
  LEFT JOIN (SELECT DATE(o.order_date) AS day, SUM(d.quantity) AS units_sold, SUM(d.total_price) AS revenue
               FROM orders o JOIN orderdetails d ON d.order_id = o.order_id
              WHERE ${NOT_CANCELLED} GROUP BY DATE(o.order_date)) l ON l.day = cal.day`,
    tests: [
      ...grainTests(['day']),
      {
        name: 'revenue reconciles with order lines',
        sql: `SELECT COALESCE(SUM(revenue), 0) FROM {{stage}}`,
        equals: 'linesRevenue',
      },
      {
        name: 'orders counted once each',
        sql: `SELECT COALESCE(SUM(orders_count), 0) FROM {{stage}}`,
        equals: 'ordersCount',
      },
      {
        name: 'no missing days',
        sql: `SELECT COUNT(*) - (DATEDIFF(MAX(day), MIN(day)) + 1) FROM {{stage}} HAVING COUNT(*) > 0`,
      },
    ],
    dependsOn: [],
    chart: { measure: 'revenue', label: 'day' },
  },
  {
    name: 'category_sales',
    description:
      'One row per category (its own products), with its parent’s name; zeros where nothing was sold (Cancelled ' +
      'orders excluded).',
    grain: ['category_id'],
    reads: ['productcategories', 'products', 'orders', 'orderdetails'],
    columns: [
      { name: 'category_id', type: 'int NOT NULL', description: 'The category.' },
      { name: 'category_name', type: 'varchar(100) NOT NULL', description: 'Its name.' },
      {
        name: 'parent_category_name',
        type: 'varchar(100) NULL',
        description: 'Its parent’s name; NULL for top-level departments.',
      },
      count('orders_count', 'Distinct non-cancelled orders with a product of this category.'),
      count('units_sold', 'Units of its products sold.'),
      money('revenue', 'Sum of total_price of those lines.'),
    ],
    // STRAIGHT_JOIN: the lines in one pass, each looking up its order and product. MariaDB
    // otherwise walked the products and fetched each one's lines through product_id: 3M random
    // reads of orderdetails, 200 s at 1M orders with a 128 MB buffer pool, against 6.7 s.
    select: `SELECT c.category_id, c.name, parent.name, COALESCE(s.orders_count, 0), COALESCE(s.units_sold, 0),
      COALESCE(s.revenue, 0)
  FROM productcategories c
  LEFT JOIN productcategories parent ON parent.category_id = c.parent_category_id
  LEFT JOIN (SELECT STRAIGHT_JOIN p.category_id, COUNT(DISTINCT d.order_id) AS orders_count,
    SUM(d.quantity) AS units_sold, SUM(d.total_price) AS revenue
               FROM orderdetails d JOIN orders o ON o.order_id = d.order_id
                 JOIN products p ON p.product_id = d.product_id
              WHERE ${NOT_CANCELLED} GROUP BY p.category_id) s ON s.category_id = c.category_id`,
    tests: [
      ...grainTests(['category_id']),
      {
        name: 'every category present',
        sql: `SELECT (SELECT COUNT(*) FROM productcategories) - (SELECT COUNT(*) FROM {{stage}})`,
      },
      {
        name: 'revenue reconciles with order lines',
        sql: `SELECT COALESCE(SUM(revenue), 0) FROM {{stage}}`,
        equals: 'linesRevenue',
      },
    ],
    dependsOn: [],
    chart: { measure: 'revenue', label: 'category_name' },
  },
];
