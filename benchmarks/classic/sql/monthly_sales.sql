-- Completed orders per calendar month.
WITH lines AS (
    SELECT o.order_id, o.customer_id, o.order_date, i.quantity,
           i.quantity * i.unit_price * (1 - i.discount_percent / 100) AS revenue
    FROM staging.orders o
    JOIN staging.order_items i ON i.order_id = o.order_id
    WHERE o.order_status = 'completed'
)
SELECT TO_CHAR(order_date, 'YYYY-MM') AS year_month,
       EXTRACT(YEAR FROM order_date)::INTEGER AS year,
       EXTRACT(MONTH FROM order_date)::INTEGER AS month,
       COUNT(DISTINCT order_id) AS total_orders,
       SUM(quantity)::BIGINT AS total_items,
       ROUND(SUM(revenue), 2) AS total_revenue,
       COUNT(DISTINCT customer_id) AS total_customers,
       ROUND(SUM(revenue) / COUNT(DISTINCT order_id), 2) AS avg_order_value
FROM lines
GROUP BY 1, 2, 3
ORDER BY 1
