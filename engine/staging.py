"""Staging layer: Polars rules that split raw rows into clean rows, rejects and duplicates.

Each ``clean_*`` / ``judge_*`` function returns a *verdict* frame: every raw row, in
row order (_partition_date, _source_file, _source_row), with its raw columns untouched plus

- ``is_duplicate``: an exact copy (products: also a superseded snapshot), dropped;
- ``reject_reason``: the code of the first rule the row fails (``REASONS``), else null;
- ``staged``: a struct of the cleaned values under the staging.<entity> column names.

``split_verdicts`` turns a verdict frame into a ``StagingResult``, and
``build_staging`` runs all four entities on whole frames in memory; the engine runs the
same functions piece by piece (engine/polars_build.py). The rules are in
docs/staging-rules.md.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

import polars as pl

from engine import contracts
from engine.errors import ContractError
from engine.staging_rules import (
    ALIVE,
    IS_DUPLICATE,
    ORDER_STATUSES,
    REASONS,
    REJECT_REASON,
    STAGED,
    at_rows,
    date_out_of_range,
    is_missing,
    is_valid_email,
    judge_rows,
    money_too_large,
    normalize_email,
    reject_orphans,
    reject_repeats,
    repeated_values,
    squish,
    staged,
    staged_field,
    standardize_name,
    to_decimal_money,
    trim,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = [
    "KEYS",
    "REASONS",
    "ROW_ORDER",
    "StagedCounts",
    "StagingResult",
    "build_staging",
    "check_customers",
    "check_orders_and_products",
    "clean_customers",
    "clean_order_items",
    "clean_orders",
    "clean_products",
    "judge_customers",
    "judge_order_items",
    "judge_orders",
    "split_verdicts",
]

logger = logging.getLogger(__name__)

ROW_ORDER: Final = ("_partition_date", "_source_file", "_source_row")
"""Delivery order: 'earliest' and 'latest' in the rules always mean this order."""
KEYS: Final = {
    "customers": "customer_id",
    "products": "product_id",
    "orders": "order_id",
    "order_items": "order_item_id",
}


@dataclass(frozen=True, slots=True)
class StagedCounts:
    """How one entity's raw rows split; raw rows = clean + rejects + duplicates."""

    clean: int
    rejects: int
    duplicates: int


@dataclass(frozen=True, slots=True)
class StagingResult:
    """One entity's staging output; raw rows = clean + rejects + duplicates."""

    clean: pl.DataFrame
    """Conformed to staging.<entity>, sorted by its key."""
    rejects: pl.DataFrame
    """Conformed to staging.<entity>_rejects, sorted by ROW_ORDER."""
    duplicates: int
    """Raw rows dropped as exact copies (products: also superseded snapshots)."""

    def counts(self) -> StagedCounts:
        """The row counts of this result."""
        return StagedCounts(self.clean.height, self.rejects.height, self.duplicates)


def _source_columns(entity: str) -> list[str]:
    """The delivered columns of raw.<entity>, i.e. everything but lineage."""
    schema = contracts.polars_schema(f"raw.{entity}")
    return [name for name in schema if name not in contracts.LINEAGE_COLUMNS]


def _ordered(raw: pl.LazyFrame, entity: str) -> pl.DataFrame:
    """Raw rows conformed to their contract, in row order.

    The raw layer stores rows in lineage order, so usually a check is all it
    takes. Otherwise they are sorted on one integer key (lineage identifies a
    row): the rank of the row's (partition, file) pair, then its row in the file,
    about 3x faster than sorting on the lineage columns themselves.
    """
    frame = contracts.conform(raw, f"raw.{entity}").collect()
    if _in_row_order(frame):
        return frame
    files = (
        frame.lazy()
        .select(*_FILE_ORDER)
        .unique()
        .sort(_FILE_ORDER)
        .with_row_index("_file_rank")
    )
    row_key = pl.col("_file_rank").cast(pl.Int64) * 2**32 + pl.col("_source_row")
    return (
        frame.lazy()
        .join(files, on=list(_FILE_ORDER), how="left", maintain_order="left")
        .sort(row_key)
        .drop("_file_rank")
        .collect()
    )


_FILE_ORDER: Final = ("_partition_date", "_source_file")


