-- Staging verdicts for raw.products: the twin of engine.staging.clean_products.
-- Business rules (docs/staging-rules.md, "products"): key product_id; files are daily
-- snapshots of the whole catalog, so the latest snapshot wins and every row from an
-- older partition is a superseded snapshot, dropped whether or not it differs. The
-- latest row is validated on its own (an invalid one is not replaced by an older
-- version); two different rows of a product in its latest snapshot conflict.
-- Cleaning: name standardized, category trimmed, price and cost to exact cents.
--
-- One row per raw row, in no particular order (the runner sorts), with `is_duplicate`,
-- `reject_reason` (the first rule the row fails, in REASONS order) and `staged` (the
-- cleaned values under the staging.products column names). Needs the macros in
-- queries/staging/_macros.sql. $price_limit_cents and $cost_limit_cents are 10^p for
-- the columns' NUMERIC(p, 2).
WITH normalized AS (
    SELECT
        *,
        struct_pack(
            product_id := product_id,
            product_name := standardize_name(product_name),
            category := trim_blank(category),
            price := to_decimal_money(price),
            cost := to_decimal_money(cost),
            _source_file := _source_file,
            _partition_date := _partition_date
        ) AS staged
    FROM raw.products
),

snapshots AS (
    -- A row from an older partition than its product's latest one is history.
    SELECT
        *,
        product_id IS NOT NULL
        AND _partition_date < max(_partition_date) OVER (PARTITION BY product_id)
            AS superseded
    FROM normalized
),

copies AS (
    -- Step 2: superseded snapshots, and copies of an earlier row (equal in every
    -- source column, nulls equal) among the latest rows only: the latest snapshot is
    -- usually identical to older ones and must not count as a copy of them.
    SELECT
        * EXCLUDE (superseded),
        superseded
        OR (
            product_id IS NOT NULL
            AND row_number() OVER (
                PARTITION BY product_id, product_name, category, price, cost, superseded
                ORDER BY _partition_date, _source_file, _source_row
            ) > 1
        ) AS is_duplicate
    FROM snapshots
),

judged AS (
    -- Steps 1, 3 and 4: the first row-level rule the row fails.
    SELECT
        *,
        CASE
            WHEN is_duplicate THEN NULL
            WHEN product_id IS NULL THEN 'null_product_id'
            WHEN staged.product_name IS NULL THEN 'null_product_name'
            WHEN staged.category IS NULL THEN 'null_category'
            WHEN is_missing(price) THEN 'null_price'
            WHEN is_missing(cost) THEN 'null_cost'
            WHEN price < 0 THEN 'negative_price'
            WHEN money_too_large(price, $price_limit_cents) THEN 'price_too_large'
            WHEN cost < 0 THEN 'negative_cost'
            WHEN money_too_large(cost, $cost_limit_cents) THEN 'cost_too_large'
        END AS reject_reason
    FROM copies
)

-- Step 5: among the rows still in the running (all in their product's latest
-- snapshot), the earliest of an id wins and every later one conflicts with it.
SELECT * REPLACE (
    CASE
        WHEN is_duplicate OR reject_reason IS NOT NULL THEN reject_reason
        WHEN row_number() OVER running_rows_of_key > 1 THEN 'duplicate_key_conflict'
    END AS reject_reason
)
FROM judged
WINDOW running_rows_of_key AS (
    -- Rows out of the running form partitions of their own, so they never win.
    PARTITION BY product_id, is_duplicate OR reject_reason IS NOT NULL
    ORDER BY
        _partition_date, _source_file, _source_row
)
