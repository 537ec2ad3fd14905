-- Revenue by category and month (a multi-category order counts once per category).
SELECT CAST(date_trunc('month', order_date) AS DATE) AS month,
       category,
       CAST(sum(total_orders) AS BIGINT) AS orders,
       CAST(sum(total_items) AS BIGINT) AS items,
       CAST(sum(total_revenue) AS DECIMAL(18, 2)) AS revenue
FROM prod.daily_category_metrics
GROUP BY 1, 2
ORDER BY 1, revenue DESC, category
