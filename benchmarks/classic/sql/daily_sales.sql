-- Completed orders per day. Line revenue in exact NUMERIC, rounded once per group.
WITH lines AS (
    SELECT o.order_id, o.customer_id, o.order_date, i.quantity,
           i.quantity * i.unit_price * (1 - i.discount_percent / 100) AS revenue
    FROM staging.orders o
    JOIN staging.order_items i ON i.order_id = o.order_id
    WHERE o.order_status = 'completed'
)
SELECT order_date,
       COUNT(DISTINCT order_id) AS total_orders,
       SUM(quantity)::BIGINT AS total_items,
       ROUND(SUM(revenue), 2) AS total_revenue,
       COUNT(DISTINCT customer_id) AS total_customers,
       ROUND(SUM(revenue) / COUNT(DISTINCT order_id), 2) AS avg_order_value
FROM lines
GROUP BY order_date
ORDER BY order_date
