"""Daily sales: completed orders, items, customers and revenue per order date.

Answers "how much did we sell each day, and what was the average order worth?".
"""

from __future__ import annotations

from typing import Final

import polars as pl

from queries._revenue import avg_order_value, completed_lines, sales_aggs, total_revenue

SPLIT: Final = "order_month"
"""Each row is one order date: local to a range of whole months."""


def build(orders: pl.LazyFrame, order_items: pl.LazyFrame) -> pl.LazyFrame:
    """One row per order date with at least one completed order line."""
    return (
        completed_lines(orders, order_items)
        .group_by("order_date")
        .agg(*sales_aggs(), total_customers=pl.col("customer_id").n_unique())
        .select(
            "order_date",
            "total_orders",
            "total_items",
            total_revenue(),
            "total_customers",
            avg_order_value(),
        )
        .sort("order_date")
    )
