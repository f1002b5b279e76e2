-- Users missing from the mart.
SELECT u.user_id FROM {{ source('users') }} u
  LEFT JOIN {{ ref('user_sales_analytics') }} m ON m.user_id = u.user_id
 WHERE m.user_id IS NULL
