-- Daily sales, newest first.
SELECT order_date, total_orders, total_items, total_revenue, total_customers, avg_order_value
FROM prod.daily_sales
ORDER BY order_date DESC
LIMIT 10
