"""Staging rule building blocks: reason codes, value expressions and rule combinators.

Every expression here has a plain SQL twin (see docs/staging-rules.md), so a
DuckDB variant of staging can reproduce the Polars one exactly.
"""

from __future__ import annotations

import datetime as dt
from typing import Final

import polars as pl

from engine import contracts
from engine.errors import ContractError

EARLIEST_DATE: Final = dt.date(2000, 1, 1)
"""No order, signup or partition of this shop is older: earlier dates are typos."""
LATEST_PARTITION: Final = dt.date(2099, 12, 31)
"""Last partition folder accepted; fixed, not the wall clock, so runs are reproducible."""
FUTURE_DAYS: Final = 1
"""How far past its partition date a row's date may be (time zones at midnight)."""
_WINDOW: Final = (
    f"before {EARLIEST_DATE} or more than {FUTURE_DAYS} day after its partition date"
)

REASONS: Final[dict[str, dict[str, str]]] = {
    "customers": {
        "null_customer_id": "customer_id is missing",
        "null_customer_name": "customer_name is missing or blank",
        "null_email": "email is missing or blank",
        "null_signup_date": "signup_date is missing",
        "invalid_email": "email (trimmed, lower-cased) is not a valid address",
        "signup_date_out_of_range": f"signup_date is {_WINDOW}",
        "duplicate_key_conflict": "an earlier row of this customer_id was kept and has different values",
        "duplicate_email": "an earlier kept customer already has this email",
    },
    "products": {
        "null_product_id": "product_id is missing",
        "null_product_name": "product_name is missing or blank",
        "null_category": "category is missing or blank",
        "null_price": "price is missing or NaN",
        "null_cost": "cost is missing or NaN",
        "negative_price": "price is below zero",
        "price_too_large": "price does not fit the staging NUMERIC column",
        "negative_cost": "cost is below zero",
        "cost_too_large": "cost does not fit the staging NUMERIC column",
        "duplicate_key_conflict": "an earlier row of this product_id in the same latest snapshot was kept and has different values",
    },
    "orders": {
        "null_order_id": "order_id is missing",
        "null_customer_id": "customer_id is missing",
        "null_order_date": "order_date is missing",
        "null_order_status": "order_status is missing or blank",
        "null_total_amount": "total_amount is missing or NaN",
        "order_date_out_of_range": f"order_date is {_WINDOW}",
        "unknown_status": "order_status (trimmed, lower-cased) is not completed, pending, cancelled or returned",
        "negative_total_amount": "total_amount is below zero",
        "total_amount_too_large": "total_amount does not fit the staging NUMERIC column",
        "duplicate_key_conflict": "an earlier row of this order_id was kept and has different values",
        "customer_unknown": "customer_id never appears in raw customers",
        "customer_rejected": "customer_id appears in raw customers but none of its rows reached staging",
    },
    "order_items": {
        "null_order_item_id": "order_item_id is missing",
        "null_order_id": "order_id is missing",
        "null_product_id": "product_id is missing",
        "null_quantity": "quantity is missing",
        "null_unit_price": "unit_price is missing or NaN",
        "non_positive_quantity": "quantity is zero or below",
        "negative_unit_price": "unit_price is below zero",
        "unit_price_too_large": "unit_price does not fit the staging NUMERIC column",
        "discount_out_of_range": "discount_percent is outside 0-100",
        "duplicate_key_conflict": "an earlier row of this order_item_id was kept and has different values",
        "order_unknown": "order_id never appears in raw orders",
        "order_rejected": "order_id appears in raw orders but none of its rows reached staging",
        "product_unknown": "product_id never appears in raw products",
        "product_rejected": "product_id appears in raw products but none of its rows reached staging",
    },
}
"""Entity -> reason code -> one-line description; each entity's codes in priority order."""

REJECT_REASON: Final = "reject_reason"
IS_DUPLICATE: Final = "is_duplicate"
STAGED: Final = "staged"

EMAIL_PATTERN: Final = r"^[a-zA-Z0-9._%+-]+@[a-zA-Z0-9.-]+\.[a-zA-Z]{2,}$"
ORDER_STATUSES: Final = ("completed", "pending", "cancelled", "returned")
WHITESPACE: Final = r"[\t\n\x0B\f\r\x{85}\p{Z}]"
r"""Unicode White_Space, spelled so RE2 (DuckDB) matches what Rust's ``\s`` matches."""
TITLE_BREAKS: Final = (" ", "-", "'")
"""A letter right after one of these (or at the start) is upper-cased by title_case."""


def trim(text: pl.Expr) -> pl.Expr:
    """Strip leading and trailing whitespace; blank becomes null, so it counts as missing."""
    # strip_chars() strips exactly the Unicode White_Space set that WHITESPACE spells out.
    trimmed = text.str.strip_chars()
    return pl.when(trimmed != "").then(trimmed)


