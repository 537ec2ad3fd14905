-- How many units of each product sell, to how many customers, on each day?
-- Twin of daily_product_metrics.py; completed_lines() and the exact-money macros are
-- in queries/_macros.sql.
WITH grouped AS (
    SELECT
        l.order_date,
        l.product_id,
        p.product_name,
        p.category,
        COUNT(DISTINCT l.order_id) AS total_orders,
        SUM(l.quantity) AS total_quantity,
        SUM(l.amount_micros) AS revenue_micros,
        COUNT(DISTINCT l.customer_id) AS unique_customers
    FROM completed_lines() AS l
    JOIN staging.products AS p ON p.product_id = l.product_id
    GROUP BY l.order_date, l.product_id, p.product_name, p.category
)

SELECT
    order_date,
    product_id,
    product_name,
    category,
    total_orders,
    CAST(total_quantity AS BIGINT) AS total_quantity,
    total_revenue(revenue_micros) AS total_revenue,
    unique_customers
FROM grouped
ORDER BY order_date, product_id
