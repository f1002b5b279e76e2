SELECT c.category_id FROM {{ source('productcategories') }} c
  LEFT JOIN {{ ref('category_sales') }} m ON m.category_id = c.category_id
 WHERE m.category_id IS NULL
