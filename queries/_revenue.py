"""Revenue rules shared by every prod query: which order lines count, and exact money.

Money stays integral until the end. A line amount is
`quantity * price_cents * (10000 - discount_hundredths)` in millionths of a dollar, so
sums are exact in Int128, and each aggregate is rounded half-up to cents once. Polars
Decimal multiplication is avoided on purpose: Decimal(10,2) * Decimal(5,2) keeps scale 2
and silently drops digits.
"""

from __future__ import annotations

from typing import Final

import polars as pl

MICROS_PER_CENT: Final[int] = 10_000
"""Line amounts are in 1e-6 dollars: price in cents times discount in 1e-4 units."""


def completed_lines(orders: pl.LazyFrame, order_items: pl.LazyFrame) -> pl.LazyFrame:
    """Items of completed orders with their exact amount: the base of every figure.

    An inner join, so a completed order without items counts nowhere.
    """
    return (
        orders.filter(pl.col("order_status") == "completed")
        .select("order_id", "customer_id", "order_date")
        .join(
            order_items.select(
                "order_id", "product_id", "quantity", "unit_price", "discount_percent"
            ),
            on="order_id",
            how="inner",
        )
        .select(
            "order_id",
            "customer_id",
            "order_date",
            "product_id",
            "quantity",
            amount_micros=pl.col("quantity").cast(pl.Int128)
            * _hundredths("unit_price")
            * (10_000 - _hundredths("discount_percent")),
        )
    )


def sales_aggs() -> list[pl.Expr]:
    """Order count, item count and exact revenue of a group of completed lines."""
    return [
        pl.col("order_id").n_unique().alias("total_orders"),
        pl.col("quantity").sum().alias("total_items"),
        pl.col("amount_micros").sum().alias("revenue_micros"),
    ]


def total_revenue(micros: str = "revenue_micros") -> pl.Expr:
    """The exact revenue sum rounded half-up to cents, once."""
    revenue = cents_to_decimal(round_half_up_div(pl.col(micros), MICROS_PER_CENT))
    return revenue.alias("total_revenue")


def avg_order_value(
    micros: str = "revenue_micros", orders: str = "total_orders"
) -> pl.Expr:
    """Exact revenue / orders rounded half-up to cents (from the unrounded sum)."""
    denominator = pl.col(orders).cast(pl.Int128) * MICROS_PER_CENT
    average = cents_to_decimal(round_half_up_div(pl.col(micros), denominator))
    return average.alias("avg_order_value")


def round_half_up_div(numerator: pl.Expr, denominator: pl.Expr | int) -> pl.Expr:
    """Integer numerator / positive denominator, rounded half away from zero."""
    # Python's ROUND_HALF_UP; Polars `//` floors, so round the magnitude and re-sign.
    magnitude = (2 * numerator.abs() + denominator) // (2 * denominator)
    return numerator.sign() * magnitude


def cents_to_decimal(cents: pl.Expr) -> pl.Expr:
    """Integer cents as a Decimal; exact (the contract cast then narrows precision)."""
    return cents.cast(pl.Decimal(38, 2)) / 100


def _hundredths(column: str) -> pl.Expr:
    # A Decimal's physical value is its unscaled integer, so at scale 2 it is exactly
    # cents (prices) or hundredths of a percent (discounts), without any arithmetic.
    return pl.col(column).cast(pl.Decimal(38, 2)).to_physical()
