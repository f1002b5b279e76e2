-- One row per user, with what they bought; zeros for users who bought nothing.
SELECT u.user_id, u.first_name, u.last_name, u.email, u.loyalty_status,
       COALESCE(s.orders_count, 0) AS orders_count,
       COALESCE(s.total_spent, 0) AS total_spent,
       COALESCE(ROUND(s.total_spent / s.orders_count, 2), 0) AS avg_order_value,
       s.first_order_date, s.last_order_date
  FROM {{ source('users') }} u
  LEFT JOIN (SELECT o.user_id, COUNT(DISTINCT o.order_id) AS orders_count, SUM(o.total_amount) AS total_spent,
                    MIN(o.order_date) AS first_order_date, MAX(o.order_date) AS last_order_date
               FROM {{ source('orders') }} o
              WHERE o.status <> 'Cancelled'
              GROUP BY o.user_id) s ON s.user_id = u.user_id
