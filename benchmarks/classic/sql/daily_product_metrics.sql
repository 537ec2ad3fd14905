-- Completed orders per day and product.
WITH lines AS (
    SELECT o.order_id, o.customer_id, o.order_date, i.product_id, i.quantity,
           i.quantity * i.unit_price * (1 - i.discount_percent / 100) AS revenue
    FROM staging.orders o
    JOIN staging.order_items i ON i.order_id = o.order_id
    WHERE o.order_status = 'completed'
)
SELECT l.order_date, l.product_id, p.product_name, p.category,
       COUNT(DISTINCT l.order_id) AS total_orders,
       SUM(l.quantity)::BIGINT AS total_quantity,
       ROUND(SUM(l.revenue), 2) AS total_revenue,
       COUNT(DISTINCT l.customer_id) AS unique_customers
FROM lines l
JOIN staging.products p ON p.product_id = l.product_id
GROUP BY l.order_date, l.product_id, p.product_name, p.category
ORDER BY l.order_date, l.product_id
