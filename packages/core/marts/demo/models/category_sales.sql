-- One row per category (its own products), with its parent's name; zeros where nothing was sold.
SELECT c.category_id, c.name AS category_name, parent.name AS parent_category_name,
       COALESCE(s.orders_count, 0) AS orders_count,
       CAST(COALESCE(s.units_sold, 0) AS SIGNED) AS units_sold,
       COALESCE(s.revenue, 0) AS revenue
  FROM {{ source('productcategories') }} c
  LEFT JOIN {{ source('productcategories') }} parent ON parent.category_id = c.parent_category_id
  -- STRAIGHT_JOIN: the lines in one pass, each looking up its order and product. MariaDB
  -- otherwise walked the products and fetched each one's lines through product_id: 3M random
  -- reads of orderdetails, 200 s at 1M orders with a 128 MB buffer pool, against 6.7 s.
  LEFT JOIN (SELECT STRAIGHT_JOIN p.category_id, COUNT(DISTINCT d.order_id) AS orders_count,
                    SUM(d.quantity) AS units_sold, SUM(d.total_price) AS revenue
               FROM {{ source('orderdetails') }} d
               JOIN {{ source('orders') }} o ON o.order_id = d.order_id
               JOIN {{ source('products') }} p ON p.product_id = d.product_id
              WHERE o.status <> 'Cancelled'
              GROUP BY p.category_id) s ON s.category_id = c.category_id
