-- How many completed orders, items and how much revenue did each calendar month bring?
-- Twin of monthly_sales.py. Money is exact HUGEINT in 1e-6 dollars (quantity * cents *
-- (10000 - discount hundredths)), rounded half-up to cents once per group.
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

months AS (
    SELECT
        STRFTIME(order_date, '%Y-%m') AS year_month,
        YEAR(order_date) AS year,
        MONTH(order_date) AS month,
        COUNT(DISTINCT order_id) AS total_orders,
        SUM(quantity) AS total_items,
        SUM(amount_micros) AS revenue_micros,
        COUNT(DISTINCT customer_id) AS total_customers
    FROM lines
    GROUP BY ALL
),

cents AS (
    -- Half-up (away from zero) integer rounding; `//` truncates, so round the magnitude.
    SELECT
        *,
        SIGN(revenue_micros) * ((2 * ABS(revenue_micros) + 10000) // 20000) AS revenue_cents,
        SIGN(revenue_micros)
            * ((2 * ABS(revenue_micros) + 10000 * CAST(total_orders AS HUGEINT))
                // (20000 * CAST(total_orders AS HUGEINT))) AS avg_cents
    FROM months
)

SELECT
    year_month,
    CAST(year AS INTEGER) AS year,
    CAST(month AS INTEGER) AS month,
    total_orders,
    CAST(total_items AS BIGINT) AS total_items,
    -- DECIMAL / integer gives DOUBLE in DuckDB; DECIMAL * 0.01 stays exact.
    CAST(CAST(revenue_cents AS DECIMAL(36, 0)) * 0.01 AS DECIMAL(15, 2)) AS total_revenue,
    total_customers,
    CAST(CAST(avg_cents AS DECIMAL(36, 0)) * 0.01 AS DECIMAL(15, 2)) AS avg_order_value
FROM cents
ORDER BY year_month
