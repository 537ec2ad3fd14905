"""Generator part of products: the whole catalog every day, only the name noise drawn per day."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

import numpy as np
import pyarrow as pa

from engine.generate.draws import day_draws
from engine.generate.names import name_variant

if TYPE_CHECKING:
    from engine.generate.parts import Chunk, TableDays


STREAM: Final = 3
"""Random stream of this table's draws, unique among the generator's."""
SCHEMA: Final = pa.schema(
    [
        ("product_id", pa.int64()),
        ("product_name", pa.string()),
        ("category", pa.string()),
        ("price", pa.float64()),
        ("cost", pa.float64()),
    ]
)
"""The file schema of the classic pipeline: raw.products without lineage columns."""


def build(chunk: Chunk) -> TableDays:
    """The whole catalog on every day of the chunk; only the name noise varies."""
    catalog, dirt, seed = chunk.catalog, chunk.dirt, chunk.seed
    lo, hi = chunk.lo, chunk.hi
    n, days = len(catalog.price_cents), hi - lo + 1
    u = day_draws(seed, STREAM, lo, np.full(days, n), 2)
    index = np.tile(np.arange(n), days)
    variant = name_variant(u[:, 0], u[:, 1], dirt)
    table = pa.Table.from_arrays(
        [
            pa.array(index + 1),
            catalog.name_variants.take(variant * n + index),
            catalog.category.take(index),
            pa.array(catalog.price_cents[index] / 100),
            pa.array(catalog.cost_cents[index] / 100),
        ],
        schema=SCHEMA,
    )
    return table, np.arange(days + 1) * n
