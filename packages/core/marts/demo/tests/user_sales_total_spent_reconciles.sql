-- The mart's total_spent against the non-cancelled orders' total_amount.
SELECT m.total AS mart_total, r.total AS orders_total
  FROM (SELECT COALESCE(SUM(total_spent), 0) AS total FROM {{ ref('user_sales_analytics') }}) m,
       (SELECT COALESCE(SUM(o.total_amount), 0) AS total FROM {{ source('orders') }} o
         WHERE o.status <> 'Cancelled') r
 WHERE m.total <> r.total
