-- Prod layer: business aggregates over completed orders. Revenue is summed exactly
-- and rounded half-up to cents once, at the end.
CREATE TABLE IF NOT EXISTS prod.daily_sales (
    order_date DATE NOT NULL PRIMARY KEY,  -- Day the orders were placed (primary key).
    total_orders BIGINT NOT NULL,  -- Distinct completed orders.
    total_items BIGINT NOT NULL,  -- Units sold on completed orders.
    total_revenue NUMERIC(15, 2) NOT NULL,  -- Revenue in dollars: sum of quantity * unit_price * (1 - discount/100), rounded half-up to cents once.
    total_customers BIGINT NOT NULL,  -- Distinct customers with a completed order.
    avg_order_value NUMERIC(15, 2)  -- total_revenue / total_orders in dollars, rounded to cents; null without orders.
);

CREATE TABLE IF NOT EXISTS prod.monthly_sales (
    year_month TEXT NOT NULL PRIMARY KEY,  -- Month as YYYY-MM (primary key).
    year INTEGER NOT NULL,  -- Calendar year of the month.
    month INTEGER NOT NULL,  -- Month number, 1-12.
    total_orders BIGINT NOT NULL,  -- Distinct completed orders.
    total_items BIGINT NOT NULL,  -- Units sold on completed orders.
    total_revenue NUMERIC(15, 2) NOT NULL,  -- Revenue in dollars: sum of quantity * unit_price * (1 - discount/100), rounded half-up to cents once.
    total_customers BIGINT NOT NULL,  -- Distinct customers with a completed order.
    avg_order_value NUMERIC(15, 2)  -- total_revenue / total_orders in dollars, rounded to cents; null without orders.
);

CREATE TABLE IF NOT EXISTS prod.daily_category_metrics (
    order_date DATE NOT NULL,  -- Day the orders were placed.
    category TEXT NOT NULL,  -- Product category.
    total_orders BIGINT NOT NULL,  -- Distinct completed orders with a line in the category.
    total_items BIGINT NOT NULL,  -- Units of the category sold on completed orders.
    total_revenue NUMERIC(15, 2) NOT NULL,  -- Revenue of the category's lines in dollars, rounded half-up to cents once.
    unique_customers BIGINT NOT NULL,  -- Distinct customers who bought in the category.
    unique_products BIGINT NOT NULL,  -- Distinct products of the category sold.
    PRIMARY KEY (order_date, category)
);

CREATE TABLE IF NOT EXISTS prod.daily_product_metrics (
    order_date DATE NOT NULL,  -- Day the orders were placed.
    product_id BIGINT NOT NULL,  -- Product sold.
    product_name TEXT NOT NULL,  -- Product name from staging.products.
    category TEXT NOT NULL,  -- Product category from staging.products.
    total_orders BIGINT NOT NULL,  -- Distinct completed orders with the product.
    total_quantity BIGINT NOT NULL,  -- Units of the product sold on completed orders.
    total_revenue NUMERIC(15, 2) NOT NULL,  -- Revenue of the product's lines in dollars, rounded half-up to cents once.
    unique_customers BIGINT NOT NULL,  -- Distinct customers who bought the product.
    PRIMARY KEY (order_date, product_id)
);

CREATE TABLE IF NOT EXISTS prod.customer_metrics (
    customer_id BIGINT NOT NULL PRIMARY KEY,  -- Customer (primary key); every staging customer, also those without orders.
    customer_name TEXT NOT NULL,  -- Name from staging.customers.
    customer_segment TEXT NOT NULL,  -- Segment from staging.customers.
    first_order_date DATE,  -- Day of the first completed order; null without orders.
    last_order_date DATE,  -- Day of the latest completed order; null without orders.
    total_orders BIGINT NOT NULL,  -- Completed orders, 0 without orders.
    total_items BIGINT NOT NULL,  -- Units bought on completed orders.
    total_revenue NUMERIC(15, 2) NOT NULL,  -- Lifetime revenue in dollars, rounded half-up to cents once.
    avg_order_value NUMERIC(15, 2),  -- total_revenue / total_orders in dollars, rounded to cents; null without orders.
    days_since_first_order INTEGER,  -- Days from the first completed order to the run's as-of date (meta.runs.as_of).
    days_since_last_order INTEGER  -- Days from the latest completed order to the run's as-of date (meta.runs.as_of).
);

COMMENT ON TABLE prod.daily_sales IS 'Completed orders per day: orders, items, revenue, customers, average order value.';
COMMENT ON TABLE prod.monthly_sales IS 'Completed orders per month: orders, items, revenue, customers.';
COMMENT ON TABLE prod.daily_category_metrics IS 'Completed orders per day and product category: orders, items, revenue, distinct customers and products.';
COMMENT ON TABLE prod.daily_product_metrics IS 'Completed orders per day and product: orders, quantity, revenue, distinct customers.';
COMMENT ON TABLE prod.customer_metrics IS 'Lifetime value per customer over completed orders; days_since_* count from the run''s as-of date.';
