SELECT m.total AS mart_orders, r.total AS orders
  FROM (SELECT COALESCE(SUM(orders_count), 0) AS total FROM {{ ref('sales_daily') }}) m,
       (SELECT COUNT(*) AS total FROM {{ source('orders') }} o WHERE o.status <> 'Cancelled') r
 WHERE m.total <> r.total