def _in_row_order(frame: pl.DataFrame) -> bool:
    """Whether every row comes strictly after the one before it in ROW_ORDER."""
    date, file, row = (pl.col(name) for name in ROW_ORDER)

    def later(col: pl.Expr) -> pl.Expr:
        return col > col.shift()

    def same(col: pl.Expr) -> pl.Expr:
        return col == col.shift()

    after = later(date) | same(date) & (later(file) | same(file) & later(row))
    return bool(frame.select(after.fill_null(False).slice(1).all()).item())


def _exact_copies(frame: pl.DataFrame, entity: str, *within: pl.Expr) -> pl.Expr:
    """A row with a key, equal in every source column to an earlier row (nulls equal).

    ``within`` expressions must be equal too, so copies are only found inside their
    groups (a struct field rather than ``.over``, which misbehaved here in Polars 2.1).
    Only rows whose key occurs more than once can be copies, so the row-wise
    comparison runs on those few: 3x faster than over the whole table. The result
    is an expression over ``frame``'s rows, in its order.
    """
    key = KEYS[entity]
    fields = [*_source_columns(entity), *(f"_within_{i}" for i in range(len(within)))]
    rows = frame.with_row_index("_row").with_columns(
        e.alias(f"_within_{i}") for i, e in enumerate(within)
    )
    candidates = rows.filter(pl.col(key).is_in(repeated_values(frame[key]).implode()))
    copies = candidates.filter(~pl.struct(fields).is_first_distinct())
    return at_rows(copies.get_column("_row"))


def judge_customers(raw: pl.LazyFrame) -> pl.LazyFrame:
    """Customer verdicts from every rule except one customer per email."""
    ordered = _ordered(raw, "customers")
    frame = ordered.lazy().with_columns(
        staged(
            customer_id=pl.col("customer_id"),
            customer_name=standardize_name(pl.col("customer_name")),
            email=normalize_email(pl.col("email")),
            country=squish(pl.col("country")).fill_null("Unknown"),
            signup_date=pl.col("signup_date"),
            customer_segment=squish(pl.col("customer_segment")).fill_null("Standard"),
        )
    )
    email = staged_field("email")
    verdicts = judge_rows(
        frame,
        "customers",
        _exact_copies(ordered, "customers"),
        {
            "null_customer_id": pl.col("customer_id").is_null(),
            "null_customer_name": staged_field("customer_name").is_null(),
            "null_email": email.is_null(),
            "null_signup_date": pl.col("signup_date").is_null(),
            "invalid_email": ~is_valid_email(email),
            "signup_date_out_of_range": date_out_of_range(pl.col("signup_date")),
        },
    )
    return reject_repeats(
        verdicts.collect(), pl.col("customer_id"), "duplicate_key_conflict"
    ).lazy()


def clean_customers(raw: pl.LazyFrame) -> pl.LazyFrame:
    """Verdicts for raw customers: the earliest valid row per id, one customer per email."""
    verdicts = judge_customers(raw).collect()
    return reject_repeats(verdicts, staged_field("email"), "duplicate_email").lazy()


def clean_products(raw: pl.LazyFrame) -> pl.LazyFrame:
    """Verdicts for raw products: each id's row in its latest snapshot wins."""
    ordered = _ordered(raw, "products")
    frame = ordered.lazy().with_columns(
        staged(
            product_id=pl.col("product_id"),
            product_name=standardize_name(pl.col("product_name")),
            category=trim(pl.col("category")),
            price=to_decimal_money(pl.col("price")),
            cost=to_decimal_money(pl.col("cost")),
        )
    )
    # Files are daily snapshots of the whole catalog, so an older partition's row
    # is history, not a competing version: drop it whether or not it differs.
    latest = pl.col("_partition_date").max().over("product_id")
    superseded = pl.col("product_id").is_not_null() & (
        pl.col("_partition_date") < latest
    )
    # Copies are looked for among the latest rows only: the latest snapshot is
    # usually identical to older ones, and must not count as a copy of them.
    copy = _exact_copies(ordered, "products", superseded)
    price, cost = pl.col("price"), pl.col("cost")
    verdicts = judge_rows(
        frame,
        "products",
        superseded | copy,
        {
            "null_product_id": pl.col("product_id").is_null(),
            "null_product_name": staged_field("product_name").is_null(),
            "null_category": staged_field("category").is_null(),
            "null_price": is_missing(price),
            "null_cost": is_missing(cost),
            "negative_price": price < 0,
            "price_too_large": money_too_large(price, "staging.products", "price"),
            "negative_cost": cost < 0,
            "cost_too_large": money_too_large(cost, "staging.products", "cost"),
        },
    )
    return reject_repeats(
        verdicts.collect(), pl.col("product_id"), "duplicate_key_conflict"
    ).lazy()


