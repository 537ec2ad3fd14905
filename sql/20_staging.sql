-- Staging layer: one clean, typed row per business key; exact money as NUMERIC.
-- Every raw row that is not here is in the entity's *_rejects table (with a reason)
-- or counted as an exact duplicate in meta.run_tables.
CREATE TABLE IF NOT EXISTS staging.customers (
    customer_id BIGINT NOT NULL PRIMARY KEY,
    customer_name TEXT NOT NULL,
    email TEXT NOT NULL,
    country TEXT NOT NULL,
    signup_date DATE NOT NULL,
    customer_segment TEXT NOT NULL,
    _source_file TEXT NOT NULL,
    _partition_date DATE NOT NULL
);

CREATE TABLE IF NOT EXISTS staging.products (
    product_id BIGINT NOT NULL PRIMARY KEY,
    product_name TEXT NOT NULL,
    category TEXT NOT NULL,
    price NUMERIC(10, 2) NOT NULL,
    cost NUMERIC(10, 2) NOT NULL,
    _source_file TEXT NOT NULL,
    _partition_date DATE NOT NULL
);

CREATE TABLE IF NOT EXISTS staging.orders (
    order_id BIGINT NOT NULL PRIMARY KEY,
    customer_id BIGINT NOT NULL,
    order_date DATE NOT NULL,
    order_status TEXT NOT NULL,
    total_amount NUMERIC(10, 2) NOT NULL,
    _source_file TEXT NOT NULL,
    _partition_date DATE NOT NULL
);

CREATE TABLE IF NOT EXISTS staging.order_items (
    order_item_id BIGINT NOT NULL PRIMARY KEY,
    order_id BIGINT NOT NULL,
    product_id BIGINT NOT NULL,
    quantity BIGINT NOT NULL,
    unit_price NUMERIC(10, 2) NOT NULL,
    discount_percent NUMERIC(5, 2) NOT NULL,
    _source_file TEXT NOT NULL,
    _partition_date DATE NOT NULL
);

-- Rejects keep the raw values untouched, so a row can be traced back and fixed.
CREATE TABLE IF NOT EXISTS staging.customers_rejects (
    customer_id BIGINT,
    customer_name TEXT,
    email TEXT,
    country TEXT,
    signup_date DATE,
    customer_segment TEXT,
    reject_reason TEXT NOT NULL,
    _source_file TEXT NOT NULL,
    _source_row BIGINT NOT NULL,
    _partition_date DATE NOT NULL
);

CREATE TABLE IF NOT EXISTS staging.products_rejects (
    product_id BIGINT,
    product_name TEXT,
    category TEXT,
    price DOUBLE PRECISION,
    cost DOUBLE PRECISION,
    reject_reason TEXT NOT NULL,
    _source_file TEXT NOT NULL,
    _source_row BIGINT NOT NULL,
    _partition_date DATE NOT NULL
);

CREATE TABLE IF NOT EXISTS staging.orders_rejects (
    order_id BIGINT,
    customer_id BIGINT,
    order_date DATE,
    order_status TEXT,
    total_amount DOUBLE PRECISION,
    reject_reason TEXT NOT NULL,
    _source_file TEXT NOT NULL,
    _source_row BIGINT NOT NULL,
    _partition_date DATE NOT NULL
);

CREATE TABLE IF NOT EXISTS staging.order_items_rejects (
    order_item_id BIGINT,
    order_id BIGINT,
    product_id BIGINT,
    quantity BIGINT,
    unit_price DOUBLE PRECISION,
    discount_percent BIGINT,
    reject_reason TEXT NOT NULL,
    _source_file TEXT NOT NULL,
    _source_row BIGINT NOT NULL,
    _partition_date DATE NOT NULL
);

COMMENT ON TABLE staging.customers IS 'Clean customers, one row per customer_id.';
COMMENT ON TABLE staging.products IS 'Clean products, one row per product_id; price and cost exact NUMERIC.';
COMMENT ON TABLE staging.orders IS 'Clean orders, one row per order_id; total_amount exact NUMERIC.';
COMMENT ON TABLE staging.order_items IS 'Clean order lines, one row per order_item_id; unit_price and discount_percent exact NUMERIC.';
COMMENT ON TABLE staging.customers_rejects IS 'Raw customer rows that failed cleaning, untouched, with reject_reason.';
COMMENT ON TABLE staging.products_rejects IS 'Raw product rows that failed cleaning, untouched, with reject_reason.';
COMMENT ON TABLE staging.orders_rejects IS 'Raw order rows that failed cleaning, untouched, with reject_reason.';
COMMENT ON TABLE staging.order_items_rejects IS 'Raw order line rows that failed cleaning, untouched, with reject_reason.';
