"""Product metrics: orders, quantity, revenue and customers per day and product.

Answers "how much of each product sells, to how many customers, on each day?".
"""

from __future__ import annotations

from typing import Final

import polars as pl

from queries._revenue import completed_lines, sales_aggs, total_revenue

SPLIT: Final = "order_month"
"""Each row is one order date: local to a range of whole months."""


def build(
    orders: pl.LazyFrame, order_items: pl.LazyFrame, products: pl.LazyFrame
) -> pl.LazyFrame:
    """One row per (order date, product) with completed order lines."""
    return (
        completed_lines(orders, order_items)
        .join(
            products.select("product_id", "product_name", "category"),
            on="product_id",
            how="inner",
        )
        .group_by("order_date", "product_id", "product_name", "category")
        .agg(*sales_aggs(), unique_customers=pl.col("customer_id").n_unique())
        .select(
            "order_date",
            "product_id",
            "product_name",
            "category",
            "total_orders",
            pl.col("total_items").alias("total_quantity"),
            total_revenue(),
            "unique_customers",
        )
        .sort("order_date", "product_id")
    )
