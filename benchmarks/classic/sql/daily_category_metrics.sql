-- Completed orders per day and product category.
WITH lines AS (
    SELECT o.order_id, o.customer_id, o.order_date, i.product_id, i.quantity,
           i.quantity * i.unit_price * (1 - i.discount_percent / 100) AS revenue
    FROM staging.orders o
    JOIN staging.order_items i ON i.order_id = o.order_id
    WHERE o.order_status = 'completed'
)
SELECT l.order_date, p.category,
       COUNT(DISTINCT l.order_id) AS total_orders,
       SUM(l.quantity)::BIGINT AS total_items,
       ROUND(SUM(l.revenue), 2) AS total_revenue,
       COUNT(DISTINCT l.customer_id) AS unique_customers,
       COUNT(DISTINCT l.product_id) AS unique_products
FROM lines l
JOIN staging.products p ON p.product_id = l.product_id
GROUP BY l.order_date, p.category
ORDER BY l.order_date, p.category
