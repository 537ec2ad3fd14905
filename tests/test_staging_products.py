from __future__ import annotations

import datetime as dt
from decimal import Decimal

from tests.staging_rows import products_of, reasons

# --- products ----------------------------------------------------------------------


def test_products_latest_snapshot_wins_and_older_ones_count_as_duplicates():
    result = products_of(
        [
            {"price": 9.99, "_partition_date": "2024-03-01"},
            {"price": 19.99, "_partition_date": "2024-03-03"},
            {"price": 9.99, "_partition_date": "2024-03-02"},
            {"price": 9.99, "_partition_date": "2024-03-01", "product_id": 11},
        ]
    )
    assert result.clean["product_id"].to_list() == [10, 11]
    assert result.clean["price"].to_list() == [Decimal("19.99"), Decimal("9.99")]
    assert result.clean["_partition_date"].to_list() == [
        dt.date(2024, 3, 3),
        dt.date(2024, 3, 1),
    ]
    assert result.rejects.is_empty()
    assert result.duplicates == 2


def test_products_unchanged_daily_snapshots_keep_every_product():
    # The latest snapshot is identical to the older ones; it is still the winner,
    # not a copy of them (regression: only one product survived a year of snapshots).
    days = ["2024-03-01", "2024-03-02", "2024-03-03"]
    result = products_of(
        [
            {"product_id": pid, "_partition_date": day}
            for day in days
            for pid in (10, 11, 12)
        ]
    )
    assert result.clean["product_id"].to_list() == [10, 11, 12]
    assert result.clean["_partition_date"].to_list() == [dt.date(2024, 3, 3)] * 3
    assert result.duplicates == 6


def test_products_invalid_latest_snapshot_is_not_replaced_by_an_older_one():
    result = products_of(
        [
            {"price": 9.99, "_partition_date": "2024-03-01"},
            {"price": -1.0, "_partition_date": "2024-03-02"},
        ]
    )
    assert result.clean.is_empty()
    assert reasons(result) == ["negative_price"]
    assert result.duplicates == 1


def test_products_conflict_within_the_latest_snapshot():
    result = products_of([{"price": 1.0}, {"price": 2.0}, {"price": 2.0}])
    assert result.clean["price"].to_list() == [Decimal("1.00")]
    assert reasons(result) == ["duplicate_key_conflict"]
    assert result.duplicates == 1


def test_products_names_and_categories_are_cleaned_and_money_is_exact():
    result = products_of(
        [
            {
                "product_name": " USB-C  CABLE ",
                "category": "  Electronics ",
                "price": 0.29,
                "cost": 0.125,
            }
        ]
    )
    row = result.clean.row(0, named=True)
    assert (row["product_name"], row["category"]) == ("Usb-C Cable", "Electronics")
    assert (row["price"], row["cost"]) == (Decimal("0.29"), Decimal("0.13"))


def test_products_nan_price_counts_as_missing():
    assert reasons(products_of([{"price": float("nan")}])) == ["null_price"]
