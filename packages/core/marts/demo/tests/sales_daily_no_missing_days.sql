-- As many rows as days from the first to the last.
SELECT days, span FROM (SELECT COUNT(*) AS days, DATEDIFF(MAX(day), MIN(day)) + 1 AS span
                          FROM {{ ref('sales_daily') }}) c
 WHERE days > 0 AND days <> span
