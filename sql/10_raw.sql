-- Raw layer: source values exactly as delivered (float money, untrimmed text), plus
-- lineage. One row per source row; `_source_file` is relative to the data directory
-- and `_source_row` is the row's position in that file.
CREATE TABLE IF NOT EXISTS raw.customers (
    customer_id BIGINT,  -- Customer id as delivered.
    customer_name TEXT,  -- Customer name as delivered (untrimmed, any casing).
    email TEXT,  -- Email as delivered (may be invalid or padded).
    country TEXT,  -- Country as delivered; may be null.
    signup_date DATE,  -- Day the customer signed up.
    customer_segment TEXT,  -- Segment as delivered: Premium, Standard or Basic.
    _source_file TEXT NOT NULL,  -- Source Parquet file, relative to the data directory (e.g. orders/2025-03-01/data.parquet).
    _source_row BIGINT NOT NULL,  -- Position of the row in its source file, from 0.
    _partition_date DATE NOT NULL,  -- Date of the partition folder the row came from.
    _ingested_at TIMESTAMPTZ NOT NULL  -- When the run that ingested the row started (UTC).
);

CREATE TABLE IF NOT EXISTS raw.products (
    product_id BIGINT,  -- Product id as delivered.
    product_name TEXT,  -- Product name as delivered (untrimmed, any casing).
    category TEXT,  -- Product category as delivered.
    price DOUBLE PRECISION,  -- List price in dollars as delivered (a float).
    cost DOUBLE PRECISION,  -- Unit cost in dollars as delivered (a float).
    _source_file TEXT NOT NULL,  -- Source Parquet file, relative to the data directory (e.g. orders/2025-03-01/data.parquet).
    _source_row BIGINT NOT NULL,  -- Position of the row in its source file, from 0.
    _partition_date DATE NOT NULL,  -- Date of the partition folder the row came from.
    _ingested_at TIMESTAMPTZ NOT NULL  -- When the run that ingested the row started (UTC).
);

CREATE TABLE IF NOT EXISTS raw.orders (
    order_id BIGINT,  -- Order id as delivered.
    customer_id BIGINT,  -- Customer who placed the order, as delivered.
    order_date DATE,  -- Day the order was placed.
    order_status TEXT,  -- Status as delivered (any casing, may be padded or unknown).
    total_amount DOUBLE PRECISION,  -- Order total in dollars as delivered (a float).
    _source_file TEXT NOT NULL,  -- Source Parquet file, relative to the data directory (e.g. orders/2025-03-01/data.parquet).
    _source_row BIGINT NOT NULL,  -- Position of the row in its source file, from 0.
    _partition_date DATE NOT NULL,  -- Date of the partition folder the row came from.
    _ingested_at TIMESTAMPTZ NOT NULL  -- When the run that ingested the row started (UTC).
);

CREATE TABLE IF NOT EXISTS raw.order_items (
    order_item_id BIGINT,  -- Order line id as delivered.
    order_id BIGINT,  -- Order the line belongs to, as delivered.
    product_id BIGINT,  -- Product on the line, as delivered.
    quantity BIGINT,  -- Units ordered, as delivered.
    unit_price DOUBLE PRECISION,  -- Price per unit in dollars as delivered (a float).
    discount_percent BIGINT,  -- Discount in percent as delivered (0-100 when valid).
    _source_file TEXT NOT NULL,  -- Source Parquet file, relative to the data directory (e.g. orders/2025-03-01/data.parquet).
    _source_row BIGINT NOT NULL,  -- Position of the row in its source file, from 0.
    _partition_date DATE NOT NULL,  -- Date of the partition folder the row came from.
    _ingested_at TIMESTAMPTZ NOT NULL  -- When the run that ingested the row started (UTC).
);

COMMENT ON TABLE raw.customers IS 'Customer rows exactly as delivered, one per source row, with lineage (_source_file, _source_row, _partition_date, _ingested_at).';
COMMENT ON TABLE raw.products IS 'Product rows exactly as delivered (float prices, untrimmed text), one per source row, with lineage.';
COMMENT ON TABLE raw.orders IS 'Order rows exactly as delivered (float totals), one per source row, with lineage.';
COMMENT ON TABLE raw.order_items IS 'Order line rows exactly as delivered (float prices), one per source row, with lineage.';
