SELECT product_id, revenue, units_sold FROM {{ ref('product_sales_analytics') }}
 WHERE revenue < 0 OR units_sold < 0
