from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
import unicodedata
from decimal import Decimal

import duckdb
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from engine import contracts, raw, warehouse
from engine.errors import QueryError
from engine.generate import DirtRates, generate_dataset
from engine.staging import KEYS, REASONS, StagingResult, build_staging
from engine.staging_rules import (
    EMAIL_PATTERN,
    WHITESPACE,
    squish,
    standardize_name,
    title_case,
    trim,
)
from engine.staging_sql import build_staging_sql
from queries import staging as staging_queries
from tests.raw_rows import raw_rows as make_raw_rows

INGESTED = dt.datetime(2025, 2, 1, 6, 0, tzinfo=dt.UTC)
DAY = "2025-01-01"
NAN, INF = float("nan"), float("inf")


def staged_by_sql(con: duckdb.DuckDBPyConnection) -> dict[str, StagingResult]:
    """The SQL engine on the raw tables of `con`, its staging tables read back."""
    counts = build_staging_sql(con)
    assert list(counts) == list(contracts.ENTITIES)
    results = {}
    for entity, count in counts.items():
        results[entity] = StagingResult(
            clean=warehouse.read_table(con, f"staging.{entity}"),
            rejects=warehouse.read_table(con, f"staging.{entity}_rejects"),
            duplicates=count.duplicates,
        )
        assert results[entity].counts() == count, entity
    return results


def assert_engines_agree(con: duckdb.DuckDBPyConnection) -> dict[str, StagingResult]:
    """Both engines on the raw tables of `con`; returns the Polars result."""
    by_polars = build_staging(
        {e: warehouse.read_table(con, f"raw.{e}").lazy() for e in contracts.ENTITIES}
    )
    by_sql = staged_by_sql(con)
    for entity in contracts.ENTITIES:
        expected, got = by_polars[entity], by_sql[entity]
        for part in ("clean", "rejects"):
            assert_frame_equal(
                getattr(got, part),
                getattr(expected, part),
                check_exact=True,
                check_dtypes=True,
                check_row_order=True,
            )
        assert got.duplicates == expected.duplicates, entity
    return by_polars


def reasons(result: StagingResult) -> list[str]:
    return result.rejects["reject_reason"].to_list()


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


# --- hand-made raw rows --------------------------------------------------------------

BASE = {
    "customers": {
        "customer_id": 1,
        "customer_name": "Ada Lovelace",
        "email": "ada@example.com",
        "country": "UK",
        "signup_date": dt.date(2024, 1, 1),
        "customer_segment": "Premium",
    },
    "products": {
        "product_id": 10,
        "product_name": "Desk Lamp",
        "category": "Home",
        "price": 19.99,
        "cost": 7.5,
    },
    "orders": {
        "order_id": 100,
        "customer_id": 1,
        "order_date": dt.date(2024, 2, 1),
        "order_status": "completed",
        "total_amount": 19.99,
    },
    "order_items": {
        "order_item_id": 1000,
        "order_id": 100,
        "product_id": 10,
        "quantity": 1,
        "unit_price": 19.99,
        "discount_percent": 10,
    },
}
# Customer 1, product 10 and order 100 are staged; customer 2 (bad email), product 11
# (negative price) and order 101 (of customer 2) are rejected.
PARENTS = {
    "customers": [{"customer_id": 1}, {"customer_id": 2, "email": "not an email"}],
    "products": [{"product_id": 10}, {"product_id": 11, "price": -1.0}],
    "orders": [{"order_id": 100}, {"order_id": 101, "customer_id": 2}],
    "order_items": [],
}


def raw_rows(entity: str, rows: list[dict]) -> pl.DataFrame:
    return make_raw_rows(entity, rows, base=BASE, day=DAY, ingested=INGESTED)


def run_both(*, parents: bool = True, **rows: list[dict]) -> dict[str, StagingResult]:
    """Both engines on PARENTS (unless `parents=False`) plus `rows` per entity."""
    con = duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        warehouse.setup_warehouse(con)
        frames = {
            f"raw.{entity}": raw_rows(
                entity, (PARENTS[entity] if parents else []) + rows.get(entity, [])
            )
            for entity in contracts.ENTITIES
        }
        with warehouse.transaction(con):
            warehouse.replace_tables(con, frames)
        return assert_engines_agree(con)
    finally:
        con.close()


def clean_value(result: StagingResult, key: int, column: str) -> object:
    entity_key = result.clean.columns[0]
    return result.clean.filter(pl.col(entity_key) == key)[column].item()


