-- Raw layer: source values exactly as delivered (float money, untrimmed text), plus
-- lineage. One row per source row; `_source_file` is relative to the data directory
-- and `_source_row` is the row's position in that file.
CREATE TABLE IF NOT EXISTS raw.customers (
    customer_id BIGINT,
    customer_name TEXT,
    email TEXT,
    country TEXT,
    signup_date DATE,
    customer_segment TEXT,
    _source_file TEXT NOT NULL,
    _source_row BIGINT NOT NULL,
    _partition_date DATE NOT NULL,
    _ingested_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE IF NOT EXISTS raw.products (
    product_id BIGINT,
    product_name TEXT,
    category TEXT,
    price DOUBLE PRECISION,
    cost DOUBLE PRECISION,
    _source_file TEXT NOT NULL,
    _source_row BIGINT NOT NULL,
    _partition_date DATE NOT NULL,
    _ingested_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE IF NOT EXISTS raw.orders (
    order_id BIGINT,
    customer_id BIGINT,
    order_date DATE,
    order_status TEXT,
    total_amount DOUBLE PRECISION,
    _source_file TEXT NOT NULL,
    _source_row BIGINT NOT NULL,
    _partition_date DATE NOT NULL,
    _ingested_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE IF NOT EXISTS raw.order_items (
    order_item_id BIGINT,
    order_id BIGINT,
    product_id BIGINT,
    quantity BIGINT,
    unit_price DOUBLE PRECISION,
    discount_percent BIGINT,
    _source_file TEXT NOT NULL,
    _source_row BIGINT NOT NULL,
    _partition_date DATE NOT NULL,
    _ingested_at TIMESTAMPTZ NOT NULL
);

COMMENT ON TABLE raw.customers IS 'Customer rows exactly as delivered, one per source row, with lineage (_source_file, _source_row, _partition_date, _ingested_at).';
COMMENT ON TABLE raw.products IS 'Product rows exactly as delivered (float prices, untrimmed text), one per source row, with lineage.';
COMMENT ON TABLE raw.orders IS 'Order rows exactly as delivered (float totals), one per source row, with lineage.';
COMMENT ON TABLE raw.order_items IS 'Order line rows exactly as delivered (float prices), one per source row, with lineage.';
