"""Seeded uniform draws, one generator per (seed, purpose, day), and their use as choices.

Every draw comes from a generator seeded with (seed, stream, absolute day), so a day's
values never depend on the requested range. Each purpose has its own stream id (a table
part's `STREAM`, `WORLD_STREAM`, `CATALOG_STREAM`), so draws for one purpose never
shift another's.
"""

from __future__ import annotations

import functools
from typing import Final

import numpy as np


def day_draws(
    seed: int, stream: int, lo: int, counts: np.ndarray, width: int
) -> np.ndarray:
    """Uniforms (rows, width) from each day's own generator, days lo.. stacked."""
    out = np.empty((int(counts.sum()), width))
    start = 0
    for k, n in enumerate(counts.tolist()):
        rng = np.random.default_rng([seed, stream, lo + k])
        rng.random(out=out[start : start + n])
        start += n
    return out


def to_index(u: np.ndarray, size: int | np.ndarray) -> np.ndarray:
    """Uniform draws in [0, 1) as indexes 0..size-1."""
    return np.minimum(np.floor(u * size), np.asarray(size) - 1).astype(np.int64)


_LUT_BINS: Final = 1000


@functools.cache
def _lut(cum: tuple[float, ...]) -> np.ndarray:
    mid = (np.arange(_LUT_BINS) + 0.5) / _LUT_BINS
    return np.searchsorted(np.asarray(cum), mid, "right")


def weighted(u: np.ndarray, cum: tuple[float, ...]) -> np.ndarray:
    """Category per draw for cumulative weights in steps of 0.001 (a table, no search)."""
    return _lut(cum)[to_index(u, _LUT_BINS)]


def hits(
    u: np.ndarray, rate: float, skip: float = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    """Rows whose draw is in [skip, skip + rate), and that draw rescaled to [0, 1).

    The rescaled draw is uniform again, so it picks the kind of dirt (or an orphan
    id) without another draw; `skip` lets exclusive kinds share one column.
    """
    if rate <= 0:
        return np.empty(0, dtype=np.int64), np.empty(0)
    mask = u < skip + rate
    if skip > 0:
        mask &= u >= skip
    hit = np.flatnonzero(mask)
    return hit, np.clip((u[hit] - skip) / rate, 0.0, 1.0)


def with_duplicates(u: np.ndarray, rate: float) -> np.ndarray:
    """Row positions with the duplicated rows repeated right after themselves."""
    return np.repeat(np.arange(len(u)), 1 + (u < rate))