NAMES = {
    "McCarthy": "McCarthy",
    "Jane Doe PhD": "Jane Doe PhD",
    "o'brien-smith": "O'Brien-Smith",
    "O'BRIEN-SMITH": "O'Brien-Smith",
    "O'Brien-smith": "O'Brien-smith",
    "ÉMILE": "Émile",
    "émile zola": "Émile Zola",
    "mary 3rd": "Mary 3rd",
    "JOHN MCDONALD": "John Mcdonald",
    "JEAN-LUC PICARD": "Jean-Luc Picard",
    "anne-marie d'arc": "Anne-Marie D'Arc",
    "'tis": "'Tis",
    "a--b": "A--B",
    "ada   lovelace": "Ada Lovelace",
    "\tada\u00a0\u00a0lovelace\u2003\n": "Ada Lovelace",
    "van der Berg": "van der Berg",
    "x": "X",
    "ΟΔΥΣΣΕΑΣ": "Οδυσσεας",
    "ΣΑΣ ΚΑΣ-ΣΑΣ": "Σας Κας-Σας",
    "ΑΣ'Β": "Ασ'Β",  # noqa: RUF001 (Greek on purpose)
    "ΑΣ.": "Ας.",
    "İBRAHİM YILDIZ": "I\u0307brahi\u0307m Yildiz",
    "ßauer": "ßauer",
    "ﬁsh market": "ﬁsh Market",
    "ǅOKIĆ": "Ǆokić",
    "zero\u200bwidth": "Zero\u200bwidth",
}


# Each test below builds one raw world holding all its cases under their own keys:
# a world costs both engines' fixed overhead, so cases share it.


def test_name_standardization_agrees():
    cases = list(NAMES.items())
    result = run_both(
        customers=[
            {"customer_id": 100 + i, "customer_name": name, "email": f"n{i}@x.org"}
            for i, (name, _) in enumerate(cases)
        ],
        products=[
            {"product_id": 100 + i, "product_name": name}
            for i, (name, _) in enumerate(cases)
        ],
    )
    for i, (name, expected) in enumerate(cases):
        got = clean_value(result["customers"], 100 + i, "customer_name")
        assert got == expected, name
        assert clean_value(result["products"], 100 + i, "product_name") == expected


BLANKS = ["", " ", "\t", "\u00a0", "\u2003\n", "\u3000", "\r\x0b\x0c\x85"]


def test_whitespace_only_text_is_missing_in_both():
    customers, products, orders = [], [], []
    for i, blank in enumerate(BLANKS):
        k = 100 + 10 * i
        customers += [
            {"customer_id": k, "customer_name": blank, "email": f"a{k}@x.org"},
            {"customer_id": k + 1, "email": blank},
            {"customer_id": k + 2, "email": f"c{k}@x.org", "country": blank},
            {"customer_id": k + 3, "email": f"d{k}@x.org", "customer_segment": blank},
            # a zero-width space is not whitespace (Unicode: format character)
            {"customer_id": k + 4, "email": f"e{k}@x.org", "customer_name": "\u200b"},
        ]
        products.append({"product_id": k, "category": blank})
        orders.append({"order_id": k, "order_status": blank})
    result = run_both(customers=customers, products=products, orders=orders)
    by_reason = result["customers"].rejects.group_by("reject_reason").len()
    assert dict(by_reason.iter_rows()) == {
        "invalid_email": 1,
        "null_customer_name": len(BLANKS),
        "null_email": len(BLANKS),
    }
    for i in range(len(BLANKS)):
        k = 100 + 10 * i
        assert clean_value(result["customers"], k + 2, "country") == "Unknown"
        assert clean_value(result["customers"], k + 3, "customer_segment") == "Standard"
        assert clean_value(result["customers"], k + 4, "customer_name") == "\u200b"
    assert reasons(result["products"])[1:] == ["null_category"] * len(BLANKS)
    assert reasons(result["orders"])[1:] == ["null_order_status"] * len(BLANKS)