def judge_orders(raw: pl.LazyFrame) -> pl.LazyFrame:
    """Order verdicts from every rule except the customer reference."""
    ordered = _ordered(raw, "orders")
    frame = ordered.lazy().with_columns(
        staged(
            order_id=pl.col("order_id"),
            customer_id=pl.col("customer_id"),
            order_date=pl.col("order_date"),
            order_status=trim(pl.col("order_status")).str.to_lowercase(),
            total_amount=to_decimal_money(pl.col("total_amount")),
        )
    )
    status, total = staged_field("order_status"), pl.col("total_amount")
    verdicts = judge_rows(
        frame,
        "orders",
        _exact_copies(ordered, "orders"),
        {
            "null_order_id": pl.col("order_id").is_null(),
            "null_customer_id": pl.col("customer_id").is_null(),
            "null_order_date": pl.col("order_date").is_null(),
            "null_order_status": status.is_null(),
            "null_total_amount": is_missing(total),
            "order_date_out_of_range": date_out_of_range(pl.col("order_date")),
            "unknown_status": ~status.is_in(ORDER_STATUSES),
            "negative_total_amount": total < 0,
            "total_amount_too_large": money_too_large(
                total, "staging.orders", "total_amount"
            ),
        },
    )
    return reject_repeats(
        verdicts.collect(), pl.col("order_id"), "duplicate_key_conflict"
    ).lazy()


def check_customers(
    orders: pl.LazyFrame, customers: pl.DataFrame, raw_customers: pl.DataFrame
) -> pl.LazyFrame:
    return reject_orphans(
        orders,
        "customer_id",
        kept=customers,
        known=raw_customers,
        codes=("customer_unknown", "customer_rejected"),
    )


def clean_orders(
    raw: pl.LazyFrame, *, customers: pl.DataFrame, raw_customers: pl.DataFrame
) -> pl.LazyFrame:
    """Verdicts for raw orders: the earliest valid row per id, of a staged customer.

    Parameters
    ----------
    customers
        The clean staging customers (only ``customer_id`` is read).
    raw_customers
        The raw customers (only ``customer_id`` is read), to tell an unknown
        customer from a rejected one.
    """
    return check_customers(judge_orders(raw), customers, raw_customers)


def judge_order_items(raw: pl.LazyFrame) -> pl.LazyFrame:
    """Order-item verdicts from every rule except the order and product references."""
    # No discount recorded means none was given; the classic pipeline rejected these.
    discount = pl.col("discount_percent").fill_null(0)
    ordered = _ordered(raw, "order_items")
    frame = ordered.lazy().with_columns(
        staged(
            order_item_id=pl.col("order_item_id"),
            order_id=pl.col("order_id"),
            product_id=pl.col("product_id"),
            quantity=pl.col("quantity"),
            unit_price=to_decimal_money(pl.col("unit_price")),
            # An integer percentage; conform() casts it exactly to NUMERIC(5, 2).
            discount_percent=discount,
        )
    )
    price = pl.col("unit_price")
    verdicts = judge_rows(
        frame,
        "order_items",
        _exact_copies(ordered, "order_items"),
        {
            "null_order_item_id": pl.col("order_item_id").is_null(),
            "null_order_id": pl.col("order_id").is_null(),
            "null_product_id": pl.col("product_id").is_null(),
            "null_quantity": pl.col("quantity").is_null(),
            "null_unit_price": is_missing(price),
            "non_positive_quantity": pl.col("quantity") <= 0,
            "negative_unit_price": price < 0,
            "unit_price_too_large": money_too_large(
                price, "staging.order_items", "unit_price"
            ),
            "discount_out_of_range": ~discount.is_between(0, 100),
        },
    )
    return reject_repeats(
        verdicts.collect(), pl.col("order_item_id"), "duplicate_key_conflict"
    ).lazy()


def check_orders_and_products(
    items: pl.LazyFrame,
    orders: pl.DataFrame,
    raw_orders: pl.DataFrame,
    products: pl.DataFrame,
    raw_products: pl.DataFrame,
) -> pl.LazyFrame:
    items = reject_orphans(
        items,
        "order_id",
        kept=orders,
        known=raw_orders,
        codes=("order_unknown", "order_rejected"),
    )
    return reject_orphans(
        items,
        "product_id",
        kept=products,
        known=raw_products,
        codes=("product_unknown", "product_rejected"),
    )


