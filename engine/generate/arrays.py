"""Arrow array helpers: pick, patch and join strings row-wise; dates and day bounds."""

from __future__ import annotations

import datetime as dt
import functools
from typing import TYPE_CHECKING, Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

if TYPE_CHECKING:
    from collections.abc import Sequence


def choose(options: Sequence[pa.Array], which: np.ndarray) -> pa.Array:
    """Row i of options[which[i]], for equally long arrays."""
    n = len(which)
    return pa.concat_arrays(options).take(which * n + np.arange(n))


def patch(values: pa.Array, rows: np.ndarray, new: pa.Array) -> pa.Array:
    """`values` with values[rows[k]] replaced by new[k]."""
    if not len(rows):
        return values
    n = len(values)
    position = np.arange(n)
    position[rows] = n + np.arange(len(rows))
    return pa.concat_arrays([values, new]).take(position)


@functools.cache
def _lit(text: str) -> pa.Scalar:
    # pyarrow converts a Python str argument on a path that retries a failing
    # `import dateutil` every time (~80 us); a prebuilt scalar skips that.
    return pa.scalar(text, pa.string())


@functools.cache
def strings(values: tuple[str, ...]) -> pa.Array:
    return pa.array(values, pa.string())


def join(*parts: pa.Array | str) -> pa.Array:
    """Row-wise concatenation; a str part is the same text on every row."""
    args = [_lit(part) if isinstance(part, str) else part for part in parts]
    return pc.binary_join_element_wise(*args, _lit(""))


def nulls(values: pa.Array, rows: np.ndarray) -> pa.Array:
    return patch(values, rows, pa.nulls(len(rows), values.type))


_EPOCH: Final = dt.date(1970, 1, 1).toordinal()


def dates(ordinals: np.ndarray) -> pa.Array:
    return pa.array((ordinals - _EPOCH).astype(np.int32), type=pa.date32())


def day_bounds(day: np.ndarray, lo: int, hi: int) -> np.ndarray:
    """Row offsets of each day lo..hi (plus the end) in rows sorted by day."""
    return np.searchsorted(day, np.arange(lo, hi + 2))
