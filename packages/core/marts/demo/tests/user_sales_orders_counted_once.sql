-- The mart's orders against the non-cancelled orders of known users, each counted once.
SELECT m.total AS mart_orders, r.total AS orders
  FROM (SELECT COALESCE(SUM(orders_count), 0) AS total FROM {{ ref('user_sales_analytics') }}) m,
       (SELECT COUNT(*) AS total FROM {{ source('orders') }} o JOIN {{ source('users') }} u ON u.user_id = o.user_id
         WHERE o.status <> 'Cancelled') r
 WHERE m.total <> r.total
