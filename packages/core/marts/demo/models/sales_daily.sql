-- One row per calendar day (UTC) from the first order to the last, zeros on days without sales.
-- The calendar is 0…99,999 days built from digits: no recursive CTE limits on either server.
{% set digits = '(SELECT 0 AS d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9)' %}
SELECT cal.day,
       COALESCE(o.orders_count, 0) AS orders_count,
       CAST(COALESCE(l.units_sold, 0) AS SIGNED) AS units_sold,
       COALESCE(l.revenue, 0) AS revenue,
       COALESCE(o.customers, 0) AS customers
  FROM (SELECT DATE_ADD(b.first_day, INTERVAL n.n DAY) AS day
          FROM (SELECT DATE(MIN(o.order_date)) AS first_day, DATEDIFF(MAX(o.order_date), MIN(o.order_date)) AS span
                  FROM {{ source('orders') }} o WHERE o.status <> 'Cancelled') b
          JOIN (SELECT d0.d + 10 * d1.d + 100 * d2.d + 1000 * d3.d + 10000 * d4.d AS n
                  FROM {{ digits }} d0, {{ digits }} d1, {{ digits }} d2, {{ digits }} d3, {{ digits }} d4) n
            ON n.n <= b.span) cal
  LEFT JOIN (SELECT DATE(o.order_date) AS day, COUNT(DISTINCT o.order_id) AS orders_count,
                    COUNT(DISTINCT o.user_id) AS customers
               FROM {{ source('orders') }} o
              WHERE o.status <> 'Cancelled'
              GROUP BY DATE(o.order_date)) o ON o.day = cal.day
  LEFT JOIN (SELECT DATE(o.order_date) AS day, SUM(d.quantity) AS units_sold, SUM(d.total_price) AS revenue
               FROM {{ source('orders') }} o
               JOIN {{ source('orderdetails') }} d ON d.order_id = o.order_id
              WHERE o.status <> 'Cancelled'
              GROUP BY DATE(o.order_date)) l ON l.day = cal.day