def test_emails_differing_by_case_or_padding_are_one_address():
    result = run_both(
        customers=[
            {"customer_id": 5, "email": "Grace@Example.com"},
            {"customer_id": 6, "email": " grace@example.com\u00a0"},
            {"customer_id": 7, "email": "\tGRACE@EXAMPLE.COM"},
            # Kelvin sign: both engines lower-case it to an ASCII 'k'.
            {"customer_id": 8, "email": "\u212aate@example.com"},
            # Dotted capital I lower-cases to 'i' plus a combining dot: not ASCII.
            {"customer_id": 9, "email": "\u0130nfo@example.com"},
        ]
    )
    customers = result["customers"]
    assert clean_value(customers, 5, "email") == "grace@example.com"
    assert clean_value(customers, 8, "email") == "kate@example.com"
    assert reasons(customers) == [
        "invalid_email",
        "duplicate_email",
        "duplicate_email",
        "invalid_email",
    ]


def test_order_status_agrees():
    statuses = {
        " Completed ": "completed",
        "PENDING": "pending",
        "cancelled\u00a0": "cancelled",
        "Returned": "returned",
        "PENDİNG": None,  # 'İ' lower-cases to 'i' plus a combining dot
        "done": None,
    }
    result = run_both(
        orders=[
            {"order_id": 200 + i, "order_status": status}
            for i, status in enumerate(statuses)
        ]
    )
    for i, expected in enumerate(statuses.values()):
        clean = result["orders"].clean.filter(pl.col("order_id") == 200 + i)
        assert clean["order_status"].to_list() == ([expected] if expected else [])


MONEY = [
    (0.29, "0.29"),
    (19.99, "19.99"),
    (0.125, "0.13"),
    (-0.125, None),
    (1.005, "1.00"),
    (2.675, "2.68"),
    (0.005, "0.01"),
    (0.0049999999999999, "0.00"),
    (-0.0, "0.00"),
    (5e-324, "0.00"),
    (99999999.99, "99999999.99"),
    (99999999.994, "99999999.99"),
    (99999999.995, None),
    (1e8, None),
    (1e15, None),
    (1e19, None),
    (-1e19, None),
    (1.7e308, None),
    (NAN, None),
    (INF, None),
    (-INF, None),
    (None, None),
]


def test_money_agrees():
    result = run_both(
        products=[
            {"product_id": 100 + i, "price": amount, "cost": amount}
            for i, (amount, _) in enumerate(MONEY)
        ],
        orders=[
            {"order_id": 200 + i, "total_amount": amount}
            for i, (amount, _) in enumerate(MONEY)
        ],
        order_items=[
            {"order_item_id": 1000 + i, "unit_price": amount}
            for i, (amount, _) in enumerate(MONEY)
        ],
    )
    for i, (amount, expected) in enumerate(MONEY):
        for entity, key, column in [
            ("products", 100 + i, "price"),
            ("products", 100 + i, "cost"),
            ("orders", 200 + i, "total_amount"),
            ("order_items", 1000 + i, "unit_price"),
        ]:
            clean = result[entity].clean.filter(pl.col(KEYS[entity]) == key)
            got = clean[column].to_list()
            assert got == ([Decimal(expected)] if expected else []), (amount, column)


def test_discount_agrees():
    discounts = {None: "0.00", 0: "0.00", 100: "100.00", -1: None, 101: None}
    result = run_both(
        order_items=[
            {"order_item_id": 1000 + i, "discount_percent": discount}
            for i, discount in enumerate(discounts)
        ]
    )
    items = result["order_items"]
    assert reasons(items) == ["discount_out_of_range"] * 2
    assert items.clean["discount_percent"].to_list() == [
        Decimal(v) for v in discounts.values() if v
    ]


