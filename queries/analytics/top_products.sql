-- Best-selling products by revenue over all days.
SELECT product_id, product_name, category,
       CAST(sum(total_orders) AS BIGINT) AS orders,
       CAST(sum(total_quantity) AS BIGINT) AS quantity,
       CAST(sum(total_revenue) AS DECIMAL(18, 2)) AS revenue
FROM prod.daily_product_metrics
GROUP BY product_id, product_name, category
ORDER BY revenue DESC, product_id
LIMIT 10
