-- Business impact of rejects: completed orders and value that prod does not see.
-- Orders: rejected completed orders and their order totals as delivered. Items:
-- rejected lines of completed orders and their line value as delivered
-- (quantity * unit price * (1 - discount / 100)), per reason.
SELECT * FROM (
    SELECT 'orders' AS entity, reject_reason,
           count(*) AS completed_orders,
           CAST(sum(CAST(total_amount AS DECIMAL(18, 2))) AS DECIMAL(18, 2)) AS order_value
    FROM staging.orders_rejects
    WHERE lower(trim(order_status)) = 'completed'
    GROUP BY reject_reason
    UNION ALL
    SELECT 'order_items', i.reject_reason,
           count(DISTINCT i.order_id),
           CAST(sum(i.quantity * CAST(i.unit_price AS DECIMAL(18, 2))
                    * (100 - coalesce(i.discount_percent, 0)) / 100) AS DECIMAL(18, 2))
    FROM staging.order_items_rejects AS i
    WHERE i.order_id IN (SELECT order_id FROM staging.orders WHERE order_status = 'completed')
       OR i.order_id IN (SELECT order_id FROM staging.orders_rejects
                         WHERE lower(trim(order_status)) = 'completed')
    GROUP BY i.reject_reason
) AS impact
ORDER BY entity DESC, order_value DESC NULLS LAST, reject_reason
