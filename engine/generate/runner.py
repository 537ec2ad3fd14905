"""The run: check arguments, build the world, then build and write chunks of days."""

from __future__ import annotations

import logging
import math
import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from engine.errors import ConfigError
from engine.generate.catalog import build_catalog
from engine.generate.dirt import DirtRates
from engine.generate.files import make_dir, write_days
from engine.generate.parts import Chunk, table_parts
from engine.generate.pools import people_pools
from engine.generate.world import WORLD_ORIGIN, build_world, day_chunks
from engine.progress import NullProgress

if TYPE_CHECKING:
    import datetime as dt
    from concurrent.futures import Future
    from pathlib import Path

    from engine.generate.parts import TableDays, TablePart
    from engine.progress import Progress

logger = logging.getLogger(__name__)


# Encoding and file calls release the GIL, so one writer per core overlaps them with
# building; more writers only add GIL hand-offs. Tasks of several days keep those rare.
_WRITERS: Final = min(8, os.cpu_count() or 1)
_DAYS_PER_TASK: Final = 8


@dataclass(frozen=True, slots=True)
class GenerateSummary:
    """What generate_dataset wrote."""

    files: int
    """Files the range consists of (one per table per day), written or already identical."""
    rows: dict[str, int]
    """Rows per table over the range, duplicates included."""
    days: int
    """Days in the range."""
    unchanged: int
    """Files left untouched because they already held exactly these bytes."""
    seconds: float
    """Wall-clock time of the call."""

    def __str__(self) -> str:
        counts = ", ".join(f"{table} {n:,}" for table, n in self.rows.items())
        return f"{self.days:,} days, {self.files:,} files ({counts} rows)"


_NO_PROGRESS: Final = NullProgress()
_DEFAULT_DIRT: Final = DirtRates()


def generate_dataset(
    out_dir: Path,
    *,
    start: dt.date,
    end: dt.date,
    scale: float = 1.0,
    seed: int = 42,
    dirt: DirtRates = _DEFAULT_DIRT,
    progress: Progress = _NO_PROGRESS,
    origin: dt.date = WORLD_ORIGIN,
) -> GenerateSummary:
    """Write every table's partition for each day from `start` to `end` (inclusive).

    Parameters
    ----------
    scale
        Volume multiplier: 1 means 10-50 new customers, 100-500 orders of 1-5 items
        per day and a catalog of 100 products (all four scale linearly).
    origin
        Day one of the world: customer and order ids count from it and orders begin
        the day after. A `start` before it moves it to `start`, so only ranges that
        share the origin share partitions.
    """
    began = time.perf_counter()
    _check_arguments(out_dir, start, end, scale, seed)
    parts = table_parts()
    first, last = start.toordinal(), end.toordinal()
    days = last - first + 1
    progress.start("generate", total=days)
    pools = people_pools(seed)
    world = build_world(seed, scale, min(origin, start).toordinal(), last, pools)
    catalog = build_catalog(seed, world.n_products)

    rows = dict.fromkeys(parts, 0)
    unchanged = 0
    for table in parts:
        make_dir(out_dir / table)
    with ThreadPoolExecutor(max_workers=_WRITERS) as pool:
        pending: list[tuple[Future[int], int]] = []
        for lo, hi in day_chunks(world, first, last):
            chunk = Chunk(world, pools, catalog, dirt, seed, lo, hi)
            built = _build_chunk(parts, chunk)
            for table, (frame, _) in built.items():
                rows[table] += frame.num_rows
            # Wait for the previous chunk only now, so building overlaps with writing
            # and at most two chunks are in memory.
            unchanged += _wait(pending, progress)
            pending = [
                (pool.submit(write_days, out_dir, built, lo, a, b), b - a + 1)
                for a, b in _batches(lo, hi, _DAYS_PER_TASK)
            ]
        unchanged += _wait(pending, progress)

    summary = GenerateSummary(
        files=days * len(parts),
        rows=rows,
        days=days,
        unchanged=unchanged,
        seconds=time.perf_counter() - began,
    )
    progress.done(str(summary))
    logger.info(
        "generated %s rows in %s files -> %s in %.2f s",
        f"{sum(rows.values()):,}",
        f"{summary.files:,}",
        out_dir,
        summary.seconds,
    )
    return summary


def _batches(lo: int, hi: int, size: int) -> list[tuple[int, int]]:
    return [(a, min(a + size - 1, hi)) for a in range(lo, hi + 1, size)]


def _wait(pending: list[tuple[Future[int], int]], progress: Progress) -> int:
    """Wait for write tasks in order, reporting their days; return unchanged files."""
    unchanged = 0
    for future, days in pending:
        unchanged += future.result()
        progress.advance(days)
    return unchanged


def _check_arguments(
    out_dir: Path, start: dt.date, end: dt.date, scale: float, seed: int
) -> None:
    if end < start:
        msg = f"end {end} is before start {start}; pass an end on or after the start"
        raise ConfigError(msg)
    if not (isinstance(scale, int | float) and math.isfinite(scale) and scale > 0):
        msg = f"scale {scale!r} must be a number above 0, e.g. 1 or 0.1"
        raise ConfigError(msg)
    if not isinstance(seed, int) or seed < 0:
        msg = f"seed {seed!r} must be a whole number >= 0"
        raise ConfigError(msg)
    if out_dir.exists() and not out_dir.is_dir():
        msg = f"{out_dir}: exists and is not a folder; pass a folder to write into"
        raise ConfigError(msg)


def _build_chunk(parts: dict[str, TablePart], chunk: Chunk) -> dict[str, TableDays]:
    """Every table for the chunk's days, with each day's row bounds."""
    return {table: part.build(chunk) for table, part in parts.items()}
