-- Lifetime value per staging customer (also those without orders); days count from as_of.
WITH lines AS (
    SELECT o.order_id, o.customer_id, o.order_date, i.quantity,
           i.quantity * i.unit_price * (1 - i.discount_percent / 100) AS revenue
    FROM staging.orders o
    JOIN staging.order_items i ON i.order_id = o.order_id
    WHERE o.order_status = 'completed'
),
bought AS (
    SELECT customer_id,
           MIN(order_date) AS first_order_date,
           MAX(order_date) AS last_order_date,
           COUNT(DISTINCT order_id) AS total_orders,
           SUM(quantity)::BIGINT AS total_items,
           SUM(revenue) AS revenue
    FROM lines
    GROUP BY customer_id
)
SELECT c.customer_id, c.customer_name, c.customer_segment,
       b.first_order_date, b.last_order_date,
       COALESCE(b.total_orders, 0) AS total_orders,
       COALESCE(b.total_items, 0) AS total_items,
       ROUND(COALESCE(b.revenue, 0), 2) AS total_revenue,
       ROUND(b.revenue / b.total_orders, 2) AS avg_order_value,
       %(as_of)s::DATE - b.first_order_date AS days_since_first_order,
       %(as_of)s::DATE - b.last_order_date AS days_since_last_order
FROM staging.customers c
LEFT JOIN bought b ON b.customer_id = c.customer_id
ORDER BY c.customer_id
