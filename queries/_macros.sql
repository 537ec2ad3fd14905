-- Revenue rules shared by the prod SQL twins: the DuckDB twins of queries/_revenue.py,
-- with the same names. Money stays integral until the end: a line amount is
-- quantity * price cents * (10000 - discount hundredths) in 1e-6 dollars, so sums are
-- exact in HUGEINT, and each aggregate is rounded half-up to cents once.
-- The runner creates them as TEMP macros on its connection and drops them after.

-- Line amounts are in 1e-6 dollars: price in cents times discount in 1e-4 units.
CREATE OR REPLACE TEMP MACRO micros_per_cent() AS 10000;

-- Items of completed orders with their exact amount: the base of every figure.
-- An inner join, so a completed order without items counts nowhere.
CREATE OR REPLACE TEMP MACRO completed_lines() AS TABLE
    SELECT
        o.order_id,
        o.customer_id,
        o.order_date,
        i.product_id,
        i.quantity,
        CAST(i.quantity AS HUGEINT)
            * CAST(i.unit_price * 100 AS HUGEINT)
            * (10000 - CAST(i.discount_percent * 100 AS HUGEINT)) AS amount_micros
    FROM staging.orders AS o
    JOIN staging.order_items AS i ON i.order_id = o.order_id
    WHERE o.order_status = 'completed';

-- Integer numerator / positive denominator, rounded half away from zero (Python's
-- ROUND_HALF_UP); `//` truncates, so round the magnitude and re-sign.
CREATE OR REPLACE TEMP MACRO round_half_up_div(numerator, denominator) AS
    SIGN(numerator) * ((2 * ABS(numerator) + denominator) // (2 * denominator));

-- Integer cents as the prod tables' DECIMAL(15, 2). DECIMAL / integer gives DOUBLE in
-- DuckDB; DECIMAL * 0.01 stays exact.
CREATE OR REPLACE TEMP MACRO cents_to_decimal(cents) AS
    CAST(CAST(cents AS DECIMAL(36, 0)) * 0.01 AS DECIMAL(15, 2));

-- The exact revenue sum rounded half-up to cents, once.
CREATE OR REPLACE TEMP MACRO total_revenue(micros) AS
    cents_to_decimal(round_half_up_div(micros, micros_per_cent()));

-- Exact revenue / orders rounded half-up to cents (from the unrounded sum).
CREATE OR REPLACE TEMP MACRO avg_order_value(micros, orders) AS
    cents_to_decimal(
        round_half_up_div(micros, micros_per_cent() * CAST(orders AS HUGEINT))
    );
