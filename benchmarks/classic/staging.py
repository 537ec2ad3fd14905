"""Staging the classic way: pandas frames, per-value functions and a row-wise verdict.

Implements docs/staging-rules.md: row order, null keys, exact duplicates (products:
superseded snapshots), missing values, value rules, first-valid-row-wins, emails, then
references, each rejected row with the code of the first rule it fails.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Final

import pandas as pd

from benchmarks.classic.rules import (
    STATUSES,
    is_missing,
    is_valid_email,
    money_too_large,
    normalize_email,
    normalize_status,
    squish,
    standardize_name,
    to_key,
    to_money,
    trim,
)
from engine import contracts

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

KEYS: Final = {e: contracts.primary_key(f"staging.{e}")[0] for e in contracts.ENTITIES}
SOURCE_COLUMNS: Final = {
    e: [
        name
        for name in contracts.arrow_schema(f"raw.{e}").names
        if name not in contracts.LINEAGE_COLUMNS
    ]
    for e in contracts.ENTITIES
}
"""The columns a source file delivers, per entity, from the raw contract."""
LINEAGE: Final = ["_source_file", "_source_row", "_partition_date"]
ROW_ORDER: Final = ["_partition_date", "_source_file", "_source_row"]
REASON: Final = "reject_reason"
DUPLICATE: Final = "is_duplicate"


@dataclass(frozen=True)
class Staged:
    """One entity: clean rows (staging.<entity> columns), rejects, duplicates dropped."""

    clean: pd.DataFrame
    rejects: pd.DataFrame
    duplicates: int


def build_staging(raw: Mapping[str, pd.DataFrame]) -> dict[str, Staged]:
    """Clean the four raw frames (columns of raw.<entity>; lineage included)."""
    customers = _verdicts_customers(raw["customers"])
    products = _verdicts_products(raw["products"])
    orders = _verdicts_orders(raw["orders"])
    _reject_orphans(
        orders,
        "customer_id",
        kept=_kept_keys(customers, "customer_id"),
        known=_all_keys(customers, "customer_id"),
        codes=("customer_unknown", "customer_rejected"),
    )
    items = _verdicts_order_items(raw["order_items"])
    _reject_orphans(
        items,
        "order_id",
        kept=_kept_keys(orders, "order_id"),
        known=_all_keys(orders, "order_id"),
        codes=("order_unknown", "order_rejected"),
    )
    _reject_orphans(
        items,
        "product_id",
        kept=_kept_keys(products, "product_id"),
        known=_all_keys(products, "product_id"),
        codes=("product_unknown", "product_rejected"),
    )
    verdicts = {
        "customers": customers,
        "products": products,
        "orders": orders,
        "order_items": items,
    }
    return {entity: _split(frame, entity) for entity, frame in verdicts.items()}


# -- one function per entity --------------------------------------------------------


def _verdicts_customers(raw: pd.DataFrame) -> pd.DataFrame:
    df = _in_row_order(raw)
    df["clean_customer_name"] = df["customer_name"].map(standardize_name)
    df["clean_email"] = df["email"].map(normalize_email)
    df["clean_country"] = df["country"].map(_or("Unknown", squish))
    df["clean_customer_segment"] = df["customer_segment"].map(_or("Standard", squish))
    df[DUPLICATE] = _exact_copies(df, "customers")
    df[REASON] = df.apply(_customer_reason, axis=1)
    _reject_repeats(df, "customer_id", "duplicate_key_conflict")
    _reject_repeats(df, "clean_email", "duplicate_email")
    return df


def _customer_reason(row: pd.Series) -> str | None:
    if row[DUPLICATE]:
        return None
    if is_missing(row["customer_id"]):
        return "null_customer_id"
    if is_missing(row["clean_customer_name"]):
        return "null_customer_name"
    if is_missing(row["clean_email"]):
        return "null_email"
    if is_missing(row["signup_date"]):
        return "null_signup_date"
    if not is_valid_email(row["clean_email"]):
        return "invalid_email"
    return None


def _verdicts_products(raw: pd.DataFrame) -> pd.DataFrame:
    df = _in_row_order(raw)
    df["clean_product_name"] = df["product_name"].map(standardize_name)
    df["clean_category"] = df["category"].map(trim)
    # Daily catalog snapshots: any row older than its product's latest day is history.
    day = pd.to_datetime(df["_partition_date"])
    latest = day.groupby(df["product_id"]).transform("max")
    superseded = df["product_id"].notna() & (day < latest)
    df["_superseded"] = superseded
    copies = _exact_copies(df, "products", extra=["_superseded"])
    df[DUPLICATE] = superseded | copies
    df[REASON] = df.apply(_product_reason, axis=1)
    _reject_repeats(df, "product_id", "duplicate_key_conflict")
    return df


def _product_reason(row: pd.Series) -> str | None:
    if row[DUPLICATE]:
        return None
    price, cost = row["price"], row["cost"]
    checks = (
        ("null_product_id", lambda: is_missing(row["product_id"])),
        ("null_product_name", lambda: is_missing(row["clean_product_name"])),
        ("null_category", lambda: is_missing(row["clean_category"])),
        ("null_price", lambda: is_missing(price)),
        ("null_cost", lambda: is_missing(cost)),
        ("negative_price", lambda: price < 0),
        ("price_too_large", lambda: money_too_large(price)),
        ("negative_cost", lambda: cost < 0),
        ("cost_too_large", lambda: money_too_large(cost)),
    )
    return _first_failing(checks)


def _verdicts_orders(raw: pd.DataFrame) -> pd.DataFrame:
    df = _in_row_order(raw)
    df["clean_order_status"] = df["order_status"].map(normalize_status)
    df[DUPLICATE] = _exact_copies(df, "orders")
    df[REASON] = df.apply(_order_reason, axis=1)
    _reject_repeats(df, "order_id", "duplicate_key_conflict")
    return df


def _order_reason(row: pd.Series) -> str | None:
    if row[DUPLICATE]:
        return None
    status, total = row["clean_order_status"], row["total_amount"]
    checks = (
        ("null_order_id", lambda: is_missing(row["order_id"])),
        ("null_customer_id", lambda: is_missing(row["customer_id"])),
        ("null_order_date", lambda: is_missing(row["order_date"])),
        ("null_order_status", lambda: is_missing(status)),
        ("null_total_amount", lambda: is_missing(total)),
        ("unknown_status", lambda: status not in STATUSES),
        ("negative_total_amount", lambda: total < 0),
        ("total_amount_too_large", lambda: money_too_large(total)),
    )
    return _first_failing(checks)


def _verdicts_order_items(raw: pd.DataFrame) -> pd.DataFrame:
    df = _in_row_order(raw)
    # No discount recorded means none was given (the old pipeline rejected these).
    df["clean_discount_percent"] = df["discount_percent"].map(
        lambda v: 0 if is_missing(v) else int(v)
    )
    df[DUPLICATE] = _exact_copies(df, "order_items")
    df[REASON] = df.apply(_order_item_reason, axis=1)
    _reject_repeats(df, "order_item_id", "duplicate_key_conflict")
    return df


def _order_item_reason(row: pd.Series) -> str | None:
    if row[DUPLICATE]:
        return None
    price, quantity = row["unit_price"], row["quantity"]
    discount = row["clean_discount_percent"]
    checks = (
        ("null_order_item_id", lambda: is_missing(row["order_item_id"])),
        ("null_order_id", lambda: is_missing(row["order_id"])),
        ("null_product_id", lambda: is_missing(row["product_id"])),
        ("null_quantity", lambda: is_missing(quantity)),
        ("null_unit_price", lambda: is_missing(price)),
        ("non_positive_quantity", lambda: quantity <= 0),
        ("negative_unit_price", lambda: price < 0),
        ("unit_price_too_large", lambda: money_too_large(price)),
        ("discount_out_of_range", lambda: not 0 <= discount <= 100),
    )
    return _first_failing(checks)


# -- the shared steps ----------------------------------------------------------------


def _first_failing(checks: tuple[tuple[str, Callable[[], bool]], ...]) -> str | None:
    for code, failed in checks:
        if failed():
            return code
    return None


def _or(default: str, clean: Callable[[object], str | None]) -> Callable[[object], str]:
    def apply(value: object) -> str:
        result = clean(value)
        return default if result is None else result

    return apply


def _in_row_order(raw: pd.DataFrame) -> pd.DataFrame:
    """Rows in delivery order; lineage is unique per raw row."""
    df = raw.sort_values(ROW_ORDER, kind="stable").reset_index(drop=True)
    df[REASON] = None
    return df


def _exact_copies(
    df: pd.DataFrame, entity: str, extra: list[str] | None = None
) -> pd.Series:
    """Rows with a key that repeat an earlier row in every source column (NaN equal)."""
    key = KEYS[entity]
    subset = SOURCE_COLUMNS[entity] + (extra or [])
    return df[key].notna() & df.duplicated(subset=subset, keep="first")


def _alive(df: pd.DataFrame) -> pd.Series:
    return df[REASON].isna() & ~df[DUPLICATE]


def _reject_repeats(df: pd.DataFrame, column: str, code: str) -> None:
    """Reject every surviving row after the first one with the same value."""
    alive = df[_alive(df)]
    repeats = alive.index[alive.duplicated(subset=[column], keep="first")]
    df.loc[repeats, REASON] = code


def _kept_keys(df: pd.DataFrame, key: str) -> set[int]:
    return {int(k) for k in df.loc[_alive(df), key]}


def _all_keys(df: pd.DataFrame, key: str) -> set[int]:
    return {int(k) for k in df[key].dropna()}


def _reject_orphans(
    df: pd.DataFrame,
    column: str,
    *,
    kept: set[int],
    known: set[int],
    codes: tuple[str, str],
) -> None:
    unknown, rejected = codes
    orphan = _alive(df) & ~df[column].isin(kept)
    never_seen = ~df[column].isin(known)
    df.loc[orphan & never_seen, REASON] = unknown
    df.loc[orphan & ~never_seen, REASON] = rejected


# -- output --------------------------------------------------------------------------


def _split(df: pd.DataFrame, entity: str) -> Staged:
    alive = df[_alive(df)]
    clean = _CLEAN[entity](alive)
    clean["_source_file"] = alive["_source_file"].to_numpy()
    clean["_partition_date"] = alive["_partition_date"].to_numpy()
    clean = clean.sort_values(KEYS[entity], kind="stable").reset_index(drop=True)
    rejects = df.loc[
        df[REASON].notna(), [*SOURCE_COLUMNS[entity], REASON, *LINEAGE]
    ].reset_index(drop=True)
    return Staged(clean=clean, rejects=rejects, duplicates=int(df[DUPLICATE].sum()))


def _clean_customers(df: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": df["customer_id"].map(to_key).astype("int64"),
            "customer_name": df["clean_customer_name"].to_numpy(),
            "email": df["clean_email"].to_numpy(),
            "country": df["clean_country"].to_numpy(),
            "signup_date": df["signup_date"].to_numpy(),
            "customer_segment": df["clean_customer_segment"].to_numpy(),
        }
    )


def _clean_products(df: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "product_id": df["product_id"].map(to_key).astype("int64"),
            "product_name": df["clean_product_name"].to_numpy(),
            "category": df["clean_category"].to_numpy(),
            "price": df["price"].map(to_money).to_numpy(),
            "cost": df["cost"].map(to_money).to_numpy(),
        }
    )


def _clean_orders(df: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "order_id": df["order_id"].map(to_key).astype("int64"),
            "customer_id": df["customer_id"].map(to_key).astype("int64"),
            "order_date": df["order_date"].to_numpy(),
            "order_status": df["clean_order_status"].to_numpy(),
            "total_amount": df["total_amount"].map(to_money).to_numpy(),
        }
    )


def _clean_order_items(df: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "order_item_id": df["order_item_id"].map(to_key).astype("int64"),
            "order_id": df["order_id"].map(to_key).astype("int64"),
            "product_id": df["product_id"].map(to_key).astype("int64"),
            "quantity": df["quantity"].map(to_key).astype("int64"),
            "unit_price": df["unit_price"].map(to_money).to_numpy(),
            "discount_percent": df["clean_discount_percent"].map(Decimal).to_numpy(),
        }
    )


_CLEAN: Final[dict[str, Callable[[pd.DataFrame], pd.DataFrame]]] = {
    "customers": _clean_customers,
    "products": _clean_products,
    "orders": _clean_orders,
    "order_items": _clean_order_items,
}
