"""Monthly sales: completed orders, items, customers and revenue per calendar month.

Answers "how much did we sell each month, and is the average order growing?".
"""

from __future__ import annotations

from typing import Final

import polars as pl

from queries._revenue import avg_order_value, completed_lines, sales_aggs, total_revenue

SPLIT: Final = "order_month"
"""Each row is one month of order dates: local to a range of whole months."""


def build(orders: pl.LazyFrame, order_items: pl.LazyFrame) -> pl.LazyFrame:
    """One row per 'YYYY-MM' with at least one completed order line."""
    return (
        completed_lines(orders, order_items)
        .with_columns(
            year_month=pl.col("order_date").dt.strftime("%Y-%m"),
            year=pl.col("order_date").dt.year(),
            month=pl.col("order_date").dt.month(),
        )
        .group_by("year_month", "year", "month")
        .agg(*sales_aggs(), total_customers=pl.col("customer_id").n_unique())
        .select(
            "year_month",
            "year",
            "month",
            "total_orders",
            "total_items",
            total_revenue(),
            "total_customers",
            avg_order_value(),
        )
        .sort("year_month")
    )
