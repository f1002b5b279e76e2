SELECT user_id, total_spent, orders_count FROM {{ ref('user_sales_analytics') }}
 WHERE total_spent < 0 OR orders_count < 0
