"""The world: per-day counts and ids of every day from the origin, and who each customer is.

Ids are offsets counted from a fixed world origin, so a day's files never depend on
the requested range: any sub-range writes the same bytes as the full run for its days.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

import numpy as np

from engine.generate.draws import to_index

if TYPE_CHECKING:
    from engine.generate.pools import Pools


WORLD_STREAM: Final = 1
"""Random stream of the per-day counts and person draws."""
WORLD_ORIGIN: Final = dt.date(2025, 1, 1)
"""Day one of the generated world unless the requested start is earlier."""
ORPHAN_ID_BASE: Final = 1_000_000_000
"""Orphan customer and product ids are drawn at or above this; no real id gets there."""
_PEOPLE_BATCH: Final = 100_000
"""Customers whose person draws are held at once while the world is built."""
# Bounds memory: a chunk of days is built in one go while the previous one is written.
_CHUNK_ORDERS: Final = 100_000
_CHUNK_MAX_DAYS: Final = 31


@dataclass(frozen=True, slots=True)
class World:
    """Per-day counts from the origin to the last day; ids are offsets into these.

    It spans every day since the origin, so it is kept to a few bytes per customer
    and one per order: a run at scale 300 holds 33 M orders and 3.3 M customers.
    """

    origin: int
    """Ordinal of day one; day index j means ordinal origin + j."""
    n_products: int
    customers_before: np.ndarray
    """Customers created before day j (length days + 1): day j owns ids (b[j], b[j+1]]."""
    orders_before: np.ndarray
    """Orders created before day j, like customers_before."""
    items_before: np.ndarray
    """Order items created before day j, like customers_before."""
    items_per_order: np.ndarray
    """Item count (int8, 1-5) of order id i at index i - 1."""
    people: np.ndarray
    """Who customer id i is, at row i - 1: pool indexes (int16) _FIRST.._SUFFIX."""


# Columns of a day's person draws, which fix who each new customer is.
_GENDER, _FIRST, _LAST, _COUNTRY, _STYLE, _PREFIX, _SUFFIX = range(7)


def build_world(seed: int, scale: float, origin: int, last: int, pools: Pools) -> World:
    # A day's counts come from that day's own generator, so they are cheap to recompute
    # for every day since the origin and never depend on the range asked for.
    c_lo = max(1, round(10 * scale))
    c_hi = max(c_lo, round(50 * scale))
    o_lo = max(1, round(100 * scale))
    o_hi = max(o_lo, round(500 * scale))
    n_days = last - origin + 1
    n_customers = np.empty(n_days, dtype=np.int64)
    n_orders = np.empty(n_days, dtype=np.int64)
    n_items = np.empty(n_days, dtype=np.int64)
    items: list[np.ndarray] = []
    people: list[np.ndarray] = []
    # Person draws are turned into pool indexes a batch of days at a time: per day
    # would cost a dozen small numpy calls for each of 365 days.
    draws: list[np.ndarray] = []
    for j in range(n_days):
        rng = np.random.default_rng([seed, WORLD_STREAM, origin + j])
        n_customers[j] = rng.integers(c_lo, c_hi + 1)
        # Drawn on day one too (then dropped) so every day's stream has one layout.
        orders = rng.integers(o_lo, o_hi + 1)
        n_orders[j] = orders if j else 0
        day_items = rng.integers(1, 6, size=n_orders[j])
        n_items[j] = day_items.sum()
        items.append(day_items.astype(np.int8))
        draws.append(rng.random((n_customers[j], 7)))
        if j == n_days - 1 or len(draws) * c_hi >= _PEOPLE_BATCH:
            people.append(_people(np.concatenate(draws), pools))
            draws = []
    return World(
        origin=origin,
        n_products=max(1, round(100 * scale)),
        customers_before=_before(n_customers),
        orders_before=_before(n_orders),
        items_before=_before(n_items),
        items_per_order=np.concatenate(items),
        people=np.concatenate(people),
    )


def _people(draws: np.ndarray, pools: Pools) -> np.ndarray:
    """Pool indexes (first, last, country, prefix, suffix) fixed by a person's draws."""
    female = draws[:, _GENDER] < 0.5
    n_male, n_female = pools.n_male, len(pools.first) - pools.n_male
    first = np.where(
        female,
        n_male + to_index(draws[:, _FIRST], n_female),
        to_index(draws[:, _FIRST], n_male),
    )
    style = draws[:, _STYLE]  # as Faker: mostly plain, some Dr./Mrs., some MD/Jr.
    prefix = np.where(
        (style >= 0.91) & ((style < 0.95) | (style >= 0.99)),
        _gendered(draws[:, _PREFIX], female, pools.n_male_prefix, len(pools.prefix)),
        0,
    )
    suffix = np.where(
        style >= 0.95,
        _gendered(draws[:, _SUFFIX], female, pools.n_male_suffix, len(pools.suffix)),
        0,
    )
    last = to_index(draws[:, _LAST], len(pools.last))
    country = to_index(draws[:, _COUNTRY], len(pools.country))
    return np.column_stack([first, last, country, prefix, suffix]).astype(np.int16)


def _gendered(u: np.ndarray, female: np.ndarray, n_male: int, size: int) -> np.ndarray:
    """Index into a '' + male + female pool such as Pools.prefix."""
    n_female = size - 1 - n_male
    return 1 + np.where(female, n_male + to_index(u, n_female), to_index(u, n_male))


def _before(counts: np.ndarray) -> np.ndarray:
    out = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(counts, out=out[1:])
    return out


def day_chunks(world: World, first: int, last: int) -> list[tuple[int, int]]:
    per_day = max(1.0, world.orders_before[-1] / (last - world.origin + 1))
    size = int(max(1, min(_CHUNK_MAX_DAYS, _CHUNK_ORDERS // per_day)))
    return [(lo, min(lo + size - 1, last)) for lo in range(first, last + 1, size)]
