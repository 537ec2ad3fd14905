-- How many completed orders, items and how much revenue did each day bring?
-- Twin of daily_sales.py; completed_lines() and the exact-money macros are in
-- queries/_macros.sql.
WITH days AS (
    SELECT
        order_date,
        COUNT(DISTINCT order_id) AS total_orders,
        SUM(quantity) AS total_items,
        SUM(amount_micros) AS revenue_micros,
        COUNT(DISTINCT customer_id) AS total_customers
    FROM completed_lines()
    GROUP BY order_date
)

SELECT
    order_date,
    total_orders,
    CAST(total_items AS BIGINT) AS total_items,
    total_revenue(revenue_micros) AS total_revenue,
    total_customers,
    avg_order_value(revenue_micros, total_orders) AS avg_order_value
FROM days
ORDER BY order_date
