-- Staging layer: one clean, typed row per business key; exact money as NUMERIC.
-- Every raw row that is not here is in the entity's *_rejects table (with a reason)
-- or counted as an exact duplicate in meta.run_tables.
CREATE TABLE IF NOT EXISTS staging.customers (
    customer_id BIGINT NOT NULL PRIMARY KEY,  -- Customer id (primary key).
    customer_name TEXT NOT NULL,  -- Name, trimmed; title-cased when typed in one case.
    email TEXT NOT NULL,  -- Email, trimmed, lower-cased and validated; unique.
    country TEXT NOT NULL,  -- Country; Unknown when the source had none.
    signup_date DATE NOT NULL,  -- Day the customer signed up.
    customer_segment TEXT NOT NULL,  -- Premium, Standard or Basic; Standard when the source had none.
    _source_file TEXT NOT NULL,  -- Source Parquet file of the row kept, relative to the data directory.
    _partition_date DATE NOT NULL  -- Date of the partition the row kept came from.
);

CREATE TABLE IF NOT EXISTS staging.products (
    product_id BIGINT NOT NULL PRIMARY KEY,  -- Product id (primary key); the latest snapshot wins.
    product_name TEXT NOT NULL,  -- Name, trimmed; title-cased when typed in one case.
    category TEXT NOT NULL,  -- Product category.
    price NUMERIC(10, 2) NOT NULL,  -- List price in dollars, exact.
    cost NUMERIC(10, 2) NOT NULL,  -- Unit cost in dollars, exact.
    _source_file TEXT NOT NULL,  -- Source Parquet file of the row kept, relative to the data directory.
    _partition_date DATE NOT NULL  -- Date of the partition the row kept came from.
);

CREATE TABLE IF NOT EXISTS staging.orders (
    order_id BIGINT NOT NULL PRIMARY KEY,  -- Order id (primary key).
    customer_id BIGINT NOT NULL,  -- Customer who placed the order; always in staging.customers.
    order_date DATE NOT NULL,  -- Day the order was placed.
    order_status TEXT NOT NULL,  -- completed, pending, cancelled or returned (trimmed, lower-case).
    total_amount NUMERIC(10, 2) NOT NULL,  -- Order total in dollars, exact.
    _source_file TEXT NOT NULL,  -- Source Parquet file of the row kept, relative to the data directory.
    _partition_date DATE NOT NULL  -- Date of the partition the row kept came from.
);

CREATE TABLE IF NOT EXISTS staging.order_items (
    order_item_id BIGINT NOT NULL PRIMARY KEY,  -- Order line id (primary key).
    order_id BIGINT NOT NULL,  -- Order the line belongs to; always in staging.orders.
    product_id BIGINT NOT NULL,  -- Product on the line; always in staging.products.
    quantity BIGINT NOT NULL,  -- Units ordered, at least 1.
    unit_price NUMERIC(10, 2) NOT NULL,  -- Price per unit in dollars, exact.
    discount_percent NUMERIC(5, 2) NOT NULL,  -- Discount in percent, 0-100; 0 when the source had none.
    _source_file TEXT NOT NULL,  -- Source Parquet file of the row kept, relative to the data directory.
    _partition_date DATE NOT NULL  -- Date of the partition the row kept came from.
);

-- References between source tables, read by engine/contracts.py and not enforced:
-- staging already rejects orphans (customer_unknown, ...), and a FOREIGN KEY would
-- slow every load and delete. They order the entities, parents before children.
-- reference: staging.orders (customer_id) REFERENCES staging.customers (customer_id)
-- reference: staging.order_items (order_id) REFERENCES staging.orders (order_id)
-- reference: staging.order_items (product_id) REFERENCES staging.products (product_id)

