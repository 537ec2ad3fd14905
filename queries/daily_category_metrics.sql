-- Which product categories sell, and how much, on each day?
-- Twin of daily_category_metrics.py; completed_lines() and the exact-money macros are
-- in queries/_macros.sql.
WITH grouped AS (
    SELECT
        l.order_date,
        p.category,
        COUNT(DISTINCT l.order_id) AS total_orders,
        SUM(l.quantity) AS total_items,
        SUM(l.amount_micros) AS revenue_micros,
        COUNT(DISTINCT l.customer_id) AS unique_customers,
        COUNT(DISTINCT l.product_id) AS unique_products
    FROM completed_lines() AS l
    JOIN staging.products AS p ON p.product_id = l.product_id
    GROUP BY l.order_date, p.category
)

SELECT
    order_date,
    category,
    total_orders,
    CAST(total_items AS BIGINT) AS total_items,
    total_revenue(revenue_micros) AS total_revenue,
    unique_customers,
    unique_products
FROM grouped
ORDER BY order_date, category
