"""Generator part of orders: each day's orders, their totals from their items' draws."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Final

import numpy as np
import pyarrow as pa

from engine.generate import order_items
from engine.generate.arrays import dates, day_bounds
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


STREAM: Final = 4
"""Random stream of this table's draws, unique among the generator's."""
SCHEMA: Final = pa.schema(
    [
        ("order_id", pa.int64()),
        ("customer_id", pa.int64()),
        ("order_date", pa.date32()),
        ("order_status", pa.string()),
        ("total_amount", pa.float64()),
    ]
)
"""The file schema of the classic pipeline: raw.orders without lineage columns."""
STATUSES: Final = ("completed", "pending", "cancelled", "returned")
_STATUS_CUM: Final = (0.70, 0.85, 0.95)
_UNKNOWN_STATUSES: Final = ("shipped", "processing", "on hold")


def build(chunk: Chunk) -> TableDays:
    """Each day's orders, with totals summed from their items (then dirtied)."""
    world, dirt, seed, lo, hi = chunk.world, chunk.dirt, chunk.seed, chunk.lo, chunk.hi
    total_cents = order_items.order_totals(chunk)
    j0, j1 = lo - world.origin, hi - world.origin + 1
    counts = np.diff(world.orders_before[j0 : j1 + 1])
    first_id = world.orders_before[j0] + 1
    ids = np.arange(first_id, first_id + counts.sum(), dtype=np.int64)
    day = np.repeat(np.arange(lo, hi + 1), counts)
    u = day_draws(seed, STREAM, lo, counts, 7)

    # A late order belongs to the day before, which must be an order day too (j >= 2).
    order_date = day.copy()
    hit, _ = hits(u[:, 1], dirt.late_order)
    order_date[hit[day[hit] - world.origin >= 2]] -= 1
    # The customer signed up before the order date: ids up to customers_before[date].
    signed_up = world.customers_before[order_date - world.origin]
    customer = 1 + np.floor(u[:, 0] * signed_up).astype(np.int64)
    hit, w = hits(u[:, 2], dirt.orphan_customer)
    customer[hit] = ORPHAN_ID_BASE + to_index(w, 1_000_000)

    base = weighted(u[:, 3], _STATUS_CUM)
    status = base.copy()
    hit, w = hits(u[:, 4], dirt.miscased_status)
    status[hit] = len(STATUSES) + base[hit] * 5 + to_index(w, 5)
    hit, w = hits(u[:, 4], dirt.unknown_status, skip=dirt.miscased_status)
    status[hit] = len(STATUSES) * 6 + to_index(w, len(_UNKNOWN_STATUSES))
    total = total_cents / 100
    hit, _ = hits(u[:, 5], dirt.negative_total)
    total[hit] = -total[hit]

    rows = with_duplicates(u[:, 6], dirt.duplicate_order)
    table = pa.Table.from_arrays(
        [
            pa.array(ids[rows]),
            pa.array(customer[rows]),
            dates(order_date[rows]),
            _status_pool().take(status[rows]),
            pa.array(total[rows]),
        ],
        schema=SCHEMA,
    )
    return table, day_bounds(day[rows], lo, hi)


@functools.cache
def _status_pool() -> pa.Array:
    """The four statuses, five dirty spellings of each, then the unknown ones."""
    spellings = [
        spell(s)
        for s in STATUSES
        for spell in (
            str.title,
            str.upper,
            lambda s: f" {s}",
            lambda s: f"{s} ",
            lambda s: f" {s.title()}",
        )
    ]
    return pa.array([*STATUSES, *spellings, *_UNKNOWN_STATUSES])
