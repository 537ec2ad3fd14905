"""Customer metrics: lifetime orders, revenue and recency for every staging customer.

Answers "what has each customer bought, and how long ago?" (also who never bought).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

import polars as pl

from queries._revenue import avg_order_value, completed_lines, sales_aggs, total_revenue

if TYPE_CHECKING:
    from datetime import date

SPLIT: Final = "customer"
"""Each row is one customer: local to a bucket of customers and their orders."""


def build(
    customers: pl.LazyFrame,
    orders: pl.LazyFrame,
    order_items: pl.LazyFrame,
    *,
    as_of: date,
) -> pl.LazyFrame:
    """One row per staging customer; `days_since_*` count from `as_of`."""
    bought = (
        completed_lines(orders, order_items)
        .group_by("customer_id")
        .agg(
            *sales_aggs(),
            first_order_date=pl.col("order_date").min(),
            last_order_date=pl.col("order_date").max(),
        )
        # Averaged before the join: customers without orders get NULL, not 0 / 0.
        .with_columns(avg_order_value())
    )
    return (
        customers.select("customer_id", "customer_name", "customer_segment")
        .join(bought, on="customer_id", how="left")
        .with_columns(
            pl.col("total_orders", "total_items", "revenue_micros").fill_null(0)
        )
        .select(
            "customer_id",
            "customer_name",
            "customer_segment",
            "first_order_date",
            "last_order_date",
            "total_orders",
            "total_items",
            total_revenue(),
            "avg_order_value",
            days_since_first_order=(
                pl.lit(as_of) - pl.col("first_order_date")
            ).dt.total_days(),
            days_since_last_order=(
                pl.lit(as_of) - pl.col("last_order_date")
            ).dt.total_days(),
        )
        .sort("customer_id")
    )
