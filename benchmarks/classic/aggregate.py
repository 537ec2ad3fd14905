"""The prod tables with pandas: groupby over Decimal line amounts, rounded half-up once.

Used by the transform_only case (no database); the classic pipeline itself aggregates
in Postgres (benchmarks/classic/sql/). Both follow the README "Prod" definitions.
"""

from __future__ import annotations

import decimal
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Final

import pandas as pd

if TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Mapping

CENT: Final = Decimal("0.01")
_HUNDRED: Final = Decimal(100)
# Enough digits that revenue / orders is never rounded before the final cent rounding.
_EXACT: Final = decimal.Context(prec=60)


def build_prod(
    staging: Mapping[str, pd.DataFrame], *, as_of: dt.date
) -> dict[str, pd.DataFrame]:
    """Every prod table from the clean staging frames."""
    lines = completed_lines(staging["orders"], staging["order_items"])
    products = staging["products"][["product_id", "product_name", "category"]]
    return {
        "customer_metrics": customer_metrics(staging["customers"], lines, as_of=as_of),
        "daily_category_metrics": daily_category_metrics(lines, products),
        "daily_product_metrics": daily_product_metrics(lines, products),
        "daily_sales": daily_sales(lines),
        "monthly_sales": monthly_sales(lines),
    }


def line_revenue(row: pd.Series) -> Decimal:
    """quantity * unit_price * (1 - discount_percent / 100), exact."""
    discount = Decimal(row["discount_percent"]) / _HUNDRED
    return int(row["quantity"]) * Decimal(row["unit_price"]) * (1 - discount)


def round_money(value: object) -> object:
    if not isinstance(value, Decimal):
        return None
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def average(revenue: Decimal, orders: int) -> Decimal | None:
    if not orders:
        return None
    return _EXACT.divide(revenue, Decimal(int(orders))).quantize(
        CENT, rounding=ROUND_HALF_UP
    )


def completed_lines(orders: pd.DataFrame, items: pd.DataFrame) -> pd.DataFrame:
    """Items of completed orders with their exact Decimal amount."""
    completed = orders.loc[
        orders["order_status"] == "completed", ["order_id", "customer_id", "order_date"]
    ]
    lines = completed.merge(
        items[["order_id", "product_id", "quantity", "unit_price", "discount_percent"]],
        on="order_id",
        how="inner",
    )
    lines["line_revenue"] = (
        lines.apply(line_revenue, axis=1) if len(lines) else pd.Series(dtype=object)
    )
    return lines


def _sales(grouped: pd.core.groupby.DataFrameGroupBy, customers: str) -> pd.DataFrame:
    out = grouped.agg(
        total_orders=("order_id", "nunique"),
        total_items=("quantity", "sum"),
        revenue=("line_revenue", _decimal_sum),
        **{customers: ("customer_id", "nunique")},
    ).reset_index()
    out["total_revenue"] = out["revenue"].map(round_money)
    out["avg_order_value"] = [
        average(r, n) for r, n in zip(out["revenue"], out["total_orders"], strict=True)
    ]
    return out


def _decimal_sum(values: pd.Series) -> Decimal:
    return sum(values, Decimal(0))


def daily_sales(lines: pd.DataFrame) -> pd.DataFrame:
    out = _sales(lines.groupby("order_date"), "total_customers")
    columns = ["order_date", "total_orders", "total_items", "total_revenue"]
    return out[[*columns, "total_customers", "avg_order_value"]].sort_values(
        "order_date", ignore_index=True
    )


def monthly_sales(lines: pd.DataFrame) -> pd.DataFrame:
    lines = lines.assign(
        year_month=lines["order_date"].map(lambda d: f"{d.year:04d}-{d.month:02d}"),
        year=lines["order_date"].map(lambda d: d.year),
        month=lines["order_date"].map(lambda d: d.month),
    )
    out = _sales(lines.groupby(["year_month", "year", "month"]), "total_customers")
    columns = ["year_month", "year", "month", "total_orders", "total_items"]
    return out[
        [*columns, "total_revenue", "total_customers", "avg_order_value"]
    ].sort_values("year_month", ignore_index=True)


def daily_category_metrics(lines: pd.DataFrame, products: pd.DataFrame) -> pd.DataFrame:
    joined = lines.merge(products[["product_id", "category"]], on="product_id")
    out = (
        joined.groupby(["order_date", "category"])
        .agg(
            total_orders=("order_id", "nunique"),
            total_items=("quantity", "sum"),
            revenue=("line_revenue", _decimal_sum),
            unique_customers=("customer_id", "nunique"),
            unique_products=("product_id", "nunique"),
        )
        .reset_index()
    )
    out["total_revenue"] = out["revenue"].map(round_money)
    columns = ["order_date", "category", "total_orders", "total_items"]
    return out[
        [*columns, "total_revenue", "unique_customers", "unique_products"]
    ].sort_values(["order_date", "category"], ignore_index=True)


def daily_product_metrics(lines: pd.DataFrame, products: pd.DataFrame) -> pd.DataFrame:
    joined = lines.merge(products, on="product_id")
    out = (
        joined.groupby(["order_date", "product_id", "product_name", "category"])
        .agg(
            total_orders=("order_id", "nunique"),
            total_quantity=("quantity", "sum"),
            revenue=("line_revenue", _decimal_sum),
            unique_customers=("customer_id", "nunique"),
        )
        .reset_index()
    )
    out["total_revenue"] = out["revenue"].map(round_money)
    columns = ["order_date", "product_id", "product_name", "category"]
    return out[
        [
            *columns,
            "total_orders",
            "total_quantity",
            "total_revenue",
            "unique_customers",
        ]
    ].sort_values(["order_date", "product_id"], ignore_index=True)


def customer_metrics(
    customers: pd.DataFrame, lines: pd.DataFrame, *, as_of: dt.date
) -> pd.DataFrame:
    bought = (
        lines.groupby("customer_id")
        .agg(
            first_order_date=("order_date", "min"),
            last_order_date=("order_date", "max"),
            total_orders=("order_id", "nunique"),
            total_items=("quantity", "sum"),
            revenue=("line_revenue", _decimal_sum),
        )
        .reset_index()
    )
    out = customers[["customer_id", "customer_name", "customer_segment"]].merge(
        bought, on="customer_id", how="left"
    )
    has_orders = out["total_orders"].notna()
    out["total_orders"] = out["total_orders"].fillna(0).astype("int64")
    out["total_items"] = out["total_items"].fillna(0).astype("int64")
    out["total_revenue"] = [
        round_money(r) if has else Decimal("0.00")
        for r, has in zip(out["revenue"], has_orders, strict=True)
    ]
    out["avg_order_value"] = [
        average(r, n) if has else None
        for r, n, has in zip(
            out["revenue"], out["total_orders"], has_orders, strict=True
        )
    ]
    out["days_since_first_order"] = out["first_order_date"].map(
        lambda d: (as_of - d).days if isinstance(d, type(as_of)) else None
    )
    out["days_since_last_order"] = out["last_order_date"].map(
        lambda d: (as_of - d).days if isinstance(d, type(as_of)) else None
    )
    columns = ["customer_id", "customer_name", "customer_segment"]
    return out[
        [
            *columns,
            "first_order_date",
            "last_order_date",
            "total_orders",
            "total_items",
            "total_revenue",
            "avg_order_value",
            "days_since_first_order",
            "days_since_last_order",
        ]
    ].sort_values("customer_id", ignore_index=True)
