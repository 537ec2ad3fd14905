"""Staging layer: Polars rules that split raw rows into clean rows, rejects and duplicates.

Each ``clean_*`` / ``judge_*`` function returns a *verdict* frame: every raw row, in
row order (_partition_date, _source_file, _source_row), with its raw columns untouched plus

- ``is_duplicate``: an exact copy (products: also a superseded snapshot), dropped;
- ``reject_reason``: the code of the first rule the row fails (``REASONS``), else null;
- ``staged``: a struct of the cleaned values under the staging.<entity> column names.

Each source table's rules are registered by name with ``@entity_rules("<entity>")``:
a judge of the entity's own rows. Its reference checks follow from the references
sql/ declares (``check_references``), and ``rules_for`` fails early, in one line, for
a source table without rules. ``split_verdicts`` turns a verdict frame into a
``StagingResult``, and ``build_staging`` runs every entity on whole frames in memory;
the engine runs the same functions piece by piece (engine/polars_build.py). The rules
are in docs/staging-rules.md.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeAlias

import polars as pl

from engine import contracts
from engine.errors import ContractError
from engine.staging_rows import ROW_ORDER, exact_copies, ordered_rows
from engine.staging_rules import (
    ALIVE,
    IS_DUPLICATE,
    ORDER_STATUSES,
    REASONS,
    REJECT_REASON,
    STAGED,
    date_out_of_range,
    is_missing,
    is_valid_email,
    judge_rows,
    money_too_large,
    normalize_email,
    orphan_codes,
    reject_orphans,
    reject_repeats,
    squish,
    staged,
    staged_field,
    standardize_name,
    to_decimal_money,
    trim,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

__all__ = [
    "REASONS",
    "ROW_ORDER",
    "StagedCounts",
    "StagingResult",
    "build_staging",
    "check_references",
    "check_rules",
    "clean_customers",
    "clean_order_items",
    "clean_orders",
    "clean_products",
    "entity_rules",
    "judge_customers",
    "judge_order_items",
    "judge_orders",
    "rules_for",
    "split_verdicts",
]

logger = logging.getLogger(__name__)


def __getattr__(name: str) -> dict[str, str]:
    # KEYS is derived from the staging primary keys in sql/, read on first use.
    if name == "KEYS":
        return {entity: contracts.entity_key(entity) for entity in contracts.entities()}
    msg = f"module {__name__!r} has no attribute {name!r}"
    raise AttributeError(msg)


Judge: TypeAlias = "Callable[[pl.LazyFrame], pl.LazyFrame]"
"""Raw rows of one entity in, their verdicts (every rule but the references) out."""
_JUDGES: dict[str, Judge] = {}


def entity_rules(entity: str) -> Callable[[Judge], Judge]:
    """Register the decorated function as the judge of ``entity``'s own rows."""

    def register(judge: Judge) -> Judge:
        _JUDGES[entity] = judge
        return judge

    return register


def rules_for(entity: str) -> Judge:
    """The judge registered for a source table; one actionable line if there is none."""
    try:
        return _JUDGES[entity]
    except KeyError:
        msg = f"staging.{entity}: no Polars staging rules; write a judge in engine/staging.py decorated with @entity_rules({entity!r})"
        raise ContractError(msg, table=f"staging.{entity}") from None


def check_rules() -> None:
    """Every source table in sql/ has rules and reason codes for its references."""
    entities = contracts.entities()
    for entity in entities:
        rules_for(entity)
        for ref in contracts.parent_references(entity):
            orphan_codes(entity, ref)
    extra = sorted(set(_JUDGES) - set(entities))
    if extra:
        msg = f"engine/staging.py: rules registered for {extra[0]}, which sql/ does not declare (no raw.{extra[0]}); add its DDL or remove the rules"
        raise ContractError(msg, table=f"raw.{extra[0]}")


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


def judge_customers(raw: pl.LazyFrame) -> pl.LazyFrame:
    """Customer verdicts from every rule except one customer per email."""
    ordered = ordered_rows(raw, "customers")
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
        exact_copies(ordered, "customers"),
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


@entity_rules("customers")
def clean_customers(raw: pl.LazyFrame) -> pl.LazyFrame:
    """Verdicts for raw customers: the earliest valid row per id, one customer per email."""
    verdicts = judge_customers(raw).collect()
    return reject_repeats(verdicts, staged_field("email"), "duplicate_email").lazy()


