"""Piece planning: how many pieces a step's input is split into, and which rows each holds.

One piece must fit the memory budget. A piece's Polars working set is estimated as its input rows x bytes per row (from the
sql/ contract) x a measured factor for the copies the rules make along the way.
"""

from __future__ import annotations

import itertools
import math
from typing import TYPE_CHECKING, Final

from engine import contracts

if TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Sequence

    import pyarrow as pa

POLARS_SHARE: Final = 0.6
"""Part of the budget one piece's Polars working set may use. DuckDB's own
memory_limit takes another quarter (memory.DUCKDB_SHARE); Python, Arrow buffers
on their way into DuckDB and the engines' fixed costs need the rest."""
STAGING_COPIES: Final = 6
"""Staging's peak working set over a raw piece's estimated size: the conformed raw
rows, the staged struct, the verdict columns, clean and rejects (at scale 10, all of
staging in one piece, estimated at 328 MB for its largest table, raised the peak RSS
by 2.2 GB)."""
PROD_COPIES: Final = 3
"""Prod's peak working set over its staging inputs' estimated size: the joined
lines, the group-by states, the outputs (at scale 10, prod in one piece raised the
peak RSS by 0.87 GB over 0.40 GB of estimated input)."""
STRING_BYTES: Final = 32
"""Assumed size of a text value: 16 bytes of view or offset plus a short string."""


def row_bytes(table: str) -> int:
    """Estimated in-memory bytes of one row of a qualified table, from its contract."""
    return sum(_value_bytes(field.type) for field in contracts.arrow_schema(table))


def _value_bytes(dtype: pa.DataType) -> int:
    import pyarrow as pa

    if pa.types.is_string(dtype) or pa.types.is_large_string(dtype):
        return STRING_BYTES
    if pa.types.is_boolean(dtype):
        return 1
    return dtype.byte_width


def piece_count(size: int, *, memory_limit: int, copies: int) -> int:
    """Pieces needed so that ``size`` bytes of input, times ``copies``, fit the share."""
    per_piece = memory_limit * POLARS_SHARE / copies
    return max(1, math.ceil(size / per_piece))


def bucket(column: str, pieces: int) -> str:
    """SQL predicate: the row's ``column`` hashes into bucket ``$bucket`` of ``pieces``.

    DuckDB's hash of NULL is a constant, so rows with a null key share one bucket.
    """
    return f"hash({column}) % {int(pieces)} = $bucket"


def month_ranges(
    months: Sequence[tuple[dt.date, int]],
    *,
    memory_limit: int,
    copies: int,
    pieces: int | None = None,
) -> list[tuple[dt.date, dt.date]]:
    """Consecutive whole months grouped into [start, end) ranges that each fit a piece.

    ``months`` is (first day of month, estimated bytes) in date order. With
    ``pieces``, the months are split into that many groups of near-equal length
    instead (at most one group per month).
    """
    if not months:
        return []
    if pieces is None:
        per_piece = memory_limit * POLARS_SHARE / copies
        groups: list[list[dt.date]] = [[]]
        size = 0
        for month, month_bytes in months:
            if groups[-1] and size + month_bytes > per_piece:
                groups.append([])
                size = 0
            groups[-1].append(month)
            size += month_bytes
    else:
        count = min(pieces, len(months))
        starts = [len(months) * i // count for i in range(count + 1)]
        firsts = [month for month, _ in months]
        groups = [firsts[a:b] for a, b in itertools.pairwise(starts)]
    return [(group[0], _next_month(group[-1])) for group in groups]


def _next_month(first: dt.date) -> dt.date:
    return first.replace(
        year=first.year + first.month // 12, month=first.month % 12 + 1
    )
