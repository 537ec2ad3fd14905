-- PostgreSQL only. Indexes for the date filters and the orders-items join readers
-- run on staging; a publish rebuilds them on the fresh copy after loading, under
-- these names. Each costs ~0.5 s per million rows at every publish on a 2-core
-- machine, so only these two. No foreign keys: a layer swap renames tables, and a
-- key would follow the old one.
CREATE INDEX IF NOT EXISTS orders_order_date_idx ON staging.orders (order_date);
CREATE INDEX IF NOT EXISTS order_items_order_id_idx ON staging.order_items (order_id);
