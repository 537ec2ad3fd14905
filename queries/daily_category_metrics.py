"""Category metrics: orders, items, revenue, customers, products per day and category.

Answers "which product categories sell, and how much, on each day?".
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
    """One row per (order date, category) with completed order lines."""
    return (
        completed_lines(orders, order_items)
        .join(products.select("product_id", "category"), on="product_id", how="inner")
        .group_by("order_date", "category")
        .agg(
            *sales_aggs(),
            unique_customers=pl.col("customer_id").n_unique(),
            unique_products=pl.col("product_id").n_unique(),
        )
        .select(
            "order_date",
            "category",
            "total_orders",
            "total_items",
            total_revenue(),
            "unique_customers",
            "unique_products",
        )
        .sort("order_date", "category")
    )
