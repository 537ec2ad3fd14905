"""Generator part of order_items: 1-5 lines per order, and each order's exact total."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

import numpy as np
import pyarrow as pa

from engine.generate.arrays import day_bounds
from engine.generate.draws import (
    day_draws,
    hits,
    to_index,
    weighted,
    with_duplicates,
)
from engine.generate.world import ORPHAN_ID_BASE

if TYPE_CHECKING:
    from engine.generate.parts import Chunk, TableDays


STREAM: Final = 5
"""Random stream of this table's draws, unique among the generator's."""
SCHEMA: Final = pa.schema(
    [
        ("order_item_id", pa.int64()),
        ("order_id", pa.int64()),
        ("product_id", pa.int64()),
        ("quantity", pa.int64()),
        ("unit_price", pa.float64()),
        ("discount_percent", pa.int64()),
    ]
)
"""The file schema of the classic pipeline: raw.order_items without lineage columns."""
DISCOUNTS: Final = (0, 5, 10, 15, 20)
_DISCOUNT_CUM: Final = (0.5, 0.7, 0.85, 0.95)
_QUANTITY_CUM: Final = (0.4, 0.65, 0.8, 0.92)  # 1..5, small baskets most often
_BAD_QUANTITIES: Final = (0, -1, -2)
_BAD_DISCOUNTS: Final = (150, -10, 110, -5, 200)


def build(chunk: Chunk) -> TableDays:
    """The lines of each day's orders."""
    return _items_and_totals(chunk)[0]


def order_totals(chunk: Chunk) -> np.ndarray:
    """Each order's total in cents (before dirt), from the same draws as its lines."""
    return _items_and_totals(chunk)[1]


def _items_and_totals(chunk: Chunk) -> tuple[TableDays, np.ndarray]:
    """Built once per chunk and shared: orders need the totals of these lines."""
    if "order_items" not in chunk.shared:
        chunk.shared["order_items"] = _build(chunk)
    return chunk.shared["order_items"]  # type: ignore[return-value]


def _build(chunk: Chunk) -> tuple[TableDays, np.ndarray]:
    """The items of the days' orders, and each order's total in cents (before dirt)."""
    world, catalog, dirt, seed = chunk.world, chunk.catalog, chunk.dirt, chunk.seed
    lo, hi = chunk.lo, chunk.hi
    j0, j1 = lo - world.origin, hi - world.origin + 1
    order_lo, order_hi = world.orders_before[j0], world.orders_before[j1]
    per_order = world.items_per_order[order_lo:order_hi].astype(np.int64)
    counts = np.diff(world.items_before[j0 : j1 + 1])
    first_id = world.items_before[j0] + 1
    ids = np.arange(first_id, first_id + counts.sum(), dtype=np.int64)
    day = np.repeat(np.arange(lo, hi + 1), counts)
    u = day_draws(seed, STREAM, lo, counts, 8)

    product = 1 + to_index(u[:, 0], len(catalog.price_cents))
    cents = catalog.price_cents[product - 1]
    quantity = 1 + weighted(u[:, 1], _QUANTITY_CUM)
    discount = np.asarray(DISCOUNTS)[weighted(u[:, 2], _DISCOUNT_CUM)]
    # Integer hundredths of a cent: totals are exact and round half-up to cents.
    line = quantity * cents * (100 - discount)
    starts = np.cumsum(per_order) - per_order
    sums = np.add.reduceat(line, starts) if len(starts) else line[:0]
    totals = (sums + 50) // 100

    hit, w = hits(u[:, 3], dirt.orphan_product)
    product[hit] = ORPHAN_ID_BASE + to_index(w, 1_000_000)
    hit, _ = hits(u[:, 4], dirt.negative_price)
    cents[hit] = -cents[hit]
    hit, w = hits(u[:, 5], dirt.bad_quantity)
    quantity[hit] = np.asarray(_BAD_QUANTITIES)[to_index(w, len(_BAD_QUANTITIES))]
    hit, w = hits(u[:, 6], dirt.bad_discount)
    discount[hit] = np.asarray(_BAD_DISCOUNTS)[to_index(w, len(_BAD_DISCOUNTS))]

    rows = with_duplicates(u[:, 7], dirt.duplicate_item)
    order_id = np.repeat(np.arange(order_lo + 1, order_hi + 1), per_order)
    table = pa.Table.from_arrays(
        [
            pa.array(ids[rows]),
            pa.array(order_id[rows]),
            pa.array(product[rows]),
            pa.array(quantity[rows]),
            pa.array(cents[rows] / 100),
            pa.array(discount[rows]),
        ],
        schema=SCHEMA,
    )
    return (table, day_bounds(day[rows], lo, hi)), totals