def squish(text: pl.Expr) -> pl.Expr:
    """Trim and collapse inner whitespace runs to one space; blank becomes null."""
    return trim(text.str.replace_all(f"{WHITESPACE}+", " "))


def title_case(text: pl.Expr) -> pl.Expr:
    """Upper-case letters at the start or after a space, hyphen or apostrophe; lower the rest.

    Polars' own ``str.to_titlecase`` also starts a word after a digit ("3Rd"), so
    the rule is spelled out as split / capitalize / join, which SQL can mirror.
    A letter whose capital is several characters ('ß' -> 'SS', 'ﬁ' -> 'FI') is
    kept as it is: SQL engines map one character to one, so they cannot agree.
    """
    out = text.str.to_lowercase()
    first, rest = pl.element().str.slice(0, 1), pl.element().str.slice(1)
    upper = first.str.to_uppercase()
    capital = pl.when(upper.str.len_chars() == 1).then(upper).otherwise(first)
    for sep in TITLE_BREAKS:
        out = out.str.split(sep).list.eval(capital + rest).list.join(sep)
    return out


def standardize_name(text: pl.Expr) -> pl.Expr:
    """Squish a name, title-case it only when it is all lower- or all upper-case.

    Mixed case is kept because it is deliberate ("McCarthy", "PhD"); title-casing
    it, as the classic pipeline did, destroys information.
    """
    name = squish(text)
    # "No upper-case letter or no lower-case letter" rather than comparing with
    # upper(name): letters like 'ß' upper-case to two characters, and SQL engines
    # disagree about that; the Unicode categories do not.
    single_case = ~name.str.contains(r"\p{Lu}") | ~name.str.contains(r"\p{Ll}")
    return pl.when(single_case).then(title_case(name)).otherwise(name)


def normalize_email(text: pl.Expr) -> pl.Expr:
    """Trim and lower-case; addresses are compared and stored in this form."""
    return trim(text).str.to_lowercase()


def is_valid_email(email: pl.Expr) -> pl.Expr:
    """Whether a normalized email matches EMAIL_PATTERN."""
    return email.str.contains(EMAIL_PATTERN)


def is_missing(value: pl.Expr) -> pl.Expr:
    """Null, or NaN for floats: pandas treated NaN as missing, so the rules do too."""
    return value.is_null() | value.is_nan()


def date_out_of_range(date: pl.Expr) -> pl.Expr:
    """Whether a row's date is before EARLIEST_DATE or past its partition + FUTURE_DAYS."""
    latest = pl.col("_partition_date").dt.offset_by(f"{FUTURE_DAYS}d")
    return (date < pl.lit(EARLIEST_DATE)) | (date > latest)


def cents(amount: pl.Expr) -> pl.Expr:
    """Float money as whole cents, rounded half away from zero (still a float).

    Values delivered with two decimals are within float noise of a whole cent
    (0.29 * 100 == 28.999999999999996), so rounding recovers them exactly.
    """
    return (amount * 100).round(0, mode="half_away_from_zero")


def to_decimal_money(amount: pl.Expr) -> pl.Expr:
    """Float money as an exact Decimal(38, 2) via integer cents.

    Integer cents divided by 100 as a decimal is exact; Polars decimal
    multiplication can silently drop scale, so there is no decimal arithmetic here.
    """
    whole = cents(amount).cast(pl.Int64, strict=False)
    return whole.cast(pl.Decimal(38, 2)) / 100


def money_limit_cents(table: str, column: str) -> float:
    """10^p: the first whole number of cents that no longer fits the column's NUMERIC(p, 2).

    A float, because the amounts it bounds are float cents and +inf must compare too;
    the SQL staging twins get it as a parameter, so both engines share one limit.
    """
    dtype = contracts.polars_schema(table)[column]
    if not isinstance(dtype, pl.Decimal) or dtype.scale != 2:
        msg = f"{table}.{column}: staging rounds money to cents, so the DDL must declare NUMERIC(p, 2), not {dtype}"
        raise ContractError(msg, table=table, column=column)
    return 10.0**dtype.precision


def money_too_large(amount: pl.Expr, table: str, column: str) -> pl.Expr:
    """Whether the rounded amount overflows the column's NUMERIC(p, 2) in the DDL."""
    return cents(amount).abs() >= money_limit_cents(table, column)


_reason = pl.col(REJECT_REASON)
ALIVE: Final = _reason.is_null() & ~pl.col(IS_DUPLICATE)
"""Rows still in the running: neither dropped as a duplicate nor rejected yet."""


def staged(**columns: pl.Expr) -> pl.Expr:
    """The cleaned values as one struct column, keeping the row's lineage."""
    return pl.struct(
        **columns,
        _source_file=pl.col("_source_file"),
        _partition_date=pl.col("_partition_date"),
    ).alias(STAGED)


def staged_field(name: str) -> pl.Expr:
    """One cleaned value, for rules that judge the normalized form."""
    return pl.col(STAGED).struct.field(name)


