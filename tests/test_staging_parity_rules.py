from __future__ import annotations

import datetime as dt
from decimal import Decimal

import polars as pl

from engine import contracts
from engine.staging import KEYS
from tests.staging_engines import INF, NAN, clean_value, run_both
from tests.staging_rows import reasons

# --- hand-made raw rows: rule priority, duplicates, snapshots, references ------------

# Each test below builds one raw world holding all its cases under their own keys:
# a world costs both engines' fixed overhead, so cases share it.

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
