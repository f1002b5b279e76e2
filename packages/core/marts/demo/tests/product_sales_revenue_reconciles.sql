-- The mart's revenue against the non-cancelled order lines' total_price.
SELECT m.total AS mart_revenue, r.total AS lines_revenue
  FROM (SELECT COALESCE(SUM(revenue), 0) AS total FROM {{ ref('product_sales_analytics') }}) m,
       (SELECT COALESCE(SUM(d.total_price), 0) AS total FROM {{ source('orderdetails') }} d
          JOIN {{ source('orders') }} o ON o.order_id = d.order_id WHERE o.status <> 'Cancelled') r
 WHERE m.total <> r.total
