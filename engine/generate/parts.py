"""Generator parts: each source table's module, found by name, and the chunk they build.

A source table's part is `engine/generate/<table>.py` with `SCHEMA` (the file's Arrow
schema, the raw table without lineage), `STREAM` (its own random stream id) and
`build(chunk)`. The tables are the ones
sql/ declares, so a table without a part fails before anything is written.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, TypeAlias

from engine import contracts
from engine.errors import ContractError
from engine.generate.catalog import CATALOG_STREAM
from engine.generate.world import WORLD_STREAM

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa

    from engine.generate.catalog import Catalog
    from engine.generate.dirt import DirtRates
    from engine.generate.pools import Pools
    from engine.generate.world import World

TableDays: TypeAlias = "tuple[pa.Table, np.ndarray]"
"""A table's rows for a chunk, sorted by day, and each day's row offsets (plus the end)."""


@dataclass(frozen=True, slots=True)
class Chunk:
    """Days lo..hi (ordinals) of a run, and what every table's rows are drawn from."""

    world: World
    pools: Pools
    catalog: Catalog
    dirt: DirtRates
    seed: int
    lo: int
    hi: int
    shared: dict[str, object] = field(default_factory=dict)
    """Values one part works out for another (the order totals from the items)."""


class TablePart(Protocol):
    """What a generator part module provides."""

    SCHEMA: pa.Schema
    STREAM: int

    def build(self, chunk: Chunk) -> TableDays:
        """The table's rows for the chunk's days."""
        ...


def table_parts() -> dict[str, TablePart]:
    """The generator part of every source table in sql/, in sql/'s order."""
    parts: dict[str, TablePart] = {}
    for table in contracts.entities():
        name = f"engine.generate.{table}"
        try:
            parts[table] = importlib.import_module(name)  # type: ignore[assignment]
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            msg = f"raw.{table}: no generator part; add engine/generate/{table}.py with SCHEMA, STREAM and build(chunk)"
            raise ContractError(msg, table=f"raw.{table}") from None
    _check_streams(parts)
    return parts


def _check_streams(parts: dict[str, TablePart]) -> None:
    """Two purposes on one stream would draw the same numbers; refuse that."""
    taken = {WORLD_STREAM: "the world", CATALOG_STREAM: "the catalog"}
    for table, part in parts.items():
        if part.STREAM in taken:
            msg = f"engine/generate/{table}.py: STREAM {part.STREAM} is already the stream of {taken[part.STREAM]}; pick an unused number"
            raise ContractError(msg, table=f"raw.{table}")
        taken[part.STREAM] = table