# (entity, raw row, the code it must get): rows failing several rules at once.
PRIORITY = [
    (
        "customers",
        {"customer_name": None, "email": "bad", "signup_date": None},
        "null_customer_name",
    ),
    ("customers", {"email": " ", "signup_date": None}, "null_email"),
    ("customers", {"email": "bad", "signup_date": None}, "null_signup_date"),
    ("products", {"price": NAN, "cost": -1.0}, "null_price"),
    ("products", {"price": -1.0, "cost": INF}, "negative_price"),
    ("products", {"price": INF, "cost": -1.0}, "price_too_large"),
    ("products", {"cost": 1e12, "category": None}, "null_category"),
    (
        "orders",
        {"order_status": "lost", "total_amount": -1.0, "customer_id": 3},
        "unknown_status",
    ),
    ("orders", {"total_amount": NAN, "order_status": "lost"}, "null_total_amount"),
    ("orders", {"total_amount": 1e10, "customer_id": 3}, "total_amount_too_large"),
    ("orders", {"customer_id": None, "order_date": None}, "null_customer_id"),
    (
        "orders",
        {"order_date": dt.date(1, 1, 1), "order_status": "lost", "total_amount": NAN},
        "null_total_amount",
    ),
    (
        "orders",
        {"order_date": dt.date(1999, 12, 31), "order_status": "lost"},
        "order_date_out_of_range",
    ),
    (
        "customers",
        {"email": "bad", "signup_date": dt.date(9999, 12, 31)},
        "invalid_email",
    ),
    (
        "order_items",
        {"quantity": 0, "unit_price": -1.0, "discount_percent": 500, "order_id": 999},
        "non_positive_quantity",
    ),
    (
        "order_items",
        {"unit_price": 1e12, "discount_percent": 500},
        "unit_price_too_large",
    ),
    ("order_items", {"quantity": None, "unit_price": NAN}, "null_quantity"),
    ("order_items", {"order_id": 101, "product_id": 999}, "order_rejected"),
    ("order_items", {"order_id": 999, "product_id": 11}, "order_unknown"),
    ("order_items", {"product_id": 11}, "product_rejected"),
]


def test_priority_when_several_rules_fail():
    rows: dict[str, list[dict]] = {entity: [] for entity in contracts.ENTITIES}
    for i, (entity, row, _) in enumerate(PRIORITY):
        # Own key (and, for customers, own email) so the cases cannot collide.
        unique = {"email": f"p{i}@x.org"} if entity == "customers" else {}
        rows[entity].append({KEYS[entity]: 500 + i, **unique, **row})
    result = run_both(**rows)
    for i, (entity, _, code) in enumerate(PRIORITY):
        rejects = result[entity].rejects.filter(pl.col(KEYS[entity]) == 500 + i)
        assert rejects["reject_reason"].to_list() == [code], (entity, code)


def test_duplicates_and_conflicts_agree():
    result = run_both(
        customers=[
            {"customer_id": 5, "email": "e@x.org"},
            {"customer_id": 5, "email": "e@x.org"},  # exact copy
            {"customer_id": 5, "email": "e@x.org", "country": "FR"},  # conflict
            {"customer_id": 6, "email": "bad"},
            {"customer_id": 6, "email": "bad"},  # copy of a rejected row
            {"customer_id": 6, "email": "f@x.org"},  # valid after a rejected one
            {"customer_id": None},
            {"customer_id": None},  # keyless twins are both rejected
        ],
        products=[
            {"product_id": 12, "price": NAN},
            {"product_id": 12, "price": NAN},  # NaN equals NaN for copies
            {"product_id": 13, "price": 0.0},
            {"product_id": 13, "price": -0.0},  # so do 0.0 and -0.0
        ],
        orders=[
            {"order_id": 102, "total_amount": 5.0, "_partition_date": "2025-01-02"},
            {"order_id": 102, "total_amount": 6.0},  # earlier day wins
        ],
    )
    customers = result["customers"]
    assert customers.clean["customer_id"].to_list() == [1, 5, 6]
    assert clean_value(customers, 6, "email") == "f@x.org"
    assert sorted(reasons(customers)) == [
        "duplicate_key_conflict",
        "invalid_email",
        "invalid_email",
        "null_customer_id",
        "null_customer_id",
    ]
    assert customers.duplicates == 2
    assert reasons(result["products"]) == ["negative_price", "null_price"]
    assert result["products"].duplicates == 2
    assert clean_value(result["orders"], 102, "total_amount") == Decimal("6.00")


def test_identical_daily_product_snapshots_keep_every_product():
    days = ["2025-01-01", "2025-01-02", "2025-01-03"]
    result = run_both(
        parents=False,
        products=[
            {"product_id": pid, "_partition_date": day}
            for day in days
            for pid in (10, 11, 12)
        ],
    )
    products = result["products"]
    assert products.clean["product_id"].to_list() == [10, 11, 12]
    assert products.clean["_partition_date"].to_list() == [dt.date(2025, 1, 3)] * 3
    assert products.duplicates == 6


