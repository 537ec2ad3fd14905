-- Staging verdicts for raw.customers: the twin of engine.staging.clean_customers.
-- Business rules (docs/staging-rules.md, "customers"): key customer_id; exact copies
-- are dropped; the earliest valid row per id wins and a later valid one conflicts;
-- a kept email (trimmed, lower-cased) belongs to one customer only.
-- Cleaning: name standardized, email normalized, country and segment squished with
-- the defaults 'Unknown' and 'Standard'.
--
-- One row per raw row, in no particular order (the runner sorts), with `is_duplicate`,
-- `reject_reason` (the first rule the row fails, in REASONS order) and `staged` (the
-- cleaned values under the staging.customers column names). Needs the macros in
-- queries/staging/_macros.sql; $earliest_date and $future_days are the date window
-- (EARLIEST_DATE, FUTURE_DAYS in engine/staging_rules.py).
WITH normalized AS (
    SELECT
        *,
        struct_pack(
            customer_id := customer_id,
            customer_name := standardize_name(customer_name),
            email := normalize_email(email),
            country := coalesce(squish(country), 'Unknown'),
            signup_date := signup_date,
            customer_segment := coalesce(squish(customer_segment), 'Standard'),
            _source_file := _source_file,
            _partition_date := _partition_date
        ) AS staged
    FROM raw.customers
),

copies AS (
    -- Step 2: a row equal to an earlier one in every source column (nulls equal) is
    -- a copy. Rows without a key are never copies: each is rejected on its own.
    SELECT
        *,
        customer_id IS NOT NULL
        AND row_number() OVER (
            PARTITION BY
                customer_id, customer_name, email, country, signup_date, customer_segment
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
            WHEN customer_id IS NULL THEN 'null_customer_id'
            WHEN staged.customer_name IS NULL THEN 'null_customer_name'
            WHEN staged.email IS NULL THEN 'null_email'
            WHEN signup_date IS NULL THEN 'null_signup_date'
            WHEN NOT is_valid_email(staged.email) THEN 'invalid_email'
            WHEN signup_date < $earliest_date
                OR signup_date > _partition_date + $future_days
                THEN 'signup_date_out_of_range'
        END AS reject_reason
    FROM copies
),

key_checked AS (
    -- Step 5: among the rows still in the running, the earliest of an id wins and
    -- every later one conflicts with it...
    SELECT * REPLACE (
        CASE
            WHEN is_duplicate OR reject_reason IS NOT NULL THEN reject_reason
            WHEN row_number() OVER running_rows_of_key > 1 THEN 'duplicate_key_conflict'
        END AS reject_reason
    )
    FROM judged
    WINDOW running_rows_of_key AS (
        -- Rows out of the running form partitions of their own, so they never win.
        PARTITION BY customer_id, is_duplicate OR reject_reason IS NOT NULL
        ORDER BY
            _partition_date, _source_file, _source_row
    )
)

-- ...then the earliest customer still in the running keeps an email, and every
-- later one repeats it.
SELECT * REPLACE (
    CASE
        WHEN is_duplicate OR reject_reason IS NOT NULL THEN reject_reason
        WHEN row_number() OVER running_rows_of_email > 1 THEN 'duplicate_email'
    END AS reject_reason
)
FROM key_checked
WINDOW running_rows_of_email AS (
    PARTITION BY staged.email, is_duplicate OR reject_reason IS NOT NULL
    ORDER BY
        _partition_date, _source_file, _source_row
)
