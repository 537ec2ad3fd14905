-- What has each customer bought so far, and how recently (including who never bought)?
-- Twin of customer_metrics.py; $as_of is the date the days_since_* columns count from.
-- completed_lines() and the exact-money macros are in queries/_macros.sql.
WITH bought AS (
    SELECT
        customer_id,
        MIN(order_date) AS first_order_date,
        MAX(order_date) AS last_order_date,
        COUNT(DISTINCT order_id) AS total_orders,
        SUM(quantity) AS total_items,
        SUM(amount_micros) AS revenue_micros
    FROM completed_lines()
    GROUP BY customer_id
)

SELECT
    c.customer_id,
    c.customer_name,
    c.customer_segment,
    b.first_order_date,
    b.last_order_date,
    COALESCE(b.total_orders, 0) AS total_orders,
    CAST(COALESCE(b.total_items, 0) AS BIGINT) AS total_items,
    -- A customer who never bought has revenue 0 and no average order.
    total_revenue(COALESCE(b.revenue_micros, 0)) AS total_revenue,
    avg_order_value(b.revenue_micros, b.total_orders) AS avg_order_value,
    CAST(CAST($as_of AS DATE) - b.first_order_date AS INTEGER) AS days_since_first_order,
    CAST(CAST($as_of AS DATE) - b.last_order_date AS INTEGER) AS days_since_last_order
FROM staging.customers AS c
LEFT JOIN bought AS b ON b.customer_id = c.customer_id
ORDER BY c.customer_id