def test_product_snapshots_agree():
    result = run_both(
        parents=False,
        products=[
            {"product_id": 10, "price": 9.99, "_partition_date": "2025-01-01"},
            {"product_id": 10, "price": 19.99, "_partition_date": "2025-01-03"},
            # an invalid latest snapshot is not replaced by an older valid one
            {"product_id": 11, "_partition_date": "2025-01-01"},
            {"product_id": 11, "cost": -1.0, "_partition_date": "2025-01-02"},
            # conflict and copy inside the latest snapshot
            {"product_id": 12, "price": 1.0, "_partition_date": "2025-01-02"},
            {"product_id": 12, "price": 2.0, "_partition_date": "2025-01-02"},
            {"product_id": 12, "price": 1.0, "_partition_date": "2025-01-02"},
            # a product gone from the newest files keeps its own latest snapshot
            {"product_id": 13, "_partition_date": "2025-01-01"},
        ],
        customers=[{"customer_id": 1}],
        orders=[{"order_id": 100}],
        order_items=[{"product_id": 11}],
    )
    products = result["products"]
    assert products.clean["product_id"].to_list() == [10, 12, 13]
    assert reasons(products) == ["negative_cost", "duplicate_key_conflict"]
    assert products.duplicates == 3
    assert reasons(result["order_items"]) == ["product_rejected"]


def test_references_unknown_versus_rejected():
    result = run_both(
        customers=[
            {"customer_id": 3, "email": "c@x.org"},
            {"customer_id": 3, "email": "c@x.org", "country": "FR"},
        ],
        orders=[
            {"order_id": 102, "customer_id": 3},  # customer staged (first row won)
            {"order_id": 103, "customer_id": 4},  # never sent
            {"order_id": 104, "customer_id": 2},  # every row rejected
        ],
        order_items=[
            {"order_item_id": 1001, "order_id": 101},  # order of a rejected customer
            {"order_item_id": 1002, "order_id": 104},
            {"order_item_id": 1003, "order_id": 999},
            {"order_item_id": 1004, "product_id": 11},
            {"order_item_id": 1005, "product_id": 999},
            {"order_item_id": 1006, "order_id": 102},
        ],
    )
    assert reasons(result["orders"]) == [
        "customer_rejected",
        "customer_unknown",
        "customer_rejected",
    ]
    assert reasons(result["order_items"]) == [
        "order_rejected",
        "order_rejected",
        "order_unknown",
        "product_rejected",
        "product_unknown",
    ]
    assert result["order_items"].clean["order_item_id"].to_list() == [1006]


def test_empty_raw_tables_agree():
    result = run_both(parents=False)
    for entity, r in result.items():
        assert r.clean.is_empty()
        assert r.rejects.is_empty()
        assert r.clean.schema == contracts.polars_schema(f"staging.{entity}")


# --- value normalizations, code point by code point ---------------------------------


@pytest.fixture(scope="module")
def macro_con():
    con = duckdb.connect()
    con.execute(staging_queries.read_macros())
    yield con
    con.close()


def test_sql_macros_spell_the_python_patterns(macro_con):
    assert macro_con.sql("SELECT whitespace(), email_pattern()").fetchall() == [
        (WHITESPACE, EMAIL_PATTERN)
    ]


def _code_points(*, caseless: bool) -> list[str]:
    """Every code point Python's Unicode tables know, as one-character strings.

    Without `caseless`, letters that have no case (Lo: CJK, Arabic, ...) and digits
    are left out: case mapping and the final-sigma context treat them alike.
    """
    skip = {"Cn", "Co", "Cs"} | (set() if caseless else {"Lo", "Nd", "No"})
    chars = [
        chr(c)
        for c in range(1, 0x110000)
        if unicodedata.category(chr(c)) not in skip or chr(c) in "ªº"
    ]
    # Python's tables may also predate a case pair Polars (Rust) knows, e.g. 'ƛ'
    # got a capital in Unicode 16; those are the documented known limit.
    series = pl.Series(chars)
    newer = (series.str.to_uppercase() != pl.Series([c.upper() for c in chars])) | (
        series.str.to_lowercase() != pl.Series([c.lower() for c in chars])
    )
    return series.filter(~newer).to_list()


def test_case_mapping_agrees_for_every_code_point(macro_con):
    # Alone, after and before a capital sigma (the final-sigma context) and as a
    # word start after a letter.
    templates = ["{}", "{}Σ", "Α{}Σ", "ΑΣ{}", "x {}x"]  # noqa: RUF001 (Greek)
    texts = pl.DataFrame(
        {"text": [t.format(c) for c in _code_points(caseless=False) for t in templates]}
    )
    by_polars = texts.select(
        pl.col("text").str.to_lowercase().alias("lower"),
        title_case(pl.col("text")).alias("title"),
        standardize_name(pl.col("text")).alias("name"),
    )
    by_sql = macro_con.sql(
        "SELECT lower_full(text) AS lower, title_case(text) AS title, "
        "standardize_name(text) AS name FROM texts"
    ).pl()
    assert_frame_equal(by_sql, by_polars)


