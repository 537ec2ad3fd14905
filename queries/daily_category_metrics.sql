-- Which product categories sell, and how much, on each day?
-- Twin of daily_category_metrics.py. Money is exact HUGEINT in 1e-6 dollars (quantity *
-- cents * (10000 - discount hundredths)), rounded half-up to cents once per group.
WITH lines AS (
    SELECT
        o.order_id,
        o.customer_id,
        o.order_date,
        i.product_id,
        i.quantity,
        CAST(i.quantity AS HUGEINT)
            * CAST(i.unit_price * 100 AS HUGEINT)
            * (10000 - CAST(i.discount_percent * 100 AS HUGEINT)) AS amount_micros
    FROM staging.orders AS o
    JOIN staging.order_items AS i ON i.order_id = o.order_id
    WHERE o.order_status = 'completed'
),

grouped AS (
    SELECT
        l.order_date,
        p.category,
        COUNT(DISTINCT l.order_id) AS total_orders,
        SUM(l.quantity) AS total_items,
        SUM(l.amount_micros) AS revenue_micros,
        COUNT(DISTINCT l.customer_id) AS unique_customers,
        COUNT(DISTINCT l.product_id) AS unique_products
    FROM lines AS l
    JOIN staging.products AS p ON p.product_id = l.product_id
    GROUP BY l.order_date, p.category
),

cents AS (
    -- Half-up (away from zero) integer rounding; `//` truncates, so round the magnitude.
    SELECT
        *,
        SIGN(revenue_micros) * ((2 * ABS(revenue_micros) + 10000) // 20000) AS revenue_cents
    FROM grouped
)

SELECT
    order_date,
    category,
    total_orders,
    CAST(total_items AS BIGINT) AS total_items,
    -- DECIMAL / integer gives DOUBLE in DuckDB; DECIMAL * 0.01 stays exact.
    CAST(CAST(revenue_cents AS DECIMAL(36, 0)) * 0.01 AS DECIMAL(15, 2)) AS total_revenue,
    unique_customers,
    unique_products
FROM cents
ORDER BY order_date, category
