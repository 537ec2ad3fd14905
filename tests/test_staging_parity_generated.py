from __future__ import annotations

import dataclasses
import datetime as dt
from typing import TYPE_CHECKING

import pytest

from engine import raw, warehouse
from engine.generate import DirtRates, generate_dataset
from engine.staging import REASONS
from engine.staging_sql import build_staging_sql
from tests.staging_engines import INGESTED, assert_engines_agree
from tests.staging_rows import reasons

if TYPE_CHECKING:
    import duckdb

# --- generated data ----------------------------------------------------------------


def ingest(data_dir, path) -> duckdb.DuckDBPyConnection:
    con = warehouse.open_warehouse(path)
    with warehouse.transaction(con):
        raw.ingest_raw(con, data_dir, run_id="t", ingested_at=INGESTED)
    return con


# Dirt the generator does not make: NaN/inf/huge money, blanks, null keys, emails
# repeated in another case, later versions of a key, conflicts and copies inside the
# latest product snapshot, orphans. New rows get lineage past the file's last row.
EXTRA_DIRT = """
INSERT INTO raw.customers
SELECT customer_id + 1000000, customer_name, ' ' || upper(email) || chr(160), country,
       signup_date, customer_segment, _source_file, _source_row + 100000,
       _partition_date, _ingested_at
FROM raw.customers WHERE customer_id % 5 = 0;
INSERT INTO raw.customers
SELECT customer_id, customer_name || ' Jr', email, country, signup_date,
       customer_segment, _source_file, _source_row + 200000, _partition_date,
       _ingested_at
FROM raw.customers WHERE customer_id % 7 = 0 AND customer_id < 1000000;
UPDATE raw.customers SET customer_name = upper(customer_name) WHERE customer_id % 3 = 0;
UPDATE raw.customers SET customer_name = chr(9) || chr(8195) WHERE customer_id % 11 = 1;
UPDATE raw.customers SET email = NULL WHERE customer_id % 23 = 5;
UPDATE raw.customers SET signup_date = NULL WHERE customer_id % 19 = 4;
UPDATE raw.customers SET signup_date = _partition_date + 2 WHERE customer_id % 29 = 3;
UPDATE raw.customers SET country = NULL, customer_segment = '  '
WHERE customer_id % 17 = 0;
UPDATE raw.customers SET customer_id = NULL WHERE customer_id % 13 = 2;

UPDATE raw.products SET product_name = lower(product_name) WHERE product_id % 2 = 0;
UPDATE raw.products SET price = price + 1
WHERE product_id % 5 = 0 AND _partition_date < DATE '2025-01-10';
UPDATE raw.products SET price = CASE product_id % 6
    WHEN 0 THEN 'nan'::DOUBLE WHEN 1 THEN NULL WHEN 2 THEN 'inf'::DOUBLE
    WHEN 3 THEN 1e8 WHEN 4 THEN -0.01 ELSE 99999999.994 END
WHERE product_id % 7 = 0 AND _partition_date = DATE '2025-01-10';
UPDATE raw.products SET cost = CASE product_id // 4 % 3
    WHEN 0 THEN 'nan'::DOUBLE WHEN 1 THEN -1 ELSE 1e20 END
WHERE product_id % 4 = 1 AND _partition_date = DATE '2025-01-10';
UPDATE raw.products SET category = ' ' WHERE product_id % 13 = 0;
UPDATE raw.products SET product_name = NULL WHERE product_id % 17 = 0;
INSERT INTO raw.products
SELECT product_id, product_name, category, price + 0.5, cost, _source_file,
       _source_row + 100000, _partition_date, _ingested_at
FROM raw.products WHERE product_id % 9 = 1 AND _partition_date = DATE '2025-01-10';
INSERT INTO raw.products
SELECT * REPLACE (_source_row + 200000 AS _source_row)
FROM raw.products WHERE product_id % 10 = 3 AND _partition_date = DATE '2025-01-10';
UPDATE raw.products SET product_id = NULL WHERE product_id % 19 = 0;

UPDATE raw.orders SET total_amount = CASE order_id % 5
    WHEN 0 THEN 'nan'::DOUBLE WHEN 1 THEN 1e10 WHEN 2 THEN 0.125 WHEN 3 THEN -0.125
    ELSE 2.675 END
WHERE order_id % 13 = 0;
UPDATE raw.orders SET order_status = CASE order_id % 3
    WHEN 0 THEN '  ' WHEN 1 THEN ' PENDİNG' ELSE 'Returned' || chr(160) END
WHERE order_id % 17 = 0;
UPDATE raw.orders SET order_date = NULL WHERE order_id % 29 = 0;
UPDATE raw.orders SET order_date = CASE order_id % 3
    WHEN 0 THEN DATE '0001-01-01' WHEN 1 THEN DATE '1850-01-01' ELSE DATE '9999-12-31' END
WHERE order_id % 47 = 0;
UPDATE raw.orders SET total_amount = NULL WHERE order_id % 37 = 0;
INSERT INTO raw.orders
SELECT order_id, customer_id, order_date, 'cancelled', total_amount, _source_file,
       _source_row + 100000, _partition_date, _ingested_at
FROM raw.orders WHERE order_id % 8 = 0;
UPDATE raw.orders SET customer_id = NULL WHERE order_id % 43 = 0;
UPDATE raw.orders SET order_id = NULL WHERE order_id % 31 = 0;

UPDATE raw.order_items SET discount_percent = NULL WHERE order_item_id % 6 = 0;
UPDATE raw.order_items SET unit_price = CASE order_item_id % 4
    WHEN 0 THEN 'nan'::DOUBLE WHEN 1 THEN 'inf'::DOUBLE WHEN 2 THEN 1e19 ELSE NULL END
WHERE order_item_id % 37 = 0;
UPDATE raw.order_items SET order_id = order_id + 1000000000 WHERE order_item_id % 41 = 0;
INSERT INTO raw.order_items
SELECT order_item_id, order_id, product_id, quantity + 1, unit_price,
       discount_percent, _source_file, _source_row + 100000, _partition_date,
       _ingested_at
FROM raw.order_items WHERE order_item_id % 10 = 0;
UPDATE raw.order_items SET quantity = NULL WHERE order_item_id % 43 = 0;
UPDATE raw.order_items SET product_id = NULL WHERE order_item_id % 47 = 0;
UPDATE raw.order_items SET order_id = NULL WHERE order_item_id % 53 = 0;
UPDATE raw.order_items SET order_item_id = NULL WHERE order_item_id % 59 = 0;
"""


