-- What has each customer bought so far, and how recently (including who never bought)?
-- Twin of customer_metrics.py; $as_of is the date the days_since_* columns count from.
-- Money is exact HUGEINT in 1e-6 dollars (quantity * cents * (10000 - discount
-- hundredths)), rounded half-up to cents once per customer.
WITH lines AS (
    SELECT
        o.order_id,
        o.customer_id,
        o.order_date,
        i.quantity,
        CAST(i.quantity AS HUGEINT)
            * CAST(i.unit_price * 100 AS HUGEINT)
            * (10000 - CAST(i.discount_percent * 100 AS HUGEINT)) AS amount_micros
    FROM staging.orders AS o
    JOIN staging.order_items AS i ON i.order_id = o.order_id
    WHERE o.order_status = 'completed'
),

bought AS (
    SELECT
        customer_id,
        MIN(order_date) AS first_order_date,
        MAX(order_date) AS last_order_date,
        COUNT(DISTINCT order_id) AS total_orders,
        SUM(quantity) AS total_items,
        SUM(amount_micros) AS revenue_micros
    FROM lines
    GROUP BY customer_id
),

cents AS (
    -- Half-up (away from zero) integer rounding; `//` truncates, so round the magnitude.
    SELECT
        *,
        SIGN(revenue_micros) * ((2 * ABS(revenue_micros) + 10000) // 20000) AS revenue_cents,
        SIGN(revenue_micros)
            * ((2 * ABS(revenue_micros) + 10000 * CAST(total_orders AS HUGEINT))
                // (20000 * CAST(total_orders AS HUGEINT))) AS avg_cents
    FROM bought
)

SELECT
    c.customer_id,
    c.customer_name,
    c.customer_segment,
    b.first_order_date,
    b.last_order_date,
    COALESCE(b.total_orders, 0) AS total_orders,
    CAST(COALESCE(b.total_items, 0) AS BIGINT) AS total_items,
    -- DECIMAL / integer gives DOUBLE in DuckDB; DECIMAL * 0.01 stays exact.
    CAST(CAST(COALESCE(b.revenue_cents, 0) AS DECIMAL(36, 0)) * 0.01 AS DECIMAL(15, 2))
        AS total_revenue,
    CAST(CAST(b.avg_cents AS DECIMAL(36, 0)) * 0.01 AS DECIMAL(15, 2)) AS avg_order_value,
    CAST(CAST($as_of AS DATE) - b.first_order_date AS INTEGER) AS days_since_first_order,
    CAST(CAST($as_of AS DATE) - b.last_order_date AS INTEGER) AS days_since_last_order
FROM staging.customers AS c
LEFT JOIN cents AS b ON b.customer_id = c.customer_id
ORDER BY c.customer_id
