"""Hand-made raw rows run through one entity's Polars rules, for the staging unit tests."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import polars as pl

from engine.staging import (
    clean_customers,
    clean_order_items,
    clean_orders,
    clean_products,
    split_verdicts,
)
from tests.raw_rows import raw_rows as make_raw_rows

if TYPE_CHECKING:
    from engine.staging import StagingResult


DAY = "2024-03-01"
INGESTED = dt.datetime(2024, 3, 2, 6, 0, tzinfo=dt.UTC)

CUSTOMER = {
    "customer_id": 1,
    "customer_name": "Ada Lovelace",
    "email": "ada@example.com",
    "country": "UK",
    "signup_date": dt.date(2024, 1, 1),
    "customer_segment": "Premium",
}
PRODUCT = {
    "product_id": 10,
    "product_name": "Desk Lamp",
    "category": "Home",
    "price": 19.99,
    "cost": 7.5,
}
ORDER = {
    "order_id": 100,
    "customer_id": 1,
    "order_date": dt.date(2024, 2, 1),
    "order_status": "completed",
    "total_amount": 19.99,
}
ITEM = {
    "order_item_id": 1000,
    "order_id": 100,
    "product_id": 10,
    "quantity": 1,
    "unit_price": 19.99,
    "discount_percent": 10,
}
BASE = {
    "customers": CUSTOMER,
    "products": PRODUCT,
    "orders": ORDER,
    "order_items": ITEM,
}


def raw_frame(entity: str, rows: list[dict]) -> pl.LazyFrame:
    return make_raw_rows(entity, rows, base=BASE, day=DAY, ingested=INGESTED).lazy()


def customers_of(rows: list[dict]) -> StagingResult:
    return split_verdicts(clean_customers(raw_frame("customers", rows)), "customers")


def products_of(rows: list[dict]) -> StagingResult:
    return split_verdicts(clean_products(raw_frame("products", rows)), "products")


def orders_of(
    rows: list[dict],
    *,
    clean_ids: tuple[int, ...] = (1,),
    raw_ids: tuple[int, ...] = (1, 2),
) -> StagingResult:
    verdicts = clean_orders(
        raw_frame("orders", rows),
        customers=pl.DataFrame({"customer_id": list(clean_ids)}),
        raw_customers=pl.DataFrame({"customer_id": list(raw_ids)}),
    )
    return split_verdicts(verdicts, "orders")


def items_of(rows: list[dict]) -> StagingResult:
    # Order 100 and product 10 are staged; order 101 and product 11 were rejected.
    verdicts = clean_order_items(
        raw_frame("order_items", rows),
        orders=pl.DataFrame({"order_id": [100]}),
        raw_orders=pl.DataFrame({"order_id": [100, 101]}),
        products=pl.DataFrame({"product_id": [10]}),
        raw_products=pl.DataFrame({"product_id": [10, 11]}),
    )
    return split_verdicts(verdicts, "order_items")


def reasons(result: StagingResult) -> list[str]:
    return result.rejects["reject_reason"].to_list()


def one_value(frame: pl.DataFrame, column: str) -> object:
    assert frame.height == 1, frame
    return frame[column].item()