@entity_rules("products")
def clean_products(raw: pl.LazyFrame) -> pl.LazyFrame:
    """Verdicts for raw products: each id's row in its latest snapshot wins."""
    ordered = ordered_rows(raw, "products")
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
    copy = exact_copies(ordered, "products", superseded)
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


@entity_rules("orders")
def judge_orders(raw: pl.LazyFrame) -> pl.LazyFrame:
    """Order verdicts from every rule except the customer reference."""
    ordered = ordered_rows(raw, "orders")
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
        exact_copies(ordered, "orders"),
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


Parents: TypeAlias = "Mapping[str, tuple[pl.DataFrame, pl.DataFrame]]"
"""Parent entity -> (its kept keys, its raw keys); only the key column is read."""


def check_references(
    verdicts: pl.LazyFrame, entity: str, parents: Parents
) -> pl.LazyFrame:
    """Reject surviving rows whose references (declared in sql/) miss a staged parent.

    References are checked in the order of their codes in ``REASONS``, so a row
    with two missing parents gets the higher-priority reason.
    """
    refs = contracts.parent_references(entity)
    priority = list(REASONS[entity])
    for ref in sorted(refs, key=lambda r: priority.index(orphan_codes(entity, r)[0])):
        if ref.parent not in parents:
            msg = f"staging.{entity}: checking {ref.column} needs the kept and raw keys of staging.{ref.parent}; pass them in parents"
            raise ContractError(msg, table=f"staging.{entity}", column=ref.column)
        kept, known = (
            frame.select(pl.col(ref.parent_column).alias(ref.column))
            for frame in parents[ref.parent]
        )
        verdicts = reject_orphans(
            verdicts,
            ref.column,
            kept=kept,
            known=known,
            codes=orphan_codes(entity, ref),
        )
    return verdicts


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
    parents = {"customers": (customers, raw_customers)}
    return check_references(judge_orders(raw), "orders", parents)


@entity_rules("order_items")
def judge_order_items(raw: pl.LazyFrame) -> pl.LazyFrame:
    """Order-item verdicts from every rule except the order and product references."""
    # No discount recorded means none was given; the classic pipeline rejected these.
    discount = pl.col("discount_percent").fill_null(0)
    ordered = ordered_rows(raw, "order_items")
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
        exact_copies(ordered, "order_items"),
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
    parents = {"orders": (orders, raw_orders), "products": (products, raw_products)}
    return check_references(judge_order_items(raw), "order_items", parents)


def _split_plans(verdicts: pl.LazyFrame, entity: str) -> list[pl.LazyFrame]:
    """Lazy clean rows, rejects and duplicate count of one verdict frame."""
    clean = verdicts.filter(ALIVE).select(pl.col(STAGED).struct.unnest())
    rejects = verdicts.filter(pl.col(REJECT_REASON).is_not_null())
    return [
        contracts.conform(clean, f"staging.{entity}").sort(
            contracts.entity_key(entity)
        ),
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
    return verdicts.lazy().filter(ALIVE).select(contracts.entity_key(entity)).collect()


def build_staging(raw: Mapping[str, pl.LazyFrame]) -> dict[str, StagingResult]:
    """Clean every source table from its raw frame, parents before children."""
    entities = contracts.entities()
    missing = [entity for entity in entities if entity not in raw]
    if missing:
        msg = f"staging needs raw frames for {', '.join(missing)}; pass every entity's raw frame"
        raise ContractError(msg, table=f"raw.{missing[0]}")
    check_rules()
    # Each entity's rules collect eagerly (row order, copies, repeats); only the
    # reference checks wait for their parents, as hash look-ups against their
    # collected verdicts.
    own = pl.collect_all(rules_for(entity)(raw[entity]) for entity in entities)
    verdicts: dict[str, pl.DataFrame] = {}
    for entity, frame in zip(entities, own, strict=True):
        # A verdict frame holds every raw row, so it doubles as the parent's raw keys.
        parents = {
            ref.parent: (_kept(verdicts[ref.parent], ref.parent), verdicts[ref.parent])
            for ref in contracts.parent_references(entity)
        }
        verdicts[entity] = check_references(frame.lazy(), entity, parents).collect()
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
