-- How many completed orders, items and how much revenue did each calendar month bring?
-- Twin of monthly_sales.py; completed_lines() and the exact-money macros are in
-- queries/_macros.sql.
WITH months AS (
    SELECT
        STRFTIME(order_date, '%Y-%m') AS year_month,
        YEAR(order_date) AS year,
        MONTH(order_date) AS month,
        COUNT(DISTINCT order_id) AS total_orders,
        SUM(quantity) AS total_items,
        SUM(amount_micros) AS revenue_micros,
        COUNT(DISTINCT customer_id) AS total_customers
    FROM completed_lines()
    GROUP BY ALL
)

SELECT
    year_month,
    CAST(year AS INTEGER) AS year,
    CAST(month AS INTEGER) AS month,
    total_orders,
    CAST(total_items AS BIGINT) AS total_items,
    total_revenue(revenue_micros) AS total_revenue,
    total_customers,
    avg_order_value(revenue_micros, total_orders) AS avg_order_value
FROM months
ORDER BY year_month
