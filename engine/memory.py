"""The memory budget: one size, parsed once, that every step of a run stays within."""

from __future__ import annotations

import re
from typing import Final

from engine.errors import ConfigError

DEFAULT_MEMORY_LIMIT: Final = int(3.5 * 2**30)
"""3.5 GiB (3.76 GB): keeps a full-year scale-100 rebuild's whole process under 4 GB,
and lets a scale-10 year's staging run in one piece."""

_UNITS: Final = {
    "": 1,
    "B": 1,
    "KB": 10**3,
    "MB": 10**6,
    "GB": 10**9,
    "TB": 10**12,
    "KIB": 2**10,
    "MIB": 2**20,
    "GIB": 2**30,
    "TIB": 2**40,
}
_SIZE: Final = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*")
MIN_MEMORY_LIMIT: Final = 64 * 10**6
"""Below this even one small piece plus the engines' fixed costs does not fit."""


def parse_size(text: str) -> int:
    """Bytes in a size such as '4GB', '500MB', '1.5GiB' or '1000000' (bytes)."""
    match = _SIZE.fullmatch(text)
    unit = match.group(2).upper() if match else None
    if match is None or unit not in _UNITS:
        msg = f"memory limit {text!r} is not a size; write it like 4GB, 500MB or 2GiB"
        raise ConfigError(msg)
    size = int(float(match.group(1)) * _UNITS[unit])
    if size < MIN_MEMORY_LIMIT:
        msg = f"memory limit {text!r} is below the 64MB the engine needs; give it more"
        raise ConfigError(msg)
    return size


def format_size(size: int) -> str:
    """A byte count as DuckDB's memory_limit setting and people read it ('3.0GiB')."""
    for unit, factor in (("GiB", 2**30), ("MiB", 2**20)):
        if size >= factor:
            return f"{size / factor:.1f}{unit}"
    return f"{size}B"


DUCKDB_SHARE: Final = {"duckdb": 0.65, "polars": 0.25, "publish": 0.5}
"""DuckDB's part of the budget, by what the run does; the rest is Polars', Arrow's, Python's.

``duckdb``: staging and prod run inside DuckDB, which spills to the temp directory when
its share is full; the rest covers Python, the libraries and Arrow batches in flight, and
DuckDB's own use beyond its limit (at scale 100 with a 2.6 GiB limit the process peaked
0.9 GiB above it).
``polars``: the Polars pieces are computed while the warehouse is open, and DuckDB keeps
the blocks it has read cached up to its limit; its work here (ingest, filtered scans,
key look-ups, loads) streams or spills, so it gets a quarter and the pieces get more
(pieces.POLARS_SHARE). ``publish``: reading
streams, while ADBC holds batches of several tables at once.
"""


def duckdb_memory_limit(budget: int, use: str) -> int:
    """Bytes DuckDB's buffer manager may hold out of a budget, for ``use`` (DUCKDB_SHARE)."""
    return int(budget * DUCKDB_SHARE[use])
