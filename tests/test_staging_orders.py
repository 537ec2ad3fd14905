from __future__ import annotations

from decimal import Decimal

import polars as pl
import pytest

from tests.staging_rows import items_of, one_value, orders_of, reasons

# --- orders ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "status", ["completed", " Completed ", "PENDING", "cancelled", "Returned"]
)
def test_orders_status_is_normalized(status):
    result = orders_of([{"order_status": status}])
    assert one_value(result.clean, "order_status") == status.strip().lower()


@pytest.mark.parametrize("status", ["shipped", "complete", "in progress"])
def test_orders_unknown_status(status):
    assert reasons(orders_of([{"order_status": status}])) == ["unknown_status"]


def test_orders_unknown_and_rejected_customers_are_told_apart():
    result = orders_of(
        [
            {"order_id": 100, "customer_id": 1},
            {"order_id": 101, "customer_id": 2},
            {"order_id": 102, "customer_id": 3},
        ]
    )
    assert result.clean["order_id"].to_list() == [100]
    assert reasons(result) == ["customer_rejected", "customer_unknown"]


def test_orders_total_amount_becomes_exact_decimal():
    result = orders_of([{"total_amount": 1234.565}])
    assert one_value(result.clean, "total_amount") == Decimal("1234.57")
    assert result.clean.schema["total_amount"] == pl.Decimal(10, 2)


# --- order items -------------------------------------------------------------------


def test_items_null_discount_becomes_zero():
    result = items_of([{"discount_percent": None}])
    assert one_value(result.clean, "discount_percent") == Decimal("0.00")
    assert result.rejects.is_empty()


@pytest.mark.parametrize(
    ("discount", "ok"), [(0, True), (100, True), (-1, False), (101, False)]
)
def test_items_discount_bounds(discount, ok):
    result = items_of([{"discount_percent": discount}])
    assert result.clean.height == ok
    assert reasons(result) == ([] if ok else ["discount_out_of_range"])


@pytest.mark.parametrize("quantity", [0, -3])
def test_items_quantity_must_be_positive(quantity):
    assert reasons(items_of([{"quantity": quantity}])) == ["non_positive_quantity"]


def test_items_references():
    result = items_of(
        [
            {"order_item_id": 1, "order_id": 101},
            {"order_item_id": 2, "order_id": 999},
            {"order_item_id": 3, "product_id": 11},
            {"order_item_id": 4, "product_id": 999},
            {"order_item_id": 5, "order_id": 999, "product_id": 999},
            {"order_item_id": 6},
        ]
    )
    assert result.clean["order_item_id"].to_list() == [6]
    assert reasons(result) == [
        "order_rejected",
        "order_unknown",
        "product_rejected",
        "product_unknown",
        "order_unknown",
    ]
