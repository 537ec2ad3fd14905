-- Business impact of rejects: completed orders and value that prod does not see.
-- Orders: rejected completed orders and their order totals as delivered. Items:
-- rejected lines of completed orders and their line value as delivered
-- (quantity * unit price * (1 - discount / 100)), per reason, in exact decimals.
-- Only amounts that are finite numbers of sane size have a value (a rejected NaN,
-- infinite or absurd amount, quantity or discount is counted but not summed), so
-- the report never fails on the dirt it reports.
SELECT * FROM (
    SELECT 'orders' AS entity, reject_reason,
           count(*) AS completed_orders,
           CAST(sum(CASE WHEN total_amount > -1e16 AND total_amount < 1e16
                         THEN CAST(total_amount AS DECIMAL(18, 2)) END)
                AS DECIMAL(38, 2)) AS order_value
    FROM staging.orders_rejects
    WHERE lower(trim(order_status)) = 'completed'
    GROUP BY reject_reason
    UNION ALL
    SELECT 'order_items', i.reject_reason,
           count(DISTINCT i.order_id),
           CAST(sum(CASE WHEN i.unit_price > -1e16 AND i.unit_price < 1e16
                          AND i.quantity BETWEEN -1000000 AND 1000000
                          AND coalesce(i.discount_percent, 0) BETWEEN -1000000 AND 1000000
                         THEN CAST(i.quantity AS DECIMAL(7, 0))
                              * CAST(i.unit_price AS DECIMAL(18, 2))
                              * CAST(100 - coalesce(i.discount_percent, 0) AS DECIMAL(8, 0))
                              * 0.01 END)
                AS DECIMAL(38, 2))
    FROM staging.order_items_rejects AS i
    WHERE i.order_id IN (SELECT order_id FROM staging.orders WHERE order_status = 'completed')
       OR i.order_id IN (SELECT order_id FROM staging.orders_rejects
                         WHERE lower(trim(order_status)) = 'completed')
    GROUP BY i.reject_reason
) AS impact
ORDER BY entity DESC, order_value DESC NULLS LAST, reject_reason
