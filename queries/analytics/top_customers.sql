-- Top customers by lifetime value (revenue of completed orders).
SELECT customer_id, customer_name, customer_segment, total_orders, total_revenue,
       avg_order_value, first_order_date, last_order_date, days_since_last_order
FROM prod.customer_metrics
ORDER BY total_revenue DESC, customer_id
LIMIT 10
