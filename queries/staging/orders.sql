-- Staging verdicts for raw.orders: the twin of engine.staging.clean_orders.
-- Business rules (docs/staging-rules.md, "orders"): key order_id; exact copies are
-- dropped; the earliest valid row per id wins and a later valid one conflicts; the
-- customer must be in clean staging, a customer the source never sent (unknown) told
-- apart from one whose rows were all rejected (rejected).
-- Cleaning: status trimmed and lower-cased, amount to exact cents.
--
-- One row per raw row, in no particular order (the runner sorts), with `is_duplicate`,
-- `reject_reason` (the first rule the row fails, in REASONS order) and `staged` (the
-- cleaned values under the staging.orders column names). Needs the macros in
-- queries/staging/_macros.sql, and staging.customers (this run's clean customers),
-- which the runner writes first. $order_statuses is ORDER_STATUSES and
-- $total_amount_limit_cents is 10^p for the column's NUMERIC(p, 2); $earliest_date
-- and $future_days are the date window (EARLIEST_DATE, FUTURE_DAYS).
WITH normalized AS (
    SELECT
        *,
        struct_pack(
            order_id := order_id,
            customer_id := customer_id,
            order_date := order_date,
            order_status := lower_full(trim_blank(order_status)),
            total_amount := to_decimal_money(total_amount),
            _source_file := _source_file,
            _partition_date := _partition_date
        ) AS staged
    FROM raw.orders
),

copies AS (
    -- Step 2: a row equal to an earlier one in every source column (nulls equal) is
    -- a copy. Rows without a key are never copies: each is rejected on its own.
    SELECT
        *,
        order_id IS NOT NULL
        AND row_number() OVER (
            PARTITION BY order_id, customer_id, order_date, order_status, total_amount
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
            WHEN order_id IS NULL THEN 'null_order_id'
            WHEN customer_id IS NULL THEN 'null_customer_id'
            WHEN order_date IS NULL THEN 'null_order_date'
            WHEN staged.order_status IS NULL THEN 'null_order_status'
            WHEN is_missing(total_amount) THEN 'null_total_amount'
            WHEN order_date < $earliest_date
                OR order_date > _partition_date + $future_days
                THEN 'order_date_out_of_range'
            WHEN NOT list_contains($order_statuses, staged.order_status)
                THEN 'unknown_status'
            WHEN total_amount < 0 THEN 'negative_total_amount'
            WHEN money_too_large(total_amount, $total_amount_limit_cents)
                THEN 'total_amount_too_large'
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
        PARTITION BY order_id, is_duplicate OR reject_reason IS NOT NULL
        ORDER BY
            _partition_date, _source_file, _source_row
    )
),

customers_sent AS (
    -- Every customer id the source sent, and whether it reached clean staging.
    SELECT
        customer_id,
        customer_id IN (SELECT customer_id FROM staging.customers) AS is_staged
    FROM raw.customers
    WHERE customer_id IS NOT NULL
    GROUP BY customer_id
)

-- Step 6, for the rows still in the running: the customer must be staged.
SELECT o.* REPLACE (
    CASE
        WHEN o.is_duplicate OR o.reject_reason IS NOT NULL THEN o.reject_reason
        WHEN c.is_staged THEN NULL
        WHEN c.customer_id IS NULL THEN 'customer_unknown'
        ELSE 'customer_rejected'
    END AS reject_reason
)
FROM key_checked AS o
LEFT JOIN customers_sent AS c ON c.customer_id = o.customer_id