def judge_rows(
    frame: pl.LazyFrame, entity: str, duplicate: pl.Expr, rules: dict[str, pl.Expr]
) -> pl.LazyFrame:
    """Flag duplicates, then give every other row the first row-level rule it fails.

    ``rules`` maps reason code -> failing condition. Priority is the order of
    ``REASONS[entity]``, so the documented order and the applied one cannot drift.
    """
    unknown = [code for code in rules if code not in REASONS[entity]]
    if unknown:
        msg = f"staging.{entity}: rule(s) {', '.join(unknown)} missing from REASONS; add them there with a description"
        raise ContractError(msg, table=f"staging.{entity}_rejects")
    first_failing = pl.coalesce(
        [
            pl.when(rules[code]).then(pl.lit(code))
            for code in REASONS[entity]
            if code in rules
        ]
    )
    return frame.with_columns(duplicate.alias(IS_DUPLICATE)).with_columns(
        pl.when(~pl.col(IS_DUPLICATE)).then(first_failing).alias(REJECT_REASON)
    )


def reject_repeats(frame: pl.DataFrame, by: pl.Expr, code: str) -> pl.DataFrame:
    """Reject every surviving row after the first one with the same ``by`` value.

    The frame must already be in row order: that is what makes "first" mean
    earliest delivered. Only values shared by surviving rows are looked at in
    order, so the order-dependent step runs on a few rows, not the whole table.
    """
    alive = frame.select(
        pl.int_range(pl.len(), dtype=pl.UInt32).alias("_row"), by.alias("_by")
    ).filter(frame.select(ALIVE).to_series())
    shared = repeated_values(alive["_by"])
    candidates = alive.filter(
        pl.col("_by").is_in(shared.implode()) | pl.col("_by").is_null()
    )
    repeats = candidates.filter(~pl.col("_by").is_first_distinct())["_row"]
    return frame.with_columns(
        pl.when(at_rows(repeats))
        .then(pl.lit(code))
        .otherwise(_reason)
        .alias(REJECT_REASON)
    )


def reject_listed(
    frame: pl.DataFrame, by: pl.Expr, values: pl.Series, code: str
) -> pl.DataFrame:
    """Reject every surviving row whose ``by`` value is among ``values``.

    For a rule decided across pieces: ``values`` are the losers another pass found.
    """
    listed = ALIVE & by.is_in(values.implode())
    return frame.with_columns(
        pl.when(listed).then(pl.lit(code)).otherwise(_reason).alias(REJECT_REASON)
    )


def repeated_values(values: pl.Series) -> pl.Series:
    """The non-null values that occur more than once.

    Sorting and comparing neighbours is 10x faster than a group-by here: ids
    arrive nearly in order, which the sort detects.
    """
    ordered = values.drop_nulls().sort()
    return ordered.filter(ordered == ordered.shift()).unique()


def at_rows(rows: pl.Series) -> pl.Expr:
    """True at the given row numbers of the frame it is evaluated on."""
    return pl.int_range(pl.len(), dtype=pl.UInt32).is_in(rows.implode())


def orphan_codes(entity: str, ref: contracts.Reference) -> tuple[str, str]:
    """The (unknown, rejected) reason codes of a reference from sql/.

    A reference column ``<name>_id`` rejects with ``<name>_unknown`` and
    ``<name>_rejected``, which ``REASONS[entity]`` must list.
    """
    name = ref.column.removesuffix("_id")
    codes = (f"{name}_unknown", f"{name}_rejected")
    missing = [code for code in codes if code not in REASONS.get(entity, {})]
    if missing:
        msg = f"staging.{entity}: the reference {ref.column} -> staging.{ref.parent} needs reason code(s) {', '.join(missing)} in REASONS; add them with a description"
        raise ContractError(msg, table=f"staging.{entity}_rejects", column=ref.column)
    return codes


def reject_orphans(
    frame: pl.LazyFrame,
    column: str,
    *,
    kept: pl.DataFrame,
    known: pl.DataFrame,
    codes: tuple[str, str],
) -> pl.LazyFrame:
    """Reject surviving rows whose ``column`` is not among ``kept``'s keys.

    ``codes`` is (absent from ``known`` too, present there): an unknown reference
    is fixed in the source system, a rejected one in the parent's rejects.
    Parents are collected frames because a reference needs their final verdict.
    """
    unknown, rejected = codes
    ref = pl.col(column)
    orphan = ALIVE & ~ref.is_in(kept.get_column(column).drop_nulls().implode())
    never_seen = ~ref.is_in(known.get_column(column).drop_nulls().implode())
    return frame.with_columns(
        pl.when(orphan & never_seen)
        .then(pl.lit(unknown))
        .when(orphan)
        .then(pl.lit(rejected))
        .otherwise(_reason)
        .alias(REJECT_REASON)
    )
