-- PostgreSQL only. The primary keys already lead with order_date; this serves
-- "one product over time" lookups.
CREATE INDEX IF NOT EXISTS daily_product_metrics_product_id_idx
    ON prod.daily_product_metrics (product_id, order_date);