-- Rejects keep the raw values untouched, so a row can be traced back and fixed.
CREATE TABLE IF NOT EXISTS staging.customers_rejects (
    customer_id BIGINT,  -- Customer id as delivered.
    customer_name TEXT,  -- Customer name as delivered (untrimmed, any casing).
    email TEXT,  -- Email as delivered (may be invalid or padded).
    country TEXT,  -- Country as delivered; may be null.
    signup_date DATE,  -- Day the customer signed up.
    customer_segment TEXT,  -- Segment as delivered: Premium, Standard or Basic.
    reject_reason TEXT NOT NULL,  -- Why the row was rejected: a reason code listed in docs/staging-rules.md.
    _source_file TEXT NOT NULL,  -- Source Parquet file, relative to the data directory (e.g. orders/2025-03-01/data.parquet).
    _source_row BIGINT NOT NULL,  -- Position of the row in its source file, from 0.
    _partition_date DATE NOT NULL  -- Date of the partition folder the row came from.
);

CREATE TABLE IF NOT EXISTS staging.products_rejects (
    product_id BIGINT,  -- Product id as delivered.
    product_name TEXT,  -- Product name as delivered (untrimmed, any casing).
    category TEXT,  -- Product category as delivered.
    price DOUBLE PRECISION,  -- List price in dollars as delivered (a float).
    cost DOUBLE PRECISION,  -- Unit cost in dollars as delivered (a float).
    reject_reason TEXT NOT NULL,  -- Why the row was rejected: a reason code listed in docs/staging-rules.md.
    _source_file TEXT NOT NULL,  -- Source Parquet file, relative to the data directory (e.g. orders/2025-03-01/data.parquet).
    _source_row BIGINT NOT NULL,  -- Position of the row in its source file, from 0.
    _partition_date DATE NOT NULL  -- Date of the partition folder the row came from.
);

CREATE TABLE IF NOT EXISTS staging.orders_rejects (
    order_id BIGINT,  -- Order id as delivered.
    customer_id BIGINT,  -- Customer who placed the order, as delivered.
    order_date DATE,  -- Day the order was placed.
    order_status TEXT,  -- Status as delivered (any casing, may be padded or unknown).
    total_amount DOUBLE PRECISION,  -- Order total in dollars as delivered (a float).
    reject_reason TEXT NOT NULL,  -- Why the row was rejected: a reason code listed in docs/staging-rules.md.
    _source_file TEXT NOT NULL,  -- Source Parquet file, relative to the data directory (e.g. orders/2025-03-01/data.parquet).
    _source_row BIGINT NOT NULL,  -- Position of the row in its source file, from 0.
    _partition_date DATE NOT NULL  -- Date of the partition folder the row came from.
);

CREATE TABLE IF NOT EXISTS staging.order_items_rejects (
    order_item_id BIGINT,  -- Order line id as delivered.
    order_id BIGINT,  -- Order the line belongs to, as delivered.
    product_id BIGINT,  -- Product on the line, as delivered.
    quantity BIGINT,  -- Units ordered, as delivered.
    unit_price DOUBLE PRECISION,  -- Price per unit in dollars as delivered (a float).
    discount_percent BIGINT,  -- Discount in percent as delivered (0-100 when valid).
    reject_reason TEXT NOT NULL,  -- Why the row was rejected: a reason code listed in docs/staging-rules.md.
    _source_file TEXT NOT NULL,  -- Source Parquet file, relative to the data directory (e.g. orders/2025-03-01/data.parquet).
    _source_row BIGINT NOT NULL,  -- Position of the row in its source file, from 0.
    _partition_date DATE NOT NULL  -- Date of the partition folder the row came from.
);

COMMENT ON TABLE staging.customers IS 'Clean customers, one row per customer_id.';
COMMENT ON TABLE staging.products IS 'Clean products, one row per product_id; price and cost exact NUMERIC.';
COMMENT ON TABLE staging.orders IS 'Clean orders, one row per order_id; total_amount exact NUMERIC.';
COMMENT ON TABLE staging.order_items IS 'Clean order lines, one row per order_item_id; unit_price and discount_percent exact NUMERIC.';
COMMENT ON TABLE staging.customers_rejects IS 'Raw customer rows that failed cleaning, untouched, with reject_reason.';
COMMENT ON TABLE staging.products_rejects IS 'Raw product rows that failed cleaning, untouched, with reject_reason.';
COMMENT ON TABLE staging.orders_rejects IS 'Raw order rows that failed cleaning, untouched, with reject_reason.';
COMMENT ON TABLE staging.order_items_rejects IS 'Raw order line rows that failed cleaning, untouched, with reject_reason.';
