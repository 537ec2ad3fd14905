-- Prod layer: business aggregates over completed orders. Revenue is summed exactly
-- and rounded half-up to cents once, at the end.
CREATE TABLE IF NOT EXISTS prod.daily_sales (
    order_date DATE NOT NULL PRIMARY KEY,
    total_orders BIGINT NOT NULL,
    total_items BIGINT NOT NULL,
    total_revenue NUMERIC(15, 2) NOT NULL,
    total_customers BIGINT NOT NULL,
    avg_order_value NUMERIC(15, 2)
);

CREATE TABLE IF NOT EXISTS prod.monthly_sales (
    year_month TEXT NOT NULL PRIMARY KEY,
    year INTEGER NOT NULL,
    month INTEGER NOT NULL,
    total_orders BIGINT NOT NULL,
    total_items BIGINT NOT NULL,
    total_revenue NUMERIC(15, 2) NOT NULL,
    total_customers BIGINT NOT NULL,
    avg_order_value NUMERIC(15, 2)
);

CREATE TABLE IF NOT EXISTS prod.daily_category_metrics (
    order_date DATE NOT NULL,
    category TEXT NOT NULL,
    total_orders BIGINT NOT NULL,
    total_items BIGINT NOT NULL,
    total_revenue NUMERIC(15, 2) NOT NULL,
    unique_customers BIGINT NOT NULL,
    unique_products BIGINT NOT NULL,
    PRIMARY KEY (order_date, category)
);

CREATE TABLE IF NOT EXISTS prod.daily_product_metrics (
    order_date DATE NOT NULL,
    product_id BIGINT NOT NULL,
    product_name TEXT NOT NULL,
    category TEXT NOT NULL,
    total_orders BIGINT NOT NULL,
    total_quantity BIGINT NOT NULL,
    total_revenue NUMERIC(15, 2) NOT NULL,
    unique_customers BIGINT NOT NULL,
    PRIMARY KEY (order_date, product_id)
);

CREATE TABLE IF NOT EXISTS prod.customer_metrics (
    customer_id BIGINT NOT NULL PRIMARY KEY,
    customer_name TEXT NOT NULL,
    customer_segment TEXT NOT NULL,
    first_order_date DATE,
    last_order_date DATE,
    total_orders BIGINT NOT NULL,
    total_items BIGINT NOT NULL,
    total_revenue NUMERIC(15, 2) NOT NULL,
    avg_order_value NUMERIC(15, 2),
    days_since_first_order INTEGER,
    days_since_last_order INTEGER
);

COMMENT ON TABLE prod.daily_sales IS 'Completed orders per day: orders, items, revenue, customers, average order value.';
COMMENT ON TABLE prod.monthly_sales IS 'Completed orders per month: orders, items, revenue, customers.';
COMMENT ON TABLE prod.daily_category_metrics IS 'Completed orders per day and product category: orders, items, revenue, distinct customers and products.';
COMMENT ON TABLE prod.daily_product_metrics IS 'Completed orders per day and product: orders, quantity, revenue, distinct customers.';
COMMENT ON TABLE prod.customer_metrics IS 'Lifetime value per customer over completed orders; days_since_* count from the run''s as-of date.';
