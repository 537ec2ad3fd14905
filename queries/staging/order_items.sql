-- Staging verdicts for raw.order_items: the twin of engine.staging.clean_order_items.
-- Business rules (docs/staging-rules.md, "order_items"): key order_item_id; exact
-- copies are dropped; a missing discount means none was given (0); the earliest valid
-- row per id wins and a later valid one conflicts; the order, then the product, must
-- be in clean staging, an unknown id told apart from a rejected one.
-- Cleaning: unit price to exact cents, discount to an exact percentage.
--
-- One row per raw row, in no particular order (the runner sorts), with `is_duplicate`,
-- `reject_reason` (the first rule the row fails, in REASONS order) and `staged` (the
-- cleaned values under the staging.order_items column names). Needs the macros in
-- queries/staging/_macros.sql, and staging.orders and staging.products (this run's
-- clean parents), which the runner writes first. $unit_price_limit_cents is 10^p for the
-- column's NUMERIC(p, 2).
WITH normalized AS (
    SELECT
        *,
        struct_pack(
            order_item_id := order_item_id,
            order_id := order_id,
            product_id := product_id,
            quantity := quantity,
            unit_price := to_decimal_money(unit_price),
            -- An integer percentage; the runner casts it exactly to NUMERIC(5, 2).
            discount_percent := coalesce(discount_percent, 0),
            _source_file := _source_file,
            _partition_date := _partition_date
        ) AS staged
    FROM raw.order_items
),

copies AS (
    -- Step 2: a row equal to an earlier one in every source column (nulls equal) is
    -- a copy. Rows without a key are never copies: each is rejected on its own.
    SELECT
        *,
        order_item_id IS NOT NULL
        AND row_number() OVER (
            PARTITION BY
                order_item_id, order_id, product_id, quantity, unit_price, discount_percent
            ORDER BY _partition_date, _source_file, _source_row
        ) > 1 AS is_duplicate
    FROM normalized
),

judged AS (
    -- Steps 1, 3 and 4: the first row-level rule the row fails.
    SELECT
        *,
        CASE
            WHEN is_duplicate THEN NULL
            WHEN order_item_id IS NULL THEN 'null_order_item_id'
            WHEN order_id IS NULL THEN 'null_order_id'
            WHEN product_id IS NULL THEN 'null_product_id'
            WHEN quantity IS NULL THEN 'null_quantity'
            WHEN is_missing(unit_price) THEN 'null_unit_price'
            WHEN quantity <= 0 THEN 'non_positive_quantity'
            WHEN unit_price < 0 THEN 'negative_unit_price'
            WHEN money_too_large(unit_price, $unit_price_limit_cents)
                THEN 'unit_price_too_large'
            WHEN staged.discount_percent NOT BETWEEN 0 AND 100
                THEN 'discount_out_of_range'
        END AS reject_reason
    FROM copies
),

key_checked AS (
    -- Step 5: among the rows still in the running, the earliest of an id wins and
    -- every later one conflicts with it.
    SELECT * REPLACE (
        CASE
            WHEN is_duplicate OR reject_reason IS NOT NULL THEN reject_reason
            WHEN row_number() OVER running_rows_of_key > 1 THEN 'duplicate_key_conflict'
        END AS reject_reason
    )
    FROM judged
    WINDOW running_rows_of_key AS (
        -- Rows out of the running form partitions of their own, so they never win.
        PARTITION BY order_item_id, is_duplicate OR reject_reason IS NOT NULL
        ORDER BY
            _partition_date, _source_file, _source_row
    )
),

orders_sent AS (
    -- Every order id the source sent, and whether it reached clean staging.
    SELECT order_id, order_id IN (SELECT order_id FROM staging.orders) AS is_staged
    FROM raw.orders
    WHERE order_id IS NOT NULL
    GROUP BY order_id
),

order_checked AS (
    -- Step 6, for the rows still in the running: the order must be staged...
    SELECT i.* REPLACE (
        CASE
            WHEN i.is_duplicate OR i.reject_reason IS NOT NULL THEN i.reject_reason
            WHEN o.is_staged THEN NULL
            WHEN o.order_id IS NULL THEN 'order_unknown'
            ELSE 'order_rejected'
        END AS reject_reason
    )
    FROM key_checked AS i
    LEFT JOIN orders_sent AS o ON o.order_id = i.order_id
),

products_sent AS (
    SELECT product_id, product_id IN (SELECT product_id FROM staging.products) AS is_staged
    FROM raw.products
    WHERE product_id IS NOT NULL
    GROUP BY product_id
)

-- ...and then the product.
SELECT i.* REPLACE (
    CASE
        WHEN i.is_duplicate OR i.reject_reason IS NOT NULL THEN i.reject_reason
        WHEN p.is_staged THEN NULL
        WHEN p.product_id IS NULL THEN 'product_unknown'
        ELSE 'product_rejected'
    END AS reject_reason
)
FROM order_checked AS i
LEFT JOIN products_sent AS p ON p.product_id = i.product_id