def clean_order_items(
    raw: pl.LazyFrame,
    *,
    orders: pl.DataFrame,
    raw_orders: pl.DataFrame,
    products: pl.DataFrame,
    raw_products: pl.DataFrame,
) -> pl.LazyFrame:
    """Verdicts for raw order items: the earliest valid row per id, of staged parents.

    Parameters
    ----------
    orders, products
        The clean staging orders and products (only the key is read).
    raw_orders, raw_products
        The raw frames (only the key is read), to tell an unknown reference
        from a rejected one.
    """
    return check_orders_and_products(
        judge_order_items(raw), orders, raw_orders, products, raw_products
    )


def _split_plans(verdicts: pl.LazyFrame, entity: str) -> list[pl.LazyFrame]:
    """Lazy clean rows, rejects and duplicate count of one verdict frame."""
    clean = verdicts.filter(ALIVE).select(pl.col(STAGED).struct.unnest())
    rejects = verdicts.filter(pl.col(REJECT_REASON).is_not_null())
    return [
        contracts.conform(clean, f"staging.{entity}").sort(KEYS[entity]),
        # Verdicts are already in row order; a stable sort keeps that for any ties.
        contracts.conform(rejects, f"staging.{entity}_rejects").sort(
            ROW_ORDER, maintain_order=True
        ),
        verdicts.select(pl.col(IS_DUPLICATE).sum().cast(pl.Int64)),
    ]


def _result(
    clean: pl.DataFrame, rejects: pl.DataFrame, duplicates: pl.DataFrame
) -> StagingResult:
    return StagingResult(clean=clean, rejects=rejects, duplicates=duplicates.item())


def split_verdicts(verdicts: pl.LazyFrame, entity: str) -> StagingResult:
    """Collect a ``clean_*`` verdict frame into clean rows, rejects and duplicates."""
    # Collect once: the three plans share the verdicts, and collect_all does not
    # reliably reuse a common subplan whose filters and projections differ.
    collected = verdicts.collect().lazy()
    return _result(*pl.collect_all(_split_plans(collected, entity)))


def _kept(verdicts: pl.DataFrame, entity: str) -> pl.DataFrame:
    """The keys of a collected verdict frame that reached staging."""
    return verdicts.lazy().filter(ALIVE).select(KEYS[entity]).collect()


def build_staging(raw: Mapping[str, pl.LazyFrame]) -> dict[str, StagingResult]:
    """Clean customers, products, orders and order_items from their raw frames."""
    missing = [entity for entity in contracts.ENTITIES if entity not in raw]
    if missing:
        msg = f"staging needs raw frames for {', '.join(missing)}; pass every entity's raw frame"
        raise ContractError(msg, table=f"raw.{missing[0]}")
    # Each entity's rules collect eagerly (row order, copies, repeats); only the
    # reference checks wait for their parents, as hash look-ups against their
    # collected verdicts.
    customers, products, orders, items = pl.collect_all(
        [
            clean_customers(raw["customers"]),
            clean_products(raw["products"]),
            judge_orders(raw["orders"]),
            judge_order_items(raw["order_items"]),
        ]
    )
    # A verdict frame holds every raw row, so it doubles as the parent's raw keys.
    orders = check_customers(
        orders.lazy(), _kept(customers, "customers"), customers
    ).collect()
    items = check_orders_and_products(
        items.lazy(),
        _kept(orders, "orders"),
        orders,
        _kept(products, "products"),
        products,
    ).collect()
    verdicts = dict(
        zip(contracts.ENTITIES, (customers, products, orders, items), strict=True)
    )
    frames = pl.collect_all(
        plan
        for entity, frame in verdicts.items()
        for plan in _split_plans(frame.lazy(), entity)
    )
    results = {
        entity: _result(*frames[3 * i : 3 * i + 3]) for i, entity in enumerate(verdicts)
    }
    for entity, result in results.items():
        logger.debug(
            "staging.%s: %d raw -> %d clean, %d rejected, %d duplicate",
            entity,
            verdicts[entity].height,
            result.clean.height,
            result.rejects.height,
            result.duplicates,
        )
    return results
