-- One row per product; zeros for products never sold.
SELECT p.product_id, p.name AS product_name, c.name AS category_name,
       COALESCE(s.orders_count, 0) AS orders_count,
       CAST(COALESCE(s.units_sold, 0) AS SIGNED) AS units_sold,
       COALESCE(s.revenue, 0) AS revenue
  FROM {{ source('products') }} p
  LEFT JOIN {{ source('productcategories') }} c ON c.category_id = p.category_id
  LEFT JOIN (SELECT d.product_id, COUNT(DISTINCT d.order_id) AS orders_count, SUM(d.quantity) AS units_sold,
                    SUM(d.total_price) AS revenue
               FROM {{ source('orderdetails') }} d
               JOIN {{ source('orders') }} o ON o.order_id = d.order_id
              WHERE o.status <> 'Cancelled'
              GROUP BY d.product_id) s ON s.product_id = p.product_id
