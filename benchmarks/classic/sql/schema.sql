-- The classic pipeline's own hand-written DDL: three schemas, typed tables, keys on
-- staging and prod. Raw keeps the lineage our staging rules need for "earliest".
CREATE SCHEMA IF NOT EXISTS raw;
CREATE SCHEMA IF NOT EXISTS staging;
CREATE SCHEMA IF NOT EXISTS prod;

CREATE TABLE IF NOT EXISTS raw.customers (
    customer_id BIGINT, customer_name TEXT, email TEXT, country TEXT,
    signup_date DATE, customer_segment TEXT,
    _source_file TEXT, _source_row BIGINT, _partition_date DATE, _ingested_at TIMESTAMPTZ
);
CREATE TABLE IF NOT EXISTS raw.products (
    product_id BIGINT, product_name TEXT, category TEXT,
    price DOUBLE PRECISION, cost DOUBLE PRECISION,
    _source_file TEXT, _source_row BIGINT, _partition_date DATE, _ingested_at TIMESTAMPTZ
);
CREATE TABLE IF NOT EXISTS raw.orders (
    order_id BIGINT, customer_id BIGINT, order_date DATE, order_status TEXT,
    total_amount DOUBLE PRECISION,
    _source_file TEXT, _source_row BIGINT, _partition_date DATE, _ingested_at TIMESTAMPTZ
);
CREATE TABLE IF NOT EXISTS raw.order_items (
    order_item_id BIGINT, order_id BIGINT, product_id BIGINT, quantity BIGINT,
    unit_price DOUBLE PRECISION, discount_percent BIGINT,
    _source_file TEXT, _source_row BIGINT, _partition_date DATE, _ingested_at TIMESTAMPTZ
);

CREATE TABLE IF NOT EXISTS staging.customers (
    customer_id BIGINT PRIMARY KEY, customer_name TEXT NOT NULL, email TEXT NOT NULL,
    country TEXT NOT NULL, signup_date DATE NOT NULL, customer_segment TEXT NOT NULL,
    _source_file TEXT NOT NULL, _partition_date DATE NOT NULL
);
CREATE TABLE IF NOT EXISTS staging.products (
    product_id BIGINT PRIMARY KEY, product_name TEXT NOT NULL, category TEXT NOT NULL,
    price NUMERIC(10, 2) NOT NULL, cost NUMERIC(10, 2) NOT NULL,
    _source_file TEXT NOT NULL, _partition_date DATE NOT NULL
);
CREATE TABLE IF NOT EXISTS staging.orders (
    order_id BIGINT PRIMARY KEY, customer_id BIGINT NOT NULL, order_date DATE NOT NULL,
    order_status TEXT NOT NULL, total_amount NUMERIC(10, 2) NOT NULL,
    _source_file TEXT NOT NULL, _partition_date DATE NOT NULL
);
CREATE TABLE IF NOT EXISTS staging.order_items (
    order_item_id BIGINT PRIMARY KEY, order_id BIGINT NOT NULL, product_id BIGINT NOT NULL,
    quantity BIGINT NOT NULL, unit_price NUMERIC(10, 2) NOT NULL,
    discount_percent NUMERIC(5, 2) NOT NULL,
    _source_file TEXT NOT NULL, _partition_date DATE NOT NULL
);

CREATE TABLE IF NOT EXISTS staging.customers_rejects (
    customer_id BIGINT, customer_name TEXT, email TEXT, country TEXT,
    signup_date DATE, customer_segment TEXT, reject_reason TEXT NOT NULL,
    _source_file TEXT NOT NULL, _source_row BIGINT NOT NULL, _partition_date DATE NOT NULL
);
CREATE TABLE IF NOT EXISTS staging.products_rejects (
    product_id BIGINT, product_name TEXT, category TEXT,
    price DOUBLE PRECISION, cost DOUBLE PRECISION, reject_reason TEXT NOT NULL,
    _source_file TEXT NOT NULL, _source_row BIGINT NOT NULL, _partition_date DATE NOT NULL
);
CREATE TABLE IF NOT EXISTS staging.orders_rejects (
    order_id BIGINT, customer_id BIGINT, order_date DATE, order_status TEXT,
    total_amount DOUBLE PRECISION, reject_reason TEXT NOT NULL,
    _source_file TEXT NOT NULL, _source_row BIGINT NOT NULL, _partition_date DATE NOT NULL
);
CREATE TABLE IF NOT EXISTS staging.order_items_rejects (
    order_item_id BIGINT, order_id BIGINT, product_id BIGINT, quantity BIGINT,
    unit_price DOUBLE PRECISION, discount_percent BIGINT, reject_reason TEXT NOT NULL,
    _source_file TEXT NOT NULL, _source_row BIGINT NOT NULL, _partition_date DATE NOT NULL
);

CREATE TABLE IF NOT EXISTS prod.daily_sales (
    order_date DATE PRIMARY KEY, total_orders BIGINT NOT NULL, total_items BIGINT NOT NULL,
    total_revenue NUMERIC(15, 2) NOT NULL, total_customers BIGINT NOT NULL,
    avg_order_value NUMERIC(15, 2)
);
CREATE TABLE IF NOT EXISTS prod.monthly_sales (
    year_month TEXT PRIMARY KEY, year INTEGER NOT NULL, month INTEGER NOT NULL,
    total_orders BIGINT NOT NULL, total_items BIGINT NOT NULL,
    total_revenue NUMERIC(15, 2) NOT NULL, total_customers BIGINT NOT NULL,
    avg_order_value NUMERIC(15, 2)
);
CREATE TABLE IF NOT EXISTS prod.daily_category_metrics (
    order_date DATE NOT NULL, category TEXT NOT NULL, total_orders BIGINT NOT NULL,
    total_items BIGINT NOT NULL, total_revenue NUMERIC(15, 2) NOT NULL,
    unique_customers BIGINT NOT NULL, unique_products BIGINT NOT NULL,
    PRIMARY KEY (order_date, category)
);
CREATE TABLE IF NOT EXISTS prod.daily_product_metrics (
    order_date DATE NOT NULL, product_id BIGINT NOT NULL, product_name TEXT NOT NULL,
    category TEXT NOT NULL, total_orders BIGINT NOT NULL, total_quantity BIGINT NOT NULL,
    total_revenue NUMERIC(15, 2) NOT NULL, unique_customers BIGINT NOT NULL,
    PRIMARY KEY (order_date, product_id)
);
CREATE TABLE IF NOT EXISTS prod.customer_metrics (
    customer_id BIGINT PRIMARY KEY, customer_name TEXT NOT NULL,
    customer_segment TEXT NOT NULL, first_order_date DATE, last_order_date DATE,
    total_orders BIGINT NOT NULL, total_items BIGINT NOT NULL,
    total_revenue NUMERIC(15, 2) NOT NULL, avg_order_value NUMERIC(15, 2),
    days_since_first_order INTEGER, days_since_last_order INTEGER
);