def test_whitespace_agrees_for_every_code_point(macro_con):
    texts = pl.DataFrame(
        {"text": [f"{c} a{c}{c}b {c}" for c in _code_points(caseless=True)]}
    )
    by_polars = texts.select(
        trim(pl.col("text")).alias("trim"), squish(pl.col("text")).alias("squish")
    )
    by_sql = macro_con.sql(
        "SELECT trim_blank(text) AS trim, squish(text) AS squish FROM texts"
    ).pl()
    assert_frame_equal(by_sql, by_polars)


@pytest.mark.parametrize(
    ("text", "expected"), [("ßauer", "ßauer"), ("ﬁsh", "ﬁsh"), ("ǰx", "ǰx")]
)
def test_letters_with_multi_character_capitals_stay_as_they_are(text, expected):
    frame = pl.DataFrame({"t": [text]})
    assert frame.select(title_case(pl.col("t"))).item() == expected


# --- registry and runner -------------------------------------------------------------


def test_discover_finds_one_query_per_entity_in_parent_order():
    found = staging_queries.discover()
    assert [q.entity for q in found] == list(contracts.ENTITIES)
    params = {q.entity: q.params for q in found}
    assert params["products"] == ("cost_limit_cents", "price_limit_cents")
    assert params["orders"] == (
        "earliest_date",
        "future_days",
        "order_statuses",
        "total_amount_limit_cents",
    )
    assert params["customers"] == ("earliest_date", "future_days")


@pytest.fixture
def staging_copy(tmp_path, monkeypatch):
    for path in staging_queries.STAGING_DIR.glob("*.sql"):
        shutil.copy(path, tmp_path / path.name)
    monkeypatch.setattr(staging_queries, "STAGING_DIR", tmp_path)
    return tmp_path


def test_reason_codes_out_of_priority_order_are_refused(staging_copy):
    path = staging_copy / "orders.sql"
    text = path.read_text()
    swapped = (
        text.replace("'null_order_date'", "'@@'")
        .replace("'null_customer_id'", "'null_order_date'")
        .replace("'@@'", "'null_customer_id'")
    )
    path.write_text(swapped)
    with pytest.raises(
        QueryError, match=r"orders\.sql applies reason codes .* REASONS order"
    ):
        staging_queries.discover()


def test_a_missing_or_stray_staging_query_is_refused(staging_copy):
    (staging_copy / "returns.sql").write_text("SELECT 1")
    with pytest.raises(QueryError, match=r"returns\.sql: not a staging entity"):
        staging_queries.discover()
    (staging_copy / "returns.sql").unlink()
    (staging_copy / "order_items.sql").unlink()
    with pytest.raises(QueryError, match=r"order_items\.sql: missing"):
        staging_queries.discover()


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


def test_runner_without_raw_tables_names_the_query():
    con = duckdb.connect()
    try:
        with pytest.raises(QueryError, match=r"customers\.sql failed: .*raw"):
            build_staging_sql(con)
    finally:
        con.close()


def test_date_window_edges_agree():
    # DAY is 2025-01-01: dates from 2000-01-01 to the partition date + 1 day are valid.
    edges = {
        dt.date(1, 1, 1): "out",
        dt.date(1850, 1, 1): "out",
        dt.date(1999, 12, 31): "out",
        dt.date(2000, 1, 1): "in",
        dt.date(2025, 1, 2): "in",
        dt.date(2025, 1, 3): "out",
        dt.date(9999, 12, 31): "out",
    }
    orders = [{"order_id": 200 + i, "order_date": day} for i, day in enumerate(edges)]
    customers = [
        {"customer_id": 20 + i, "email": f"c{i}@x.org", "signup_date": day}
        for i, day in enumerate(edges)
    ]
    result = run_both(orders=orders, customers=customers)
    for entity, column, code in (
        ("orders", "order_date", "order_date_out_of_range"),
        ("customers", "signup_date", "signup_date_out_of_range"),
    ):
        rejected = result[entity].rejects.filter(pl.col("reject_reason") == code)
        assert sorted(rejected[column].to_list()) == [
            day for day, where in edges.items() if where == "out"
        ]
