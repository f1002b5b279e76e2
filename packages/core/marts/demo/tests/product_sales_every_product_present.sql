SELECT p.product_id FROM {{ source('products') }} p
  LEFT JOIN {{ ref('product_sales_analytics') }} m ON m.product_id = p.product_id
 WHERE m.product_id IS NULL
