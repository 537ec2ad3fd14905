"""Deterministic dirty e-commerce data as one Parquet file per table per day.

Writes every source table of sql/ to `<out>/<table>/<YYYY-MM-DD>/data.parquet` with
duplicates, nulls, casing noise, bad emails, bad amounts, orphan keys and late rows
at the rates of `DirtRates`. Each table's rows come from its part,
`engine/generate/<table>.py`; `runner` builds chunks of days and `files` writes them.

Every draw comes from a generator seeded with (seed, purpose, absolute day), and ids are
offsets counted from a fixed world origin, so a day's files never depend on the
requested range: any sub-range writes the same bytes as the full run for its days.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from engine.generate.catalog import CATEGORIES
from engine.generate.customers import SEGMENTS
from engine.generate.dirt import DirtRates
from engine.generate.order_items import DISCOUNTS
from engine.generate.orders import STATUSES
from engine.generate.parts import table_parts
from engine.generate.runner import GenerateSummary, generate_dataset
from engine.generate.world import ORPHAN_ID_BASE, WORLD_ORIGIN

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = [
    "CATEGORIES",
    "DISCOUNTS",
    "ORPHAN_ID_BASE",
    "SEGMENTS",
    "STATUSES",
    "WORLD_ORIGIN",
    "DirtRates",
    "GenerateSummary",
    "generate_dataset",
    "table_parts",
]


def __getattr__(name: str) -> tuple[str, ...] | dict[str, pa.Schema]:
    # Read from sql/ and the parts on first use, so a broken DDL fails where used.
    if name == "TABLES":
        return tuple(table_parts())
    if name == "SCHEMAS":
        return {table: part.SCHEMA for table, part in table_parts().items()}
    msg = f"module {__name__!r} has no attribute {name!r}"
    raise AttributeError(msg)