@pytest.fixture(scope="module")
def month_con(generated_dir, tmp_path_factory):
    """The conftest month (scale 0.3, seed 7) in a real raw layer."""
    con = ingest(generated_dir, tmp_path_factory.mktemp("parity") / "month.duckdb")
    yield con
    con.close()


@pytest.fixture(scope="module")
def dirty_con(tmp_path_factory):
    """Ten days with every dirt rate at 0.2, plus the dirt in EXTRA_DIRT."""
    root = tmp_path_factory.mktemp("dirty")
    rates = DirtRates(**{f.name: 0.2 for f in dataclasses.fields(DirtRates)})
    generate_dataset(
        root / "data",
        start=dt.date(2025, 1, 1),
        end=dt.date(2025, 1, 10),
        scale=0.3,
        seed=11,
        dirt=rates,
    )
    con = ingest(root / "data", root / "dirty.duckdb")
    with warehouse.transaction(con):
        con.execute(EXTRA_DIRT)
    yield con
    con.close()


def test_generated_month_agrees(month_con):
    result = assert_engines_agree(month_con)
    assert result["order_items"].clean.height > 5_000
    assert sum(r.rejects.height for r in result.values()) > 500
    assert sum(r.duplicates for r in result.values()) > 500


def test_dirty_data_agrees_and_hits_every_reason(dirty_con):
    result = assert_engines_agree(dirty_con)
    seen = {(e, code) for e, r in result.items() for code in reasons(r)}
    expected = {(e, code) for e, codes in REASONS.items() for code in codes}
    assert expected - seen == set()
    for entity, r in result.items():
        rows = warehouse.count_rows(dirty_con, f"raw.{entity}")
        assert rows == r.clean.height + r.rejects.height + r.duplicates, entity
        assert r.clean.height > 0, entity


# --- the SQL runner on the generated month --------------------------------------


def test_runner_leaves_no_trace_and_writes_only_staging(month_con):
    def temp_objects():
        return month_con.sql(
            "SELECT function_name FROM duckdb_functions() WHERE database_name = 'temp' "
            "UNION ALL SELECT view_name FROM duckdb_views() WHERE temporary "
            "UNION ALL SELECT table_name FROM duckdb_tables() WHERE temporary"
        ).fetchall()

    def tables():
        return month_con.sql(
            "SELECT schema_name, table_name, estimated_size > 0 FROM duckdb_tables() "
            "WHERE NOT temporary AND schema_name <> 'staging' ORDER BY ALL"
        ).fetchall()

    before, written = temp_objects(), tables()
    with warehouse.transaction(month_con):
        counts = build_staging_sql(month_con)
    assert temp_objects() == before
    assert tables() == written
    for entity, count in counts.items():
        assert warehouse.count_rows(month_con, f"staging.{entity}") == count.clean
